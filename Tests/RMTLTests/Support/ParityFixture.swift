import Foundation
import RMTL

/// A PyTorch parity fixture written by scripts/torch/make_fixtures.py (names in scripts/torch/README.md),
/// for the model tests: load it, build the Swift model with `config`, copy `weight(_:)` into it by
/// the same names, run the batch, and compare with `compare(_:expected:actual:)`.
struct ParityFixture {
    struct Config: Equatable {
        let fieldDims: [Int]
        let numericalCount: Int
        let embedDim: Int
        let bottom: [Int]
        let tower: [Int]
        let taskCount: Int
        let expertCount: Int
        let batch: Int
        var dropout: Float = 0
    }

    let model: String
    let file: SafetensorsFile
    /// Parameter names in PyTorch's state_dict order.
    let parameterNames: [String]
    let config: Config

    /// `model`: single, sharedbottom, esmm, omoe, mmoe, ple, aitm or critic.
    static func load(_ model: String) throws -> ParityFixture {
        let path = StorageTestSupport.fixturePath("parity_\(model).safetensors")
        let file = try SafetensorsFile.read(path: path)
        let names = (file.metadata["parameters"] ?? "").split(separator: ",").map(String.init)
        let json = try JSONSerialization.jsonObject(with: Data((file.metadata["config"] ?? "{}").utf8))
        guard let c = json as? [String: Any],
            let fieldDims = c["field_dims"] as? [Int], let numerical = c["numerical_num"] as? Int,
            let embed = c["embed_dim"] as? Int, let bottom = c["bottom"] as? [Int],
            let tower = c["tower"] as? [Int], let tasks = c["task_num"] as? Int,
            let experts = c["expert_num"] as? Int, let batch = c["batch"] as? Int, let dropout = c["dropout"] as? Double
        else { throw SafetensorsError(path: path, reason: .missingTensor("__metadata__.config")) }
        return ParityFixture(
            model: model, file: file, parameterNames: names,
            config: Config(
                fieldDims: fieldDims, numericalCount: numerical, embedDim: embed, bottom: bottom,
                tower: tower,
                taskCount: tasks, expertCount: experts, batch: batch, dropout: Float(dropout)))
    }

    private func floats(_ name: String) throws -> [Float] {
        try file.tensor(name, dtype: .f32, path: "parity_\(model).safetensors").floats ?? []
    }

    /// Initial weights of a parameter (PyTorch layout: Linear weight is (out, in)).
    func weight(_ name: String) throws -> TensorData {
        try file.tensor(name, dtype: .f32, path: "parity_\(model).safetensors")
    }
    func grad(_ name: String) throws -> [Float] { try floats("grad." + name) }
    /// The weights after 5 Adam steps.
    func adam(_ name: String) throws -> [Float] { try floats("adam." + name) }
    /// Any other tensor by its full name, e.g. "output.probabilities" or "input.numerical".
    func values(_ name: String) throws -> [Float] { try floats(name) }
    /// "input.categorical" (or "input.state"/"input.next_state" for the critic) as Ints, row-major.
    func ids(_ name: String = "input.categorical") throws -> [Int] {
        try file.tensor(name, dtype: .i64, path: "parity_\(model).safetensors").integers ?? []
    }

    /// The PyTorch dropout mask of `module`'s `call`-th call in the fixture's forward (batch × width).
    func mask(_ module: String, call: Int) throws -> [Float] { try floats("mask.\(module)#\(call)") }
    /// The names of every recorded mask, "<module>#<call>".
    var maskNames: [String] {
        (file.metadata["masks"] ?? "").split(separator: ",").map { String($0.dropFirst("mask.".count)) }
    }

    /// The fixture's input batch (ids, numeric column, a label per task) as a one-session `Dataset`.
    func dataset() throws -> Dataset {
        let rows = config.batch, fields = config.fieldDims.count, tasks = config.taskCount
        let ids = try ids(), numeric = try values("input.numerical"), labels = try values("input.labels")
        return Dataset(
            name: "fixture", categoricalNames: (0..<fields).map { "f\($0)" },
            categorical: (0..<fields).map { c in (0..<rows).map { Int32(ids[$0 * fields + c]) } }, cardinalities: config.fieldDims,
            numericNames: ["x"], numeric: [numeric], taskNames: tasks == 2 ? ["ctr", "ctcvr"] : (0..<tasks).map { "task\($0)" },
            labels: (0..<tasks).map { t in (0..<rows).map { labels[$0 * tasks + t] } },
            sessions: Array(repeating: 0, count: rows), timestamps: Array(repeating: 0, count: rows))
    }
}

/// How far `actual` is from `expected`, element by element: passes when every
/// |actual − expected| ≤ absoluteTolerance + relativeTolerance · |expected|.
/// The description names the tensor, the worst index and both values, as llm.c's check_tensor does.
struct TensorComparison: CustomStringConvertible {
    let name: String
    let count: Int
    let worstIndex: Int
    let expected: Float
    let actual: Float
    let maxAbsoluteError: Float
    let passed: Bool
    /// For `compareScaled`: the tensor's tolerance and its RMS.
    var tolerance: Float? = nil
    var rms: Float? = nil

    var description: String {
        let verdict = passed ? "ok" : "MISMATCH"
        let scale = tolerance.map { ", tolerance \($0) (RMS \(rms ?? 0))" } ?? ""
        return "\(name): \(verdict), \(count) values, max |error| \(maxAbsoluteError) at [\(worstIndex)] "
            + "(expected \(expected), got \(actual))\(scale)"
    }
}

/// Gradients: every |actual − expected| ≤ relativeToRMS · RMS(expected) + floor, one tolerance for
/// the whole tensor, scaled to that tensor's magnitude. An elementwise `1e-6 + 1e-4·|e|` lets the
/// absolute term decide for the many small gradient tensors (a uniform scaling error of 0.1–5% of
/// such a tensor passed it); this one fails any scaling error above `relativeToRMS` (the largest
/// entry is at least the RMS). The floor only matters for tensors that are exactly zero (dead
/// branches, ids absent from the batch). Real agreement with PyTorch is about 1e-7 of the RMS.
func compareScaled(
    _ name: String, expected: [Float], actual: [Float], relativeToRMS: Float = 1e-5, floor: Float = 1e-12
) -> TensorComparison {
    let squares = expected.reduce(0.0) { $0 + Double($1) * Double($1) }
    let rms = Float((squares / Double(max(expected.count, 1))).squareRoot())
    let tolerance = relativeToRMS * rms + floor
    var c = compare(name, expected: expected, actual: actual, relativeTolerance: 0, absoluteTolerance: tolerance)
    c.tolerance = tolerance
    c.rms = rms
    return c
}

/// The largest |actual − expected| / tolerance of a `compareScaled` (1 = at the tolerance).
extension TensorComparison {
    var toleranceUsed: Float { maxAbsoluteError / (tolerance ?? .nan) }
}

func compare(
    _ name: String, expected: [Float], actual: [Float], relativeTolerance: Float = 1e-4,
    absoluteTolerance: Float = 1e-6
) -> TensorComparison {
    guard expected.count == actual.count else {
        return TensorComparison(
            name: "\(name) (count \(actual.count), expected \(expected.count))", count: actual.count,
            worstIndex: 0, expected: .nan, actual: .nan, maxAbsoluteError: .infinity, passed: false)
    }
    var worst = 0
    var worstExcess: Float = -.infinity
    var maxError: Float = 0
    var passed = true
    for i in expected.indices {
        let error = abs(actual[i] - expected[i])
        let excess = error - (absoluteTolerance + relativeTolerance * abs(expected[i]))
        if !(excess <= 0) { passed = false }  // NaN fails too
        if excess > worstExcess || excess.isNaN {
            worstExcess = excess.isNaN ? .infinity : excess
            worst = i
        }
        maxError = max(maxError, error.isNaN ? .infinity : error)
    }
    return TensorComparison(
        name: name, count: expected.count, worstIndex: worst,
        expected: expected.isEmpty ? 0 : expected[worst],
        actual: actual.isEmpty ? 0 : actual[worst], maxAbsoluteError: maxError, passed: passed)
}

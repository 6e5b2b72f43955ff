import Foundation
import RMTL
import Testing

/// rmtl against PyTorch: the fixtures (scripts/torch/make_fixtures.py) hold a small model's initial
/// weights, one batch, PyTorch's outputs, loss, every parameter gradient, and 5 Adam steps. Loading
/// the same weights by state_dict name, rmtl must reproduce all of it.
///
/// Tolerance: `|rmtl − torch| ≤ 1e-4·|torch| + 1e-6` per element (the absolute term covers values
/// that are zero up to Float rounding, e.g. gradients of units that are nearly dead).
@Suite("PyTorch parity") struct PyTorchParityTests {
    static let models: [ModelKind] = ModelKind.allCases

    static func fixture(_ name: String) throws -> SafetensorsFile {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/parity_\(name).safetensors").path
        return try SafetensorsFile.read(path: path)
    }

    static func expectClose(_ mine: [Float], _ theirs: [Float], _ what: String) {
        #expect(mine.count == theirs.count, "\(what): \(mine.count) vs \(theirs.count) values")
        var worst = 0.0, at = -1
        for i in 0..<min(mine.count, theirs.count) {
            let excess = Double(abs(mine[i] - theirs[i])) - (1e-4 * Double(abs(theirs[i])) + 1e-6)
            if excess > worst { worst = excess; at = i }
        }
        #expect(at < 0, "\(what)[\(at)]: rmtl \(at >= 0 ? mine[at] : 0), torch \(at >= 0 ? theirs[at] : 0)")
    }

    /// The fixture's model in rmtl, with PyTorch's initial weights.
    static func model(_ kind: ModelKind, _ file: SafetensorsFile, threads: Int) throws -> TrainableModel {
        var config = ModelConfig(kind: kind, cardinalities: [5, 4, 3], numericCount: 1, taskCount: 2)
        config.embedDim = 8
        config.bottom = [16, 8]
        config.tower = [8, 4]
        config.experts = 4
        config.sharedExperts = 2
        config.specificExperts = 2
        config.dropout = 0
        var rng = RandomGenerator(seed: 0)
        let model = try TrainableModel(config, batchCapacity: 6, threads: threads, rng: &rng)
        let names = try #require(file.metadata["parameters"]).split(separator: ",").map(String.init)
        #expect(Set(names) == Set(model.layout.slots.map(\.name)), "state_dict names differ")
        for name in names { try model.setTensor(name, try #require(file[name]?.floats, "\(name)")) }
        return model
    }

    static func batch(_ file: SafetensorsFile) throws -> Batch {
        let ids = try #require(file["input.categorical"]?.int64s), numeric = try #require(file["input.numerical"]?.floats)
        let labels = try #require(file["input.labels"]?.floats)
        let data = Dataset(
            name: "fixture", categoricalNames: ["a", "b", "c"],
            categorical: (0..<3).map { f in (0..<6).map { Int32(ids[$0 * 3 + f]) } }, cardinalities: [5, 4, 3],
            numericNames: ["x"], numeric: [numeric], taskNames: ["ctr", "ctcvr"],
            labels: (0..<2).map { t in (0..<6).map { labels[$0 * 2 + t] } },
            sessions: Array(repeating: 0, count: 6), timestamps: Array(repeating: 0, count: 6))
        let batch = Batch(capacity: 6, fieldCount: 3, numericCount: 1, taskCount: 2)
        batch.gather(data, Array(0..<6)[...])
        return batch
    }

    @Test(arguments: models, [1, 2])
    func outputsLossAndGradientsMatch(_ kind: ModelKind, threads: Int) throws {
        let file = try Self.fixture(kind.rawValue)
        let model = try Self.model(kind, file, threads: threads)
        let batch = try Self.batch(file)
        var rng = RandomGenerator(seed: 1)
        var probabilities = [Float](repeating: 0, count: 12)
        let labels = batch.labels
        let loss = probabilities.withUnsafeMutableBufferPointer { out in
            let out = UncheckedSendable(out)
            return model.accumulateGradients(batch, isTraining: false, rng: &rng) { part, rows, p, dp in
                for r in 0..<p.rows { for t in 0..<2 { out.value[t * 6 + rows.lowerBound + r] = p[r, t] } }
                return meanBinaryCrossEntropy(part, rows, p, labels, 6, dp)
            }
        }
        Self.expectClose(probabilities, try #require(file["output.probabilities"]?.floats), "\(kind) probabilities")
        Self.expectClose([Float(loss)], try #require(file["loss"]?.floats), "\(kind) loss")
        for slot in model.layout.slots {
            Self.expectClose(model.gradient(of: slot.name)!, try #require(file["grad." + slot.name]?.floats), "\(kind) grad.\(slot.name)")
        }
    }

    @Test(arguments: models)
    func fiveAdamStepsMatch(_ kind: ModelKind) throws {
        let file = try Self.fixture(kind.rawValue)
        let model = try Self.model(kind, file, threads: 2)
        let batch = try Self.batch(file)
        let adam = Adam(count: model.values.count, learningRate: 1e-3, weightDecay: 1e-6)
        var rng = RandomGenerator(seed: 1)
        var losses: [Float] = []
        let labels = batch.labels
        for _ in 0..<5 {
            let l = model.accumulateGradients(batch, isTraining: false, rng: &rng) { part, rows, p, dp in
                meanBinaryCrossEntropy(part, rows, p, labels, 6, dp)
            }
            losses.append(Float(l))
            model.applyGradients(adam)
        }
        Self.expectClose(losses, try #require(file["adam.losses"]?.floats), "\(kind) losses of 5 Adam steps")
        for (name, _, values) in model.tensors() {
            Self.expectClose(values, try #require(file["adam." + name]?.floats), "\(kind) adam.\(name)")
        }
    }
}

import Foundation
import RMTL

/// Finite-difference check of a model's parameter gradients on a fixed batch, every entry of every
/// parameter tensor.
///
/// The loss is the authors' mean BCE (or MSE for critics). A ReLU network is smooth except where a
/// unit switches on or off, so the check records the on/off pattern of every ReLU (the buffers the
/// model builder registered) at θ−ε, θ and θ+ε. Where the pattern is the same at all three, the
/// loss is smooth on the interval and the central difference must match the analytic gradient;
/// where it changed, a smaller ε is tried, and an entry that is at a kink for every ε is counted in
/// `kinks` and not compared (tests cap that count per tensor).
///
/// The error of a tensor is measured against that tensor's own scale: ‖numeric − analytic‖ /
/// ‖analytic‖ over its compared entries (an RMS error relative to the gradient's RMS). Entry by
/// entry, Float rounding of the loss limits a central difference to about 1e-6 absolute, a few
/// percent of the smallest tensors' gradients. So each tensor is also checked along its own
/// gradient direction u = a/‖a‖: with every ReLU unit frozen in its state at θ (the network
/// linearised around θ's on/off pattern, which has the same loss and gradient at θ and no kinks),
/// L(θ + t·u) is sampled on a span as large as its higher-order terms allow, and a least-squares
/// fit of its odd part gives the directional derivative, which must equal a·u = ‖a‖. All entries
/// move together, so the signal is T·‖a‖ rather than ε·|aᵢ|: a uniform 1% error of one tensor's
/// gradient reads as 1e-2 there, against clean errors below 1e-3
/// (`GradientTests.injectedErrorsAreCaught` checks that, for every tensor of every model).
struct TensorGradientCheck: CustomStringConvertible {
    let name: String
    let count: Int
    /// Entries compared (away from kinks).
    var compared = 0
    var kinks = 0
    /// Entries whose analytic gradient is not zero.
    var nonzero = 0
    /// ‖numeric − analytic‖ / ‖analytic‖ over the compared entries (with a floor for all-zero tensors).
    var error = 0.0
    /// The entry with the largest |numeric − analytic|.
    var worst = ""
    /// |D − a·u| / |a·u| along the gradient direction u (0 for an all-zero gradient).
    var directionalError = 0.0
    /// False when no two spans along u agreed (the check then fails).
    var directionalMeasured = false
    /// ‖a‖: the directional signal per unit step.
    var norm = 0.0
    /// RMS of the analytic gradient over the compared entries.
    var rms = 0.0
    /// The span of the directional fit.
    var span = 0.0

    var nonzeroFraction: Double { Double(nonzero) / Double(max(count, 1)) }
    var comparedFraction: Double { Double(compared) / Double(max(count, 1)) }
    var description: String {
        "\(name): RMS \(rms), ‖a‖ \(norm), directional error \(directionalError) (span \(span)), entrywise error \(error), \(compared)/\(count) compared, "
            + "\(kinks) at kinks, \(nonzero) non-zero; worst \(worst)"
    }
}

struct GradientCheckReport: CustomStringConvertible {
    var tensors: [TensorGradientCheck] = []
    var checked: Int { tensors.reduce(0) { $0 + $1.count } }
    var kinks: Int { tensors.reduce(0) { $0 + $1.kinks } }
    /// The largest per-tensor error, and that tensor.
    var worstError: Double { tensors.map(\.error).max() ?? 0 }
    var worst: TensorGradientCheck? { tensors.max { $0.error < $1.error } }
    var worstDirectionalError: Double { tensors.map(\.directionalError).max() ?? 0 }
    /// The smallest fraction of non-zero analytic gradients of any tensor, and that tensor.
    var leastAlive: TensorGradientCheck? { tensors.min { $0.nonzeroFraction < $1.nonzeroFraction } }
    var description: String {
        "checked \(checked) entries in \(tensors.count) tensors (\(kinks) at kinks); worst directional error "
            + "\(worstDirectionalError); worst entrywise error \(worstError) in "
            + "\(worst?.description ?? "-"); least alive \(leastAlive.map { "\($0.name) \($0.nonzeroFraction)" } ?? "-")"
    }
}

/// A fingerprint of the on/off state of every ReLU unit of `model` after a forward pass.
func reluPattern(_ model: TrainableModel) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for replica in model.dropoutSites {
        for site in replica {
            let p = site.output.buffer.base
            for i in 0..<site.output.buffer.count { h = (h ^ (p[i] > 0 ? 1 : 0)) &* 0x100_0000_01b3 }
        }
    }
    return h
}

/// The RMS gradient below which a tensor's error is measured against this floor instead (Float
/// rounding of the loss leaves about 1e-6 of noise in one central difference).
let resolution = 3e-5

/// The analytic and central-difference gradients of every parameter entry of a model.
struct FiniteDifferences {
    let slots: [(name: String, offset: Int, count: Int)]
    let analytic: [Float]
    let numeric: [Double]
    /// False where every ε crossed a kink.
    let smooth: [Bool]
    /// Per tensor: the unit direction (the analytic gradient's) and the loss's derivative along it.
    let directions: [[Double]?]
    let directional: [Double]
    /// Per tensor: the span T of the directional fit (0 where none was kink-free).
    let spans: [Double]

    /// The per-tensor comparison; `analytic` replaces the model's own (to inject errors).
    func report(analytic override: [Float]? = nil) -> GradientCheckReport {
        let analytic = override ?? self.analytic
        var report = GradientCheckReport()
        for slot in slots {
            var t = TensorGradientCheck(name: slot.name, count: slot.count)
            var errorSquares = 0.0, gradientSquares = 0.0, worst = -1.0
            for i in slot.offset..<(slot.offset + slot.count) {
                let a = Double(analytic[i])
                if a != 0 { t.nonzero += 1 }
                guard smooth[i] else { t.kinks += 1; continue }
                t.compared += 1
                let d = numeric[i] - a
                errorSquares += d * d
                gradientSquares += a * a
                if abs(d) > worst {
                    worst = abs(d)
                    t.worst = "[\(i - slot.offset)] analytic \(a), numeric \(numeric[i])"
                }
            }
            // The floor (an RMS of 1e-7) only matters for tensors whose gradient is zero.
            // The floor, an RMS gradient of 3e-5, is about 30× the rounding noise of one central
            // difference: below it a tensor's gradient is not resolved by Float finite differences.
            t.error = t.compared == 0 ? 0
                : errorSquares.squareRoot() / (gradientSquares.squareRoot() + resolution * Double(t.compared).squareRoot())
            t.rms = (gradientSquares / Double(max(t.compared, 1))).squareRoot()
            let k = report.tensors.count
            if let u = directions[k] {
                var projection = 0.0
                for j in 0..<slot.count { projection += Double(analytic[slot.offset + j]) * u[j] }
                t.directionalMeasured = !directional[k].isNaN
                t.directionalError = t.directionalMeasured ? abs(directional[k] - projection) / max(abs(projection), 1e-30) : 0
                t.norm = abs(projection)
                t.span = spans[k]
            }
            report.tensors.append(t)
        }
        return report
    }
}

/// With `isTraining`, dropout is on and every evaluation redraws the same masks (the generator
/// restarts from one seed), so the loss is a deterministic function and the dropout backward is checked.
/// `mse` scores outputs against the batch labels by mean squared error (critics) instead of BCE.
func finiteDifferences(
    _ model: TrainableModel, batch: Batch, input: BatchInput? = nil, epsilons: [Float] = [1e-2, 2e-3, 4e-4],
    isTraining: Bool = false, mse: Bool = false
) -> FiniteDifferences {
    let input = input ?? batch.input
    /// The loss, and fingerprints of the ReLU pattern and of which outputs are exactly zero.
    func loss() -> (value: Double, relus: UInt64, zeroOutputs: UInt64) {
        var masks = RandomGenerator(seed: 77)
        let labels = batch.labels, rows = batch.rows
        // Which outputs are exactly zero (a critic's dead Q = −ReLU(z)): another kink. Shards write
        // their own rows.
        let zero = UnsafeMutableBufferPointer<Bool>.allocate(capacity: rows * model.outputCount)
        defer { zero.deallocate() }
        let zeros = UncheckedSendable(zero)
        let l = model.accumulateGradients(input, isTraining: isTraining, rng: &masks) { part, range, p, dp in
            for r in 0..<p.rows { for t in 0..<p.columns { zeros.value[(range.lowerBound + r) * p.columns + t] = p[r, t] == 0 } }
            if mse { return meanSquaredError(p, labels, range, rows, dp) }
            _ = meanBinaryCrossEntropy(part, range, p, labels, rows, dp)
            // The loss value in Double from the Float probabilities (less rounding in the differences).
            var total = 0.0
            for r in 0..<p.rows {
                for t in 0..<p.columns {
                    let y = Double(labels[range.lowerBound + r, t]), q = Double(p[r, t])
                    total -= y * max(log(q), -100) + (1 - y) * max(log(1 - q), -100)
                }
            }
            return total / Double(rows * p.columns)
        }
        var outputs: UInt64 = 0xcbf2_9ce4_8422_2325
        for z in zero { outputs = (outputs ^ (z ? 1 : 0)) &* 0x100_0000_01b3 }
        return (l, reluPattern(model), outputs)
    }
    func pattern() -> (Double, UInt64) { let l = loss(); return (l.value, l.relus ^ l.zeroOutputs) }
    let (_, centerPattern) = pattern()
    let analytic = model.gradient
    var numeric = [Double](repeating: 0, count: analytic.count)
    var smooth = [Bool](repeating: false, count: analytic.count)
    for slot in model.layout.slots {
        for i in slot.offset..<(slot.offset + slot.count) {
            let saved = model.values.base[i]
            for epsilon in epsilons {
                model.values.base[i] = saved + epsilon
                let (plus, plusPattern) = pattern()
                model.values.base[i] = saved - epsilon
                let (minus, minusPattern) = pattern()
                model.values.base[i] = saved
                if plusPattern == centerPattern && minusPattern == centerPattern {
                    // The perturbation actually applied is the Float difference, not 2ε.
                    let step = Double(saved + epsilon) - Double(saved - epsilon)
                    numeric[i] = (plus - minus) / step
                    smooth[i] = true
                    break
                }
            }
        }
    }
    // Along each tensor's gradient direction u, with every ReLU unit's on/off state (and dropout
    // mask) frozen as at θ: that linearised network has the loss's value and gradient at θ and no
    // kinks, so the span T can be large, which makes the signal (∝ T·‖a‖) large against the Float
    // rounding of the loss (≈ 1e-8). Samples L(θ ± t·u), t = T·j/8, j = 1…8; a least-squares fit of
    // (L(t) − L(−t))/2 = c₁·t + c₃·t³ + c₅·t⁵ gives c₁. T halves from 3.2 until two spans agree to
    // 2e-3 (the higher-order terms left out no longer matter; the largest spans serve the smallest
    // gradients, e.g. AITM's attention biases, ‖a‖ ≈ 4e-6); a critic's output ReLU cannot be
    // frozen, so a span where an output switches on or off is skipped.
    let sites = model.dropoutSites.joined()
    for site in sites {
        site.givenMask = (0..<site.output.buffer.count).map { site.output.buffer.base[$0] > 0 ? 1 : 0 }
        site.appliesReLU = false
    }
    defer { for site in sites { site.givenMask = nil; site.appliesReLU = true } }
    let frozenOutputs = loss().zeroOutputs
    var directions: [[Double]?] = [], directional: [Double] = [], spans: [Double] = []
    for slot in model.layout.slots {
        let a = (0..<slot.count).map { Double(analytic[slot.offset + $0]) }
        let norm = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { directions.append(nil); directional.append(0); spans.append(0); continue }
        let u = a.map { $0 / norm }
        let saved = (0..<slot.count).map { model.values.base[slot.offset + $0] }
        func at(_ t: Double) -> (Double, UInt64) {
            for j in 0..<slot.count { model.values.base[slot.offset + j] = Float(Double(saved[j]) + t * u[j]) }
            defer { for j in 0..<slot.count { model.values.base[slot.offset + j] = saved[j] } }
            let l = loss()
            return (l.value, l.zeroOutputs)
        }
        func slope(_ span: Double) -> Double? {
            var ts: [Double] = [], odd: [Double] = []
            for j in 1...8 {
                let t = span * Double(j) / 8
                let (plus, pp) = at(t), (minus, pm) = at(-t)
                if pp != frozenOutputs || pm != frozenOutputs { return nil }
                ts.append(t)
                odd.append((plus - minus) / 2)
            }
            return leastSquaresSlope(ts, odd)
        }
        var derivative = Double.nan, found = 0.0, previous: Double? = nil
        var span = 3.2
        while span > 1e-4 {
            let d = slope(span)
            if let d, let previous, abs(d - previous) <= 2e-3 * abs(d) { derivative = d; found = span; break }
            previous = d
            span /= 2
        }
        directions.append(u)
        directional.append(derivative)
        spans.append(found)
    }
    // Leave the model's gradient as it was at θ.
    _ = loss()
    return FiniteDifferences(
        slots: model.layout.slots.map { ($0.name, $0.offset, $0.count) }, analytic: analytic, numeric: numeric, smooth: smooth,
        directions: directions, directional: directional, spans: spans)
}

/// c₁ of the least-squares fit y = c₁·t + c₃·t³ + c₅·t⁵ (the odd part of a smooth function on
/// a span where it has no kink).
func leastSquaresSlope(_ ts: [Double], _ ys: [Double]) -> Double {
    let scale = ts.max()!
    // Normal equations of the 3 × 3 fit in x = t / scale, solved by Cramer's rule.
    var m = [[Double]](repeating: [0, 0, 0], count: 3), v = [0.0, 0, 0]
    for (t, y) in zip(ts, ys) {
        let x = t / scale, basis = [x, x * x * x, x * x * x * x * x]
        for i in 0..<3 {
            v[i] += basis[i] * y
            for j in 0..<3 { m[i][j] += basis[i] * basis[j] }
        }
    }
    func det(_ a: [[Double]]) -> Double {
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    }
    var first = m
    for i in 0..<3 { first[i][0] = v[i] }
    return det(first) / det(m) / scale
}

func checkGradients(
    _ model: TrainableModel, batch: Batch, input: BatchInput? = nil, isTraining: Bool = false, mse: Bool = false
) -> GradientCheckReport {
    finiteDifferences(model, batch: batch, input: input, isTraining: isTraining, mse: mse).report()
}

/// `kind` at test sizes: `experts` for OMoE/MMoE, and PLE with `experts / 2` (at least 1) of each kind.
func testConfig(
    _ kind: ModelKind, cardinalities: [Int], tasks: Int = 2, embed: Int, bottom: [Int], tower: [Int], experts: Int
) -> ModelConfig {
    var c = ModelConfig(kind: kind, cardinalities: cardinalities, numericCount: 1, taskCount: tasks)
    c.embedDim = embed
    c.bottom = bottom
    c.tower = tower
    c.experts = experts
    c.sharedExperts = max(1, experts / 2)
    c.specificExperts = max(1, experts / 2)
    return c
}

/// A tiny configuration of `kind` for gradient checks: 3 fields, embed 4, small MLPs, no dropout.
func tinyConfig(_ kind: ModelKind, tasks: Int = 2, tower: [Int] = [5, 3]) -> ModelConfig {
    var c = testConfig(kind, cardinalities: [5, 4, 3], tasks: tasks, embed: 4, bottom: [8, 6], tower: tower, experts: 4)
    c.experts = 3
    c.dropout = 0
    c.freezesPaddingRow = false      // the frozen row has a loss derivative but no gradient by design
    return c
}

/// A random batch over `tinyConfig`'s fields.
func randomBatch(rows: Int, config c: ModelConfig, seed: UInt64) -> Batch {
    var rng = RandomGenerator(seed: seed)
    let data = Dataset(
        name: "random", categoricalNames: c.cardinalities.indices.map { "f\($0)" },
        categorical: c.cardinalities.map { card in (0..<rows).map { _ in Int32(rng.nextInt(below: card)) } },
        cardinalities: c.cardinalities, numericNames: ["x"], numeric: [(0..<rows).map { _ in rng.nextNormal() }],
        taskNames: (0..<c.taskCount).map { "t\($0)" },
        labels: (0..<c.taskCount).map { _ in (0..<rows).map { _ in rng.nextUniform() < 0.4 ? 1 : 0 } },
        sessions: (0..<rows).map { Int32($0 / 3) }, timestamps: (0..<rows).map { Int64($0) })
    let batch = Batch(capacity: rows, fieldCount: c.cardinalities.count, numericCount: 1, taskCount: c.taskCount)
    batch.gather(data, Array(0..<rows)[...])
    return batch
}

import RMTL

/// Finite-difference check of a model's parameter gradients on a fixed batch (dropout off).
///
/// The loss is the authors' mean BCE. A ReLU network is smooth except where a unit switches on or
/// off, so the check records the on/off pattern of every ReLU (the buffers the model builder registered) at θ−ε, θ
/// and θ+ε. Where the pattern is the same at all three, the loss is smooth on the interval and the
/// central difference must match the analytic gradient; where it changed, the entry sits at a kink
/// and is counted in `kinks` (tests cap that count). The report names the worst tensor, index and
/// both values, as llm.c's `check_tensor` does.
struct GradientCheckReport: CustomStringConvertible {
    var worstError = 0.0
    var worst = ""
    var checked = 0
    var kinks = 0
    var description: String { "checked \(checked) entries (\(kinks) at kinks); worst error \(worstError) at \(worst)" }
}

/// A fingerprint of the on/off state of every ReLU unit of `model` after a forward pass.
func reluPattern(_ model: TrainableModel) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for replica in model.reluOutputs {
        for a in replica {
            let p = a.buffer.base
            for i in 0..<a.buffer.count { h = (h ^ (p[i] > 0 ? 1 : 0)) &* 0x100_0000_01b3 }
        }
    }
    return h
}

/// With `isTraining`, dropout is on and every evaluation redraws the same masks (the generator
/// restarts from one seed), so the loss is a deterministic function and the dropout backward is checked.
/// `mse` scores outputs against the batch labels by mean squared error (critics) instead of BCE.
func checkGradients(
    _ model: TrainableModel, batch: Batch, input: BatchInput? = nil, epsilon: Float = 1e-2, samples: Int = 6,
    seed: UInt64 = 1, isTraining: Bool = false, mse: Bool = false
) -> GradientCheckReport {
    var rng = RandomGenerator(seed: seed)
    let input = input ?? batch.input
    func loss() -> (Double, UInt64) {
        var masks = RandomGenerator(seed: 77)
        let labels = batch.labels, rows = batch.rows
        let l = model.accumulateGradients(input, isTraining: isTraining, rng: &masks) { part, range, p, dp in
            mse ? meanSquaredError(p, labels, range, rows, dp) : meanBinaryCrossEntropy(part, range, p, labels, rows, dp)
        }
        return (l, reluPattern(model))
    }
    let (_, centerPattern) = loss()
    let analytic = model.gradient
    var report = GradientCheckReport()
    for slot in model.layout.slots {
        for _ in 0..<min(samples, slot.count) {
            let i = slot.offset + rng.nextInt(below: slot.count)
            let saved = model.values.base[i]
            model.values.base[i] = saved + epsilon
            let (plus, plusPattern) = loss()
            model.values.base[i] = saved - epsilon
            let (minus, minusPattern) = loss()
            model.values.base[i] = saved
            report.checked += 1
            if plusPattern != centerPattern || minusPattern != centerPattern { report.kinks += 1; continue }
            let numeric = (plus - minus) / Double(2 * epsilon)
            let a = Double(analytic[i])
            // The loss is Float: the central difference carries ≈ ulp(loss)/ε ≈ 1e-5 of rounding noise.
            let error = abs(numeric - a) / (max(abs(numeric), abs(a)) + 1e-3)
            if error > report.worstError {
                report.worstError = error
                report.worst = "\(slot.name)[\(i - slot.offset)]: analytic \(a), numeric \(numeric)"
            }
        }
    }
    return report
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
func tinyConfig(_ kind: ModelKind, tasks: Int = 2) -> ModelConfig {
    var c = testConfig(kind, cardinalities: [5, 4, 3], tasks: tasks, embed: 4, bottom: [8, 6], tower: [5, 3], experts: 4)
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

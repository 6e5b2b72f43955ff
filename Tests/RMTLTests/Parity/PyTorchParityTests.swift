import Foundation
import RMTL
import Testing

/// rmtl against PyTorch: the fixtures (scripts/torch/make_fixtures.py) hold a small model's initial
/// weights, one batch, PyTorch's outputs, loss, every parameter gradient, and 5 Adam steps. Loading
/// the same weights by state_dict name, rmtl must reproduce all of it: outputs, losses and the weights
/// after Adam to 1e-4 relative (plus 1e-6 absolute, for values that are zero up to Float rounding),
/// every gradient tensor to 1e-5 of that tensor's RMS (`compareScaled`), tight enough that a 0.1%
/// scaling error of any one gradient tensor fails (`aScaledGradientTensorFailsParity`).
@Suite("PyTorch parity") struct PyTorchParityTests {
    static func expectMatch(_ name: String, expected: [Float], actual: [Float]) {
        let c = compare(name, expected: expected, actual: actual)
        #expect(c.passed, "\(c)")
    }

    /// The fixture's model in rmtl, with PyTorch's initial weights.
    static func model(_ kind: ModelKind, _ fixture: ParityFixture, threads: Int) throws -> TrainableModel {
        let f = fixture.config
        var config = ModelConfig(kind: kind, cardinalities: f.fieldDims, numericCount: f.numericalCount, taskCount: f.taskCount)
        config.embedDim = f.embedDim
        config.bottom = f.bottom
        config.tower = f.tower
        config.experts = f.expertCount
        config.sharedExperts = f.expertCount / 2       // the authors' run.py: expert_num/2 each
        config.specificExperts = f.expertCount / 2
        config.dropout = f.dropout
        var rng = RandomGenerator(seed: 0)
        let model = try TrainableModel(config, batchCapacity: f.batch, threads: threads, rng: &rng)
        try load(fixture, into: model)
        return model
    }

    static func load(_ fixture: ParityFixture, prefix: String = "", into model: TrainableModel) throws {
        #expect(Set(fixture.parameterNames) == Set(model.layout.slots.map(\.name)), "state_dict names differ")
        for name in fixture.parameterNames { try model.setTensor(name, try fixture.values(prefix + name)) }
    }

    static func batch(_ fixture: ParityFixture) throws -> Batch {
        let rows = fixture.config.batch
        let data = try fixture.dataset()
        let batch = Batch(capacity: rows, fieldCount: fixture.config.fieldDims.count, numericCount: 1, taskCount: fixture.config.taskCount)
        batch.gather(data, Array(0..<rows)[...])
        return batch
    }

    /// Every gradient tensor against a tolerance scaled to its own RMS (`compareScaled`), and a
    /// one-line summary of how much of that tolerance the worst tensor used.
    static func expectGradientsMatch(_ what: String, _ gradients: [(name: String, expected: [Float], actual: [Float])]) {
        var worst: Float = 0, worstName = ""
        for g in gradients {
            let c = compareScaled("\(what) grad.\(g.name)", expected: g.expected, actual: g.actual)
            #expect(c.passed, "\(c)")
            if c.toleranceUsed > worst { worst = c.toleranceUsed; worstName = g.name }
        }
        print("parity \(what): \(gradients.count) gradient tensors, worst uses \(worst) of its tolerance (\(worstName))")
    }

    /// The parity check must see a 0.1% scaling error of any single gradient tensor: scale one
    /// tensor of rmtl's own gradients at a time (up and down) and expect `compareScaled` to report it,
    /// and only it. A tensor that is exactly zero in PyTorch cannot carry a scaling error; it is
    /// instead checked to be exactly zero (within the floor) by the comparison itself.
    static func expectScalingErrorsCaught(_ what: String, _ gradients: [(name: String, expected: [Float], actual: [Float])]) {
        var caught = 0, zero = 0
        for (k, g) in gradients.enumerated() {
            if g.expected.allSatisfy({ $0 == 0 }) { zero += 1; continue }
            for factor: Float in [1.001, 0.999] {
                let scaled = g.actual.map { $0 * factor }
                let c = compareScaled("\(what) grad.\(g.name) ×\(factor)", expected: g.expected, actual: scaled)
                #expect(!c.passed, "a \(factor) scaling of \(g.name) passed parity: \(c)")
                if !c.passed { caught += 1 }
            }
            // The others still pass: the comparison pins the error on this tensor.
            let others = gradients.indices.filter { $0 != k }
            #expect(others.allSatisfy { compareScaled("", expected: gradients[$0].expected, actual: gradients[$0].actual).passed })
        }
        #expect(caught > 0)
        print("parity \(what): 0.1% scaling caught in \(caught / 2) of \(gradients.count - zero) non-zero gradient tensors (\(zero) all-zero)")
    }

    /// What rmtl computes on a fixture's batch: outputs, loss and every gradient, beside PyTorch's.
    struct Run {
        let fixture: ParityFixture
        let probabilities: [Float]
        let loss: Float
        let gradients: [(name: String, expected: [Float], actual: [Float])]

        /// Outputs and loss to 1e-4 relative, gradients to 1e-5 of their RMS.
        var comparisons: [TensorComparison] {
            get throws {
                [compare("\(fixture.model) probabilities", expected: try fixture.values("output.probabilities"), actual: probabilities),
                 compare("\(fixture.model) loss", expected: try fixture.values("loss"), actual: [loss])]
                    + gradients.map { compareScaled("\(fixture.model) grad.\($0.name)", expected: $0.expected, actual: $0.actual) }
            }
        }
    }

    /// Runs the fixture `parity_<name>.safetensors` (the model's own by default). A fixture with
    /// dropout runs in training mode with PyTorch's masks (`DropoutParityTests.giveMasks`), then
    /// `alterMasks` (for tests that must see a changed mask fail).
    static func run(
        _ kind: ModelKind, fixture name: String? = nil, threads: Int, alterMasks: (TrainableModel) -> Void = { _ in }
    ) throws -> Run {
        let fixture = try ParityFixture.load(name ?? kind.rawValue)
        let model = try Self.model(kind, fixture, threads: threads)
        let isTraining = fixture.config.dropout > 0
        if isTraining {
            try DropoutParityTests.giveMasks(fixture, to: model)
            alterMasks(model)
        }
        let batch = try Self.batch(fixture)
        let rows = batch.rows, tasks = fixture.config.taskCount
        var rng = RandomGenerator(seed: 1)
        var probabilities = [Float](repeating: 0, count: tasks * rows)
        let labels = batch.labels
        let loss = probabilities.withUnsafeMutableBufferPointer { out in
            let out = UncheckedSendable(out)
            return model.accumulateGradients(batch, isTraining: isTraining, rng: &rng) { part, range, p, dp in
                for r in 0..<p.rows { for t in 0..<tasks { out.value[t * rows + range.lowerBound + r] = p[r, t] } }
                return meanBinaryCrossEntropy(part, range, p, labels, rows, dp)
            }
        }
        return Run(fixture: fixture, probabilities: probabilities, loss: Float(loss),
                   gradients: try fixture.parameterNames.map { ($0, try fixture.grad($0), model.gradient(of: $0)!) })
    }

    /// rmtl's gradients on a fixture's batch, after checking its outputs and loss.
    static func gradients(_ kind: ModelKind, fixture name: String? = nil, threads: Int) throws -> [(name: String, expected: [Float], actual: [Float])] {
        let run = try Self.run(kind, fixture: name, threads: threads)
        for c in try run.comparisons.prefix(2) { #expect(c.passed, "\(c)") }
        return run.gradients
    }

    @Test(arguments: ModelKind.allCases, [1, 2])
    func outputsLossAndGradientsMatch(_ kind: ModelKind, threads: Int) throws {
        Self.expectGradientsMatch("\(kind) \(threads) threads", try Self.gradients(kind, threads: threads))
    }

    @Test(arguments: ModelKind.allCases)
    func aScaledGradientTensorFailsParity(_ kind: ModelKind) throws {
        Self.expectScalingErrorsCaught("\(kind)", try Self.gradients(kind, threads: 2))
    }

    @Test(arguments: ModelKind.allCases)
    func fiveAdamStepsMatch(_ kind: ModelKind) throws {
        let fixture = try ParityFixture.load(kind.rawValue)
        let model = try Self.model(kind, fixture, threads: 2)
        let batch = try Self.batch(fixture)
        let adam = Adam(count: model.values.count, learningRate: 1e-3, weightDecay: 1e-6)
        var rng = RandomGenerator(seed: 1)
        var losses: [Float] = []
        let labels = batch.labels, rows = batch.rows
        for _ in 0..<5 {
            losses.append(Float(model.accumulateGradients(batch, isTraining: false, rng: &rng) { part, range, p, dp in
                meanBinaryCrossEntropy(part, range, p, labels, rows, dp)
            }))
            model.applyGradients(adam)
        }
        Self.expectMatch("\(kind) losses of 5 Adam steps", expected: try fixture.values("adam.losses"), actual: losses)
        for (name, _, values) in model.tensors() {
            Self.expectMatch("\(kind) adam.\(name)", expected: try fixture.adam(name), actual: values)
        }
    }

    /// One critic TD update as the authors' code does it (`mode=code`): Q(s, a), the target
    /// y = r + 0.9·(1 − done)·min(Q_target(s′, a′), Q(s′, a′)), MSE, and 5 Adam steps with no
    /// weight decay (the authors' critic optimiser), the target held fixed.
    @Test func criticTemporalDifferenceStepMatches() throws {
        let fixture = try ParityFixture.load("critic")
        let f = fixture.config, rows = f.batch, fields = f.fieldDims.count
        var config = CriticConfig(cardinalities: f.fieldDims, numericCount: f.numericalCount)
        config.embedDim = f.embedDim
        config.bottom = f.bottom
        config.tower = f.tower
        config.dropout = 0
        var rng = RandomGenerator(seed: 0)
        let online = try TrainableModel(batchCapacity: rows, threads: 2, rng: &rng) { Critic(config, &$0) }
        let target = try TrainableModel(batchCapacity: rows, threads: 2, rng: &rng) { Critic(config, &$0) }
        try Self.load(fixture, into: online)
        try Self.load(fixture, prefix: "target.", into: target)

        let now = try OwnedInput(fixture, "input.state", "input.state_numerical", "input.action")
        let next = try OwnedInput(fixture, "input.next_state", "input.next_state_numerical", "input.next_action")
        func q(_ model: TrainableModel, _ input: BatchInput) -> [Float] {
            var out = [Float](repeating: 0, count: rows)
            out.withUnsafeMutableBufferPointer { o in
                let o = UncheckedSendable(o)
                var unused = RandomGenerator(seed: 0)
                _ = model.accumulateGradients(input, isTraining: false, rng: &unused) { _, range, q, dq in
                    for r in 0..<q.rows { o.value[range.lowerBound + r] = q[r, 0]; dq[r, 0] = 0 }
                    return 0
                }
            }
            return out
        }
        let nextOnline = q(online, next.batch), nextTarget = q(target, next.batch)
        Self.expectMatch("critic next_q_online", expected: try fixture.values("output.next_q_online"), actual: nextOnline)
        Self.expectMatch("critic next_q_target", expected: try fixture.values("output.next_q_target"), actual: nextTarget)
        let reward = try fixture.values("input.reward"), done = try fixture.values("input.done")
        let adam = Adam(count: online.values.count, learningRate: 1e-3, weightDecay: 0)
        var losses: [Float] = []
        for step in 0..<5 {
            let nextOnline = q(online, next.batch)
            let y = (0..<rows).map { reward[$0] + 0.9 * (1 - done[$0]) * min(nextTarget[$0], nextOnline[$0]) }
            if step == 0 {
                Self.expectMatch("critic td_target", expected: try fixture.values("output.td_target"), actual: y)
                Self.expectMatch("critic q", expected: try fixture.values("output.q"), actual: q(online, now.batch))
            }
            let targets = Activation(capacity: rows, columns: 1)
            targets.buffer.copy(from: y)
            let t = targets.matrix(rows: rows)
            var unused = RandomGenerator(seed: 0)
            let loss = online.accumulateGradients(now.batch, isTraining: false, rng: &unused) { _, range, q, dq in
                meanSquaredError(q, t, range, rows, dq)
            }
            losses.append(Float(loss))
            if step == 0 {
                Self.expectMatch("critic loss", expected: try fixture.values("loss"), actual: [Float(loss)])
                let gradients = try fixture.parameterNames.map { ($0, try fixture.grad($0), online.gradient(of: $0)!) }
                Self.expectGradientsMatch("critic", gradients)
                Self.expectScalingErrorsCaught("critic", gradients)
            }
            online.applyGradients(adam)
        }
        Self.expectMatch("critic losses of 5 Adam steps", expected: try fixture.values("adam.losses"), actual: losses)
        for (name, _, values) in online.tensors() {
            Self.expectMatch("critic adam.\(name)", expected: try fixture.adam(name), actual: values)
        }
    }
}

/// A critic batch read from a fixture, owning its buffers.
private final class OwnedInput {
    let ids: UnsafeMutablePointer<Int32>
    let numeric: Activation, actions: Activation
    let batch: BatchInput

    init(_ fixture: ParityFixture, _ state: String, _ numericName: String, _ actionName: String) throws {
        let rows = fixture.config.batch, fields = fixture.config.fieldDims.count
        let values = try fixture.ids(state).map(Int32.init)
        ids = .allocate(capacity: values.count)
        ids.initialize(from: values, count: values.count)
        numeric = Activation(capacity: rows, columns: 1)
        actions = Activation(capacity: rows, columns: 1)
        numeric.buffer.copy(from: try fixture.values(numericName))
        actions.buffer.copy(from: try fixture.values(actionName))
        batch = BatchInput(ids: ids, fieldCount: fields, numeric: numeric.matrix(rows: rows), actions: actions.matrix(rows: rows))
    }

    deinit { ids.deallocate() }
}

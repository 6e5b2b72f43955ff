import Foundation
import RMTL
import Testing

/// The RL stage against PyTorch (issue 6): from identical weights and batches, one whole critic
/// update as `RLAgent.trainCritic` performs it (code and paper mode, including the actor's forward
/// for a′, the TD target, the Adam step and the soft update that follows step 0), a soft update on
/// its own, and one RMTL-weighted actor step through `RLAgent.fineTune`, all to 1e-4 relative.
/// Fixtures: scripts/torch/make_fixtures.py (`rl_code`, `rl_paper`, `rmtl_step`, `critic`).
@Suite("PyTorch parity: RL") struct RLParityTests {
    static func expectMatch(_ name: String, expected: [Float], actual: [Float]) {
        let c = compare(name, expected: expected, actual: actual)
        if ProcessInfo.processInfo.environment["RMTL_PARITY_VERBOSE"] != nil { print(c) }
        #expect(c.passed, "\(c)")
    }

    static func modelConfig(_ f: ParityFixture.Config) -> ModelConfig {
        var config = ModelConfig(kind: .esmm, cardinalities: f.fieldDims, numericCount: f.numericalCount, taskCount: f.taskCount)
        config.embedDim = f.embedDim
        config.bottom = f.bottom
        config.tower = f.tower
        config.dropout = 0
        return config
    }

    static func criticConfig(_ f: ParityFixture.Config) -> CriticConfig {
        var config = CriticConfig(cardinalities: f.fieldDims, numericCount: f.numericalCount)
        config.embedDim = f.embedDim
        config.bottom = f.bottom
        config.tower = f.tower
        config.dropout = 0
        return config
    }

    static func names(_ fixture: ParityFixture, _ key: String) -> [String] {
        (fixture.file.metadata[key] ?? "").split(separator: ",").map(String.init)
    }

    /// An ESMM actor with the fixture's `prefix` weights.
    static func actor(_ fixture: ParityFixture, prefix: String, threads: Int) throws -> TrainableModel {
        var rng = RandomGenerator(seed: 0)
        let actor = try TrainableModel(modelConfig(fixture.config), batchCapacity: fixture.config.batch, threads: threads, rng: &rng)
        let names = names(fixture, prefix.isEmpty ? "parameters" : "actor_parameters")
        #expect(Set(names) == Set(actor.layout.slots.map(\.name)), "actor state_dict names differ")
        for name in names { try actor.setTensor(name, try fixture.values(prefix + name)) }
        return actor
    }

    static func load(_ fixture: ParityFixture, prefix: String, into model: TrainableModel) throws {
        #expect(Set(fixture.parameterNames) == Set(model.layout.slots.map(\.name)), "critic state_dict names differ")
        for name in fixture.parameterNames { try model.setTensor(name, try fixture.values(prefix + name)) }
    }

    /// Rows 0..<B are the fixture's states, rows B..<2B its next states.
    static func transitions(_ fixture: ParityFixture) throws -> Dataset {
        let f = fixture.config, rows = f.batch, fields = f.fieldDims.count
        let ids = try fixture.ids("input.state") + fixture.ids("input.next_state")
        let numeric = try fixture.values("input.state_numerical") + fixture.values("input.next_state_numerical")
        return Dataset(
            name: "rl-fixture", categoricalNames: (0..<fields).map { "f\($0)" },
            categorical: (0..<fields).map { c in (0..<(2 * rows)).map { Int32(ids[$0 * fields + c]) } }, cardinalities: f.fieldDims,
            numericNames: ["x"], numeric: [numeric], taskNames: ["ctr", "ctcvr"],
            labels: Array(repeating: Array(repeating: 0, count: 2 * rows), count: 2),
            sessions: Array(repeating: 0, count: 2 * rows), timestamps: Array(repeating: 0, count: 2 * rows))
    }

    /// One `trainCritic` step on a buffer holding exactly the fixture's batch, against PyTorch.
    @Test(arguments: [RMTLMode.code, .paper], [1, 2])
    func criticUpdateStepMatches(_ mode: RMTLMode, threads: Int) throws {
        let fixture = try ParityFixture.load("rl_\(mode.rawValue)")
        let f = fixture.config, rows = f.batch
        var settings = RMTLSettings(mode: mode)
        settings.batchSize = rows
        settings.bufferCapacity = rows
        settings.criticInit = .faithful     // keep the fixture's critics
        settings.nextActionNoise = 0        // the noise is rmtl's RNG; PyTorch cannot draw it
        settings.criticEpochs = 1
        #expect(Float(fixture.file.metadata["gamma"] ?? "") == settings.gamma)
        #expect((fixture.file.metadata["td_target"] ?? "") == settings.tdTarget.rawValue)
        #expect((fixture.file.metadata["structure"] ?? "") == settings.criticStructure.rawValue)
        #expect((fixture.file.metadata["normalizes_states"] ?? "") == String(settings.normalizesStates))
        let actor = try Self.actor(fixture, prefix: "actor.", threads: threads)
        var rng = RandomGenerator(seed: 7)
        let agent = try RLAgent(actor: actor, settings: settings, criticConfig: Self.criticConfig(f), rng: &rng)
        for i in agent.critics.indices {
            try Self.load(fixture, prefix: "critic.\(i).", into: agent.critics[i])
            try Self.load(fixture, prefix: "target.\(i).", into: agent.targets[i])
        }
        let data = try Self.transitions(fixture)
        let actions = try fixture.values("input.action"), rewards = try fixture.values("input.reward")
        let done = try fixture.values("input.done")
        for r in 0..<rows {
            agent.buffer.append(row: r, next: rows + r, of: data, actions: Array(actions[(2 * r)..<(2 * r + 2)]),
                                rewards: Array(rewards[(2 * r)..<(2 * r + 2)]), isDone: done[r] != 0)
        }
        if mode == .paper {
            // Raw next states: a′ = actor(s′) is observable through `predict`.
            let p = actor.predict(data.rows(rows..<(2 * rows)))
            let expected = try fixture.values("output.next_action")
            Self.expectMatch("\(mode) next action", expected: expected, actual: (0..<rows).flatMap { r in [p[0][r], p[1][r]] })
        }
        let reports = try agent.trainCritic(epochs: 1, rng: &rng)
        #expect(reports.count == 1 && reports[0].steps == 1)
        #expect(agent.totalSteps == 1)
        Self.expectMatch("\(mode) TD loss", expected: try fixture.values("loss"), actual: [Float(reports[0].tdLoss)])
        let q = try fixture.values("output.q")
        Self.expectMatch("\(mode) mean Q(s, a)", expected: [q.reduce(0, +) / Float(q.count)], actual: [Float(reports[0].meanQ)])
        for i in agent.critics.indices {
            let gradients = try fixture.parameterNames.map { ($0, try fixture.values("grad.\(i).\($0)"), agent.critics[i].gradient(of: $0)!) }
            PyTorchParityTests.expectGradientsMatch("\(mode) critic \(i), \(threads) threads", gradients)
            PyTorchParityTests.expectScalingErrorsCaught("\(mode) critic \(i)", gradients)
            for (name, _, values) in agent.critics[i].tensors() {
                Self.expectMatch("\(mode) critic \(i) after Adam \(name)", expected: try fixture.values("adam.\(i).\(name)"), actual: values)
            }
            for (name, _, values) in agent.targets[i].tensors() {
                Self.expectMatch("\(mode) target \(i) after soft update \(name)",
                                 expected: try fixture.values("soft_update.\(i).\(name)"), actual: values)
            }
        }
    }

    /// The soft update alone, `target ← 0.2·online + 0.8·target`, on the critic fixture's tensors:
    /// online = the critic after its 5 Adam steps, target = `target.*`, expected `soft_update.target.*`.
    @Test func softUpdateMatches() throws {
        let fixture = try ParityFixture.load("critic")
        let f = fixture.config
        var config = CriticConfig(cardinalities: f.fieldDims, numericCount: f.numericalCount)
        config.embedDim = f.embedDim
        config.bottom = f.bottom
        config.tower = f.tower
        config.dropout = 0
        var rng = RandomGenerator(seed: 0)
        let online = try TrainableModel(batchCapacity: f.batch, threads: 1, rng: &rng) { Critic(config, &$0) }
        let target = try TrainableModel(batchCapacity: f.batch, threads: 1, rng: &rng) { Critic(config, &$0) }
        try Self.load(fixture, prefix: "adam.", into: online)
        try Self.load(fixture, prefix: "target.", into: target)
        let before = target.values.array
        softUpdate(target: target.values, online: online.values, tau: Float(fixture.file.metadata["tau"] ?? "") ?? .nan)
        #expect(target.values.array != before)
        for (name, _, values) in target.tensors() {
            Self.expectMatch("soft update \(name)", expected: try fixture.values("soft_update.target.\(name)"), actual: values)
        }
    }

    /// One RMTL-weighted actor step through `fineTune` (one epoch of one batch): the loss
    /// `mean_k mean_b((1 − λ·Q_k(s, ŷ_k))·BCE(ŷ_k, y_k))` with Q detached, every actor gradient and
    /// the weights after one fresh Adam step (lr 1e-3, wd 1e-6).
    @Test(arguments: [1, 2])
    func rmtlWeightedActorStepMatches(threads: Int) throws {
        let fixture = try ParityFixture.load("rmtl_step")
        let f = fixture.config, rows = f.batch
        let lambda = Float(fixture.file.metadata["lambda"] ?? "") ?? .nan
        let actor = try Self.actor(fixture, prefix: "", threads: threads)
        var settings = RMTLSettings(mode: .code)
        settings.batchSize = rows
        settings.bufferCapacity = rows
        var rng = RandomGenerator(seed: 3)
        let agent = try RLAgent(actor: actor, settings: settings, criticConfig: Self.criticConfig(f), rng: &rng)
        let criticNames = Self.names(fixture, "critic_parameters")
        for i in agent.critics.indices {
            for name in criticNames { try agent.critics[i].setTensor(name, try fixture.values("critic.\(i).\(name)")) }
        }
        let data = try fixture.dataset()
        // Q of the starting predictions, as the weights see them.
        let q = agent.criticValues(on: data)
        Self.expectMatch("Q_k(s, ŷ_k)", expected: try fixture.values("output.q"), actual: (0..<rows).flatMap { r in [q[0][r], q[1][r]] })
        var config = TrainConfig()
        config.epochs = 1
        config.batchSize = rows
        config.learningRate = 1e-3
        config.weightDecay = 1e-6
        var losses: [Double] = []
        try agent.fineTune(train: data, validation: data, config: config, lambda: lambda, rng: &rng, onStep: { _, _, l in losses.append(l) })
        #expect(losses.count == 1)
        Self.expectMatch("RMTL loss", expected: try fixture.values("loss"), actual: losses.map(Float.init))
        let gradients = try fixture.parameterNames.map { ($0, try fixture.grad($0), actor.gradient(of: $0)!) }
        PyTorchParityTests.expectGradientsMatch("RMTL step, \(threads) threads", gradients)
        PyTorchParityTests.expectScalingErrorsCaught("RMTL step", gradients)
        for (name, _, values) in actor.tensors() {
            Self.expectMatch("RMTL adam.\(name)", expected: try fixture.adam(name), actual: values)
        }
    }
}

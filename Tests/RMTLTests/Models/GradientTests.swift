import Testing
import RMTL

@Suite("Finite-difference gradients") struct GradientTests {
    @Test(arguments: ModelKind.allCases, [1, 2])
    func modelGradientsMatchFiniteDifferences(_ kind: ModelKind, threads: Int) throws {
        var rng = RandomGenerator(seed: 11)
        let config = tinyConfig(kind)
        let model = try TrainableModel(config, batchCapacity: 7, threads: threads, rng: &rng)
        let report = checkGradients(model, batch: randomBatch(rows: 7, config: config, seed: 5))
        print("gradient check \(kind), \(threads) threads: \(report)")
        #expect(report.worstError < 1e-2, "\(kind) \(report)")
        #expect(report.checked > 20 && report.kinks * 5 < report.checked, "\(kind) \(report)")
    }

    @Test(arguments: [3, 4])
    func gradientsWithMoreTasks(_ tasks: Int) throws {
        for kind in ModelKind.allCases where kind != .esmm {
            var rng = RandomGenerator(seed: 3)
            let config = tinyConfig(kind, tasks: tasks)
            let model = try TrainableModel(config, batchCapacity: 5, threads: 1, rng: &rng)
            let report = checkGradients(model, batch: randomBatch(rows: 5, config: config, seed: 9))
            #expect(report.worstError < 1e-2, "\(kind) with \(tasks) tasks: \(report)")
            #expect(report.kinks * 5 < report.checked, "\(kind) with \(tasks) tasks: \(report)")
        }
    }

    @Test func paddingRowGetsNoGradient() throws {
        var rng = RandomGenerator(seed: 2)
        var config = tinyConfig(.sharedbottom)
        config.freezesPaddingRow = true
        let model = try TrainableModel(config, batchCapacity: 6, threads: 1, rng: &rng)
        let batch = randomBatch(rows: 6, config: config, seed: 4)
        let labels = batch.labels
        _ = model.accumulateGradients(batch, isTraining: false, rng: &rng) { part, range, p, dp in
            meanBinaryCrossEntropy(part, range, p, labels, 6, dp)
        }
        let g = try #require(model.gradient(of: "embedding.embedding.weight"))
        #expect(g[0..<4].allSatisfy { $0 == 0 })          // row 0 (field 0, id 0): frozen
        #expect(g[4..<g.count].contains { $0 != 0 })
    }
}

@Suite("Finite-difference gradients: dropout and critic") struct MoreGradientTests {
    @Test(arguments: [ModelKind.sharedbottom, .mmoe, .ple, .aitm])
    func dropoutBackwardMatchesItsForwardMask(_ kind: ModelKind) throws {
        var rng = RandomGenerator(seed: 21)
        var config = tinyConfig(kind)
        config.dropout = 0.3
        let model = try TrainableModel(config, batchCapacity: 8, threads: 2, rng: &rng)
        let report = checkGradients(model, batch: randomBatch(rows: 8, config: config, seed: 6), isTraining: true)
        #expect(report.worstError < 1e-2, "\(kind) with dropout: \(report)")
        #expect(report.kinks * 4 < report.checked, "\(kind) with dropout: \(report)")
    }

    @Test func criticGradientsMatchFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 8)
        var config = CriticConfig(cardinalities: [5, 4, 3], numericCount: 1)
        config.embedDim = 4
        config.bottom = [8, 6]
        config.tower = [5, 3]
        config.dropout = 0
        config.freezesPaddingRow = false
        let critic = try TrainableModel(batchCapacity: 9, threads: 2, rng: &rng) { Critic(config, &$0) }
        // Q = −ReLU(z) is 0 wherever z ≤ 0: scale the last layer up so most rows are alive.
        let last = critic.layout.slot(named: "tower.mlp.6.bias")!
        critic.values.base[last.offset] = 0.5
        let model = tinyConfig(.sharedbottom)
        let batch = randomBatch(rows: 9, config: model, seed: 3)
        let actions = Activation(capacity: 9, columns: 1)
        for r in 0..<9 { actions.matrix(rows: 9)[r, 0] = rng.nextUniform() }
        // Targets in the label columns: negative values, as Q ≤ 0.
        for r in 0..<9 { batch.labels[r, 0] = -rng.nextUniform() }
        let report = checkGradients(critic, batch: batch, input: batch.input.with(actions: actions.matrix(rows: 9)), mse: true)
        #expect(report.worstError < 1e-2, "critic: \(report)")
        #expect(report.checked > 40 && report.kinks * 5 < report.checked, "critic: \(report)")
        #expect(critic.gradient(of: "action_layer.weight")!.contains { $0 != 0 })
    }
}

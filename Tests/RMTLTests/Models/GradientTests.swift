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

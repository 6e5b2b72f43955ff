import Foundation
import Testing
import RMTL

/// Longer runs that report numbers rather than check them; off by default (they take minutes).
/// `RMTL_RL_DEMO=1 swift test -c release --disable-testable-imports --disable-xctest --filter RLDemo`
@Suite("RL demo runs (RMTL_RL_DEMO=1)", .enabled(if: ProcessInfo.processInfo.environment["RMTL_RL_DEMO"] != nil))
struct RLDemoTests {
    /// Pretrain ESMM → buffer → critics → RMTL λ = 0.7 vs the λ = 0 control, on planted-signal
    /// data, over seeds and both modes. Prints test metrics; asserts nothing about who wins.
    @Test func plantedSignalOverSeeds() throws {
        let splits = PlantedSignal.splits(rows: 60_000, seed: 31)
        for mode in RMTLMode.allCases {
            var deltas: [[Double]] = []
            for seed: UInt64 in 1...3 {
                var o = RMTLPipeline.Options()
                o.embedDim = 16
                o.bottom = [64, 32]
                o.tower = [32, 16]
                o.pretrain.batchSize = 512
                o.fineTune.batchSize = 512
                o.fineTune.epochs = 10
                o.seed = seed
                var s = RMTLSettings(mode: mode)
                s.batchSize = 512
                s.bufferCapacity = 100_000
                s.warmupEpisodes = 20_000
                s.criticEpochs = 10
                s.lambda = 0.7
                let r = try RMTLPipeline.run(splits, settings: s, options: o)
                print("mode=\(mode) seed=\(seed)\n\(r)")
                deltas.append((0..<2).flatMap { t in [r.rmtl[t].auc - r.control[t].auc, r.rmtl[t].logLoss - r.control[t].logLoss] })
            }
            let mean = (0..<4).map { i in deltas.map { $0[i] }.reduce(0, +) / Double(deltas.count) }
            print("mode=\(mode): RMTL − control over 3 seeds (ctr auc, ctr logloss, ctcvr auc, ctcvr logloss): \(mean)")
        }
    }

    /// D-PLE-style baseline: pretrain ESMM, train the critics, then DDPG actor updates; test metrics
    /// before and after (paper-mode critics, code-mode critics).
    @Test func ddpgOnPlantedSignal() throws {
        let splits = PlantedSignal.splits(rows: 60_000, seed: 31)
        for mode in RMTLMode.allCases {
            var config = ModelConfig(kind: .esmm, cardinalities: splits.train.cardinalities, numericCount: 1, taskCount: 2)
            config.embedDim = 16
            config.bottom = [64, 32]
            config.tower = [32, 16]
            var rng = RandomGenerator(seed: 1)
            let actor = try TrainableModel(config, batchCapacity: 512, threads: 2, rng: &rng)
            var train = TrainConfig()
            train.batchSize = 512
            try SupervisedTrainer(config: train).train(actor, train: splits.train, validation: splits.validation, rng: &rng)
            let before = actor.evaluate(on: splits.test)
            var s = RMTLSettings(mode: mode)
            s.batchSize = 512
            s.bufferCapacity = 100_000
            s.warmupEpisodes = 20_000
            s.criticEpochs = 10
            s.keepBest = false
            let agent = try RLAgent(actor: actor, settings: s, rng: &rng)
            try agent.warmUp(on: splits.train, rng: &rng)
            try agent.trainCritic(rng: &rng)
            let reports = try agent.trainDDPG(validation: splits.validation, epochs: 2, rng: &rng)
            let after = actor.evaluate(on: splits.test)
            print("ddpg mode=\(mode): " + reports.map { "epoch \($0.epoch): \($0.actorSteps) actor steps, TD \($0.tdLoss), policy Q \($0.meanPolicyQ), val auc \($0.meanAUC)" }.joined(separator: "; "))
            print("ddpg mode=\(mode): test before " + before.map { "\($0.task) auc \($0.auc) logloss \($0.logLoss)" }.joined(separator: ", ")
                  + " | after " + after.map { "\($0.task) auc \($0.auc) logloss \($0.logLoss)" }.joined(separator: ", "))
        }
    }

    /// Seconds per critic step (two CriticNegs, TD target with the ESMM actor's forward, min rule,
    /// dropout on) at the paper's sizes, batch 2048, 2 threads.
    @Test func criticStepTimingAtPaperSizes() throws {
        let data = PlantedSignal.make(rows: 40_000, cardinalities: Benchmark.paperCardinalities, seed: 3)
        var config = ModelConfig(kind: .esmm, cardinalities: data.cardinalities, numericCount: 1, taskCount: 2)
        config.embedDim = 128
        var rng = RandomGenerator(seed: 1)
        let actor = try TrainableModel(config, batchCapacity: 2048, threads: 2, rng: &rng)
        var s = RMTLSettings(mode: .code)
        s.bufferCapacity = 20_480
        s.aliveSampleSize = 256
        for mode in RMTLMode.allCases {
            var m = RMTLSettings(mode: mode)
            m.bufferCapacity = s.bufferCapacity
            m.aliveSampleSize = 256
            m.criticInit = .faithful
            let agent = try RLAgent(actor: actor, settings: m, rng: &rng)
            try agent.warmUp(on: data, episodes: 8000, rng: &rng)
            try agent.checkCritics(rng: &rng)
            let start = DispatchTime.now().uptimeNanoseconds
            let reports = try agent.trainCritic(epochs: 1, rng: &rng)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print("critic step, mode=\(mode): \(seconds / Double(reports[0].steps)) s/step over \(reports[0].steps) steps of 2048")
        }
    }
}

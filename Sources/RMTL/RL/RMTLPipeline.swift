import Foundation

/// The whole RMTL recipe end to end, for the quickstart and tests (rmtl-reference.md §3.1):
/// pretrain an actor → fill the replay buffer → train the critics → fine-tune with the RMTL loss,
/// next to the honest control (the same fine-tuning with λ = 0), all from the same pretrained
/// weights and the same fine-tuning seed, reported on the test split.
public enum RMTLPipeline {
    public struct Options: Sendable {
        public var actor: ModelKind = .esmm
        public var embedDim = 128
        public var bottom = [512, 256]
        public var tower = [128, 64]
        public var pretrain = TrainConfig()
        public var fineTune = TrainConfig()
        public var threads = 2
        public var seed: UInt64 = 2022
        public init() {}
    }

    public struct Result: Sendable, CustomStringConvertible {
        public var pretrained: [TaskMetrics]
        public var control: [TaskMetrics]
        public var rmtl: [TaskMetrics]
        public var lambda: Float
        public var warmup: WarmupReport
        public var critic: [CriticEpochReport]
        /// Per task, on validation with the pretrained actor's own actions and the raw inputs the
        /// loss sees: the mean Q and the fraction of rows with Q < 0 (a weight other than 1).
        public var meanQAtUse: [Double]
        public var aliveAtUse: [Double]
        public var controlEpochs: Int
        public var rmtlEpochs: Int

        public var description: String {
            func line(_ name: String, _ m: [TaskMetrics]) -> String {
                name.padding(toLength: 22, withPad: " ", startingAt: 0) + m.map {
                    "\($0.task) auc \(fmt($0.auc)) logloss \(fmt($0.logLoss)) s-logloss \(fmt($0.sessionLogLoss))"
                }.joined(separator: " | ")
            }
            let c = critic.last
            return [
                "buffer: \(warmup.bufferCount) transitions from \(warmup.episodes) episodes; mean reward \(warmup.meanReward.map(fmt))",
                "critic: \(critic.count) epochs, TD loss \(fmt(critic.first?.tdLoss ?? .nan)) → \(fmt(c?.tdLoss ?? .nan)), mean Q \(fmt(c?.meanQ ?? .nan)), alive \(c?.aliveFractions.map(fmt) ?? [])",
                "at use (validation, raw inputs): mean Q \(meanQAtUse.map(fmt)), Q < 0 on \(aliveAtUse.map(fmt)) of rows",
                line("pretrained", pretrained),
                line("control λ=0 (\(controlEpochs) ep)", control),
                line("RMTL λ=\(lambda) (\(rmtlEpochs) ep)", rmtl),
            ].joined(separator: "\n")
        }
    }

    public static func run(
        _ splits: DatasetSplits, settings: RMTLSettings, options o: Options, log: (String) -> Void = { _ in }
    ) throws -> Result {
        var rng = RandomGenerator(seed: o.seed)
        let data = splits.train
        var config = ModelConfig(kind: o.actor, cardinalities: data.cardinalities, numericCount: data.numericCount, taskCount: data.taskCount)
        config.embedDim = o.embedDim
        config.bottom = o.bottom
        config.tower = o.tower
        let capacity = max(o.pretrain.batchSize, o.fineTune.batchSize, settings.batchSize)
        let actor = try TrainableModel(config, batchCapacity: capacity, threads: o.threads, rng: &rng)
        let pre = try SupervisedTrainer(config: o.pretrain).train(actor, train: data, validation: splits.validation, rng: &rng) {
            log("pretrain epoch \($0.epoch): loss \(fmt($0.trainLoss)) val auc \(fmt($0.meanAUC))")
        }
        _ = pre
        let pretrainedValues = actor.values.array
        let pretrained = actor.evaluate(on: splits.test)
        let agent = try RLAgent(actor: actor, settings: settings, rng: &rng)
        let warm = try agent.warmUp(on: data, rng: &rng)
        log("buffer: \(warm.bufferCount) transitions")
        let critic = try agent.trainCritic(rng: &rng) {
            log("critic epoch \($0.epoch): TD \(fmt($0.tdLoss)) mean Q \(fmt($0.meanQ)) alive \($0.aliveFractions.map(fmt))")
        }
        let q = agent.criticValues(on: splits.validation)
        let meanQAtUse = q.map { $0.reduce(0.0) { $0 + Double($1) } / Double(max($0.count, 1)) }
        let aliveAtUse = q.map { Double($0.filter { $0 < 0 }.count) / Double(max($0.count, 1)) }
        let fineTuneStart = rng
        var ftRng = fineTuneStart
        let controlReports = try agent.fineTune(train: data, validation: splits.validation, config: o.fineTune, lambda: 0, rng: &ftRng)
        let control = actor.evaluate(on: splits.test)
        actor.values.copy(from: pretrainedValues)
        ftRng = fineTuneStart
        let rmtlReports = try agent.fineTune(train: data, validation: splits.validation, config: o.fineTune, lambda: settings.lambda, rng: &ftRng)
        let rmtl = actor.evaluate(on: splits.test)
        return Result(pretrained: pretrained, control: control, rmtl: rmtl, lambda: settings.lambda, warmup: warm,
                      critic: critic, meanQAtUse: meanQAtUse, aliveAtUse: aliveAtUse, controlEpochs: controlReports.count, rmtlEpochs: rmtlReports.count)
    }
}

func fmt(_ x: Double) -> String { String(format: "%.4f", x) }

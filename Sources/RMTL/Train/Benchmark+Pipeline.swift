import Foundation

/// `rmtl bench --pipeline` (issue 15): one seed of the paper's RMTL-ESMM pipeline, timed stage by
/// stage, at the paper's sizes (stdlib/paper.rmtl) and in the paper's reading (`critic mode=paper`),
/// on a RetailRocket directory (the full-size `generate retailrocket`): what
/// scripts/retailrocket-rmtl.rmtl runs, with a fixed schedule instead of early stopping so both
/// sides do the same amount of work. `scripts/torch/pipeline.py` is the PyTorch counterpart; it
/// reads the splits this writes (`splitsOut`), schedule included.
extension Benchmark {
    /// How much of each stage runs: the paper's sizes and settings, with fewer rows, episodes and
    /// epochs than a real run, so one seed takes minutes on 2 shared cores (PyTorch's side too).
    public struct PipelineSchedule: Sendable, Codable, Equatable {
        /// Rows: the first `batches · batch` rows of each split (training: pretraining, warm-up and
        /// fine-tuning all use them; validation: the pass after every epoch; test: both evaluations).
        public var batches = 50
        public var pretrainEpochs = 1
        public var criticEpochs = 1
        public var fineTuneEpochs = 1
        /// The paper's 200,000 episodes fill 500,000 transitions; these fill the smaller buffer, and
        /// a critic epoch is `buffer / batch` steps (50).
        public var warmupEpisodes = 50_000
        public var buffer = 50 * TrainConfig.paperBatchSize
        public var batch = TrainConfig.paperBatchSize
        public init() {}

        enum CodingKeys: String, CodingKey {
            case batches, pretrainEpochs = "pretrain_epochs", criticEpochs = "critic_epochs"
            case fineTuneEpochs = "finetune_epochs", warmupEpisodes = "warmup_episodes", buffer, batch
        }
    }

    public struct PipelineResult: Sendable, Codable {
        public var schedule: PipelineSchedule
        public var threads: Int
        /// Rows of train, validation and test (as cut).
        public var rows: [String: Int]
        /// Load, sessionize and split (not part of the comparison: PyTorch reads the encoded splits).
        public var dataSeconds: Double
        /// `pretrain` (epochs with validation), `eval` (both test evaluations), `critic` (agent,
        /// warm-up, critic check, epochs), `finetune` (RMTL epochs with validation).
        public var seconds: [String: Double]
        public var totalSeconds: Double
        public var test: [String: [TaskMetrics]]
        public var criticRedraws: Int
        /// `/proc/loadavg`'s 1-minute figure before and after.
        public var loadAverage: [Double]
        public var peakResidentMB: Double
        public var machine = MachineDescription.current

        enum CodingKeys: String, CodingKey {
            case schedule, threads, rows, seconds, test, machine
            case dataSeconds = "data_seconds", totalSeconds = "total_seconds", criticRedraws = "critic_redraws"
            case loadAverage = "load_average", peakResidentMB = "peak_resident_mb"
        }
    }

    /// Runs the pipeline on the RetailRocket files in `directory` (loaded as `load retailrocket`,
    /// `sessionize gap=30m`, `split time 0.6 0.2 0.2`), writing the splits it trains on to
    /// `splitsOut` first when given.
    public static func pipeline(directory: String, schedule s: PipelineSchedule, threads: Int, splitsOut: String? = nil,
                                seed: UInt64 = 2022) throws -> PipelineResult {
        let load = [currentLoadAverage()]
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { clock = now }
            return Double(now - clock) / 1e9
        }
        var data = try DataPipeline.loadRetailRocket(directory: directory)
        try data.sessionize(gapMilliseconds: DataPipeline.defaultGap)
        var splits = try data.split(.time(train: 0.6, validation: 0.2, test: 0.2, wholeSessions: true))
        let rows = s.batches * s.batch
        for part in [splits.train, splits.validation, splits.test] where part.rowCount < rows {
            throw ConfigurationError(parameter: "batches", .batchAboveRows(batch: rows, rows: part.rowCount))
        }
        splits = DatasetSplits(train: splits.train.rows(0..<rows), validation: splits.validation.rows(0..<rows),
                               test: splits.test.rows(0..<rows))
        let dataSeconds = lap()
        if let splitsOut { try writeSplits(splits, schedule: s, to: splitsOut) }
        _ = lap()

        var seconds: [String: Double] = [:]
        var rng = RandomGenerator(seed: seed)
        let train = splits.train
        let config = ModelConfig(kind: .esmm, cardinalities: train.cardinalities, numericCount: train.numericCount, taskCount: train.taskCount)
        let actor = try TrainableModel(config, batchCapacity: s.batch, threads: threads, rng: &rng)
        var pretrain = TrainConfig()
        pretrain.epochs = s.pretrainEpochs
        pretrain.batchSize = s.batch
        pretrain.patience = s.pretrainEpochs
        _ = try SupervisedTrainer(config: pretrain).train(actor, train: train, validation: splits.validation, rng: &rng)
        seconds["pretrain"] = lap()
        let pretrained = actor.evaluate(on: splits.test)
        seconds["eval"] = lap()

        var settings = RMTLSettings(mode: .paper)
        settings.criticEpochs = s.criticEpochs
        settings.warmupEpisodes = s.warmupEpisodes
        settings.bufferCapacity = s.buffer
        settings.batchSize = s.batch
        let agent = try RLAgent(actor: actor, settings: settings, rng: &rng)
        try agent.warmUp(on: train, rng: &rng)
        try agent.trainCritic(rng: &rng)
        seconds["critic"] = lap()

        var fineTune = TrainConfig()
        fineTune.epochs = s.fineTuneEpochs
        fineTune.batchSize = s.batch
        fineTune.patience = s.fineTuneEpochs
        try agent.fineTune(train: train, validation: splits.validation, config: fineTune, rng: &rng)
        seconds["finetune"] = lap()
        let rmtl = actor.evaluate(on: splits.test)
        seconds["eval"]! += lap()

        return PipelineResult(
            schedule: s, threads: actor.threads,
            rows: ["train": train.rowCount, "validation": splits.validation.rowCount, "test": splits.test.rowCount],
            dataSeconds: dataSeconds, seconds: seconds, totalSeconds: seconds.values.reduce(0, +),
            test: ["pretrained": pretrained, "rmtl": rmtl], criticRedraws: agent.redraws,
            loadAverage: load + [currentLoadAverage()], peakResidentMB: peakResidentMegabytes())
    }

    /// The encoded splits for `scripts/torch/pipeline.py`: per part `categorical` (rows, fields)
    /// I32 ids before the field offsets, `numeric` (rows, n) and `labels` (rows, tasks) F32,
    /// `sessions` I32, `timestamps` I64; the metadata holds the cardinalities and the schedule.
    static func writeSplits(_ splits: DatasetSplits, schedule: PipelineSchedule, to path: String) throws {
        var tensors: [String: TensorData] = [:]
        for (name, part) in [("train", splits.train), ("validation", splits.validation), ("test", splits.test)] {
            let n = part.rowCount
            func rowMajor(_ columns: [[Float]]) -> [Float] { (0..<n).flatMap { r in columns.map { $0[r] } } }
            tensors["\(name).categorical"] = TensorData(shape: [n, part.fieldCount], int32s: (0..<n).flatMap { r in part.categorical.map { $0[r] } })
            tensors["\(name).numeric"] = TensorData(shape: [n, part.numericCount], floats: rowMajor(part.numeric))
            tensors["\(name).labels"] = TensorData(shape: [n, part.taskCount], floats: rowMajor(part.labels))
            tensors["\(name).sessions"] = TensorData(shape: [n], int32s: part.sessions)
            tensors["\(name).timestamps"] = TensorData(shape: [n], int64s: part.timestamps)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let metadata = [
            "cardinalities": String(decoding: try encoder.encode(splits.train.cardinalities), as: UTF8.self),
            "schedule": String(decoding: try encoder.encode(schedule), as: UTF8.self),
        ]
        try SafetensorsFile(tensors: tensors, metadata: metadata).write(to: path)
    }

    /// The 1-minute load average (`/proc/loadavg`), NaN where there is none.
    public static func currentLoadAverage() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
              let first = text.split(separator: " ").first, let value = Double(first) else { return .nan }
        return value
    }
}

extension Benchmark.PipelineSchedule: CustomStringConvertible {
    public var description: String {
        "the first \(batches) batches of \(batch) rows of each split; pretrain \(pretrainEpochs) epoch(s), "
            + "warm-up \(warmupEpisodes) episodes into a \(buffer)-transition buffer, critic \(criticEpochs) epoch(s), "
            + "RMTL fine-tune \(fineTuneEpochs) epoch(s), each training epoch followed by a validation pass"
    }
}

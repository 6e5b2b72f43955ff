import Foundation

/// Supervised training settings; defaults are the authors' (rmtl-reference.md §2.4).
public struct TrainConfig: Sendable, Equatable, Codable {
    public var epochs = 1000
    public var batchSize = TrainConfig.paperBatchSize
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 1e-6
    /// Stop after this many epochs in a row without a better mean validation AUC.
    public var patience = 2
    /// Shuffle the training rows each epoch with the seed (the authors do not: file order).
    public var shuffle = false
    public init() {}

    /// The batch of the paper and the authors' code, for training and the RL stage alike.
    public static let paperBatchSize = 2048

    public func validate(trainRows: Int) throws {
        try checkSettings()
        if batchSize > trainRows { throw ConfigurationError(parameter: "batch", .batchAboveRows(batch: batchSize, rows: trainRows)) }
    }
}

extension TrainConfig: Configurable {
    /// The knobs of `train actor` and `train rmtl`; the defaults are the stored properties' (the authors').
    public static let settings: [Setting<TrainConfig>] = [
        .integer("epochs", \.epochs, 1...TrainConfig.maximumEpochs, unit: "epochs", "Most epochs (early stopping ends sooner)."),
        .integer("batch", \.batchSize, 1...TrainConfig.maximumRows, unit: "rows", "Batch size."),
        .real("lr", \.learningRate, .greaterThan(0), "Adam learning rate."),
        .real("wd", \.weightDecay, .atLeast(0), "Adam L2 weight decay."),
        .integer("patience", \.patience, 1...TrainConfig.maximumEpochs, unit: "epochs", "Epochs without a better mean validation AUC before stopping."),
        .flag("shuffle", \.shuffle, "Shuffle the training rows each epoch (the authors' code does not)."),
    ]

    /// Static ceilings for counts (epochs, rows, transitions, episodes), far above any real run, so
    /// absurd values are errors at `rmtl check` instead of days of work or a failed allocation.
    public static let maximumEpochs = 1_000_000
    public static let maximumRows = 100_000_000
}

/// What one epoch did.
public struct EpochReport: Sendable, Codable {
    public var epoch: Int
    public var trainLoss: Double
    public var validation: [TaskMetrics]
    public var meanAUC: Double
    public var rows: Int
    public var seconds: Double
    public var isBest: Bool
    public var rowsPerSecond: Double { Double(rows) / max(seconds, 1e-9) }
}

/// Training stopped because a number stopped being finite.
public struct NonFiniteLossError: Error, CustomStringConvertible {
    public let epoch: Int
    public let step: Int
    public let loss: Double
    public var description: String { "the training loss became \(loss) at epoch \(epoch), step \(step)" }
    /// What to do about it; the language shows it as its own `hint:` line.
    public var hint: String { "lower the learning rate (lr=) or check the data for extreme values" }
}

/// The per-row loss of a training step: d loss / d probability for one shard.
///
/// The default is the authors' loss, the mean over tasks of the mean BCE over the batch. RMTL's
/// critic-weighted loss (w·BCE) plugs in here.
public typealias LossGradient = @Sendable (
    _ part: Int, _ rows: Range<Int>, _ probabilities: Matrix, _ labels: Matrix, _ batchRows: Int, _ dProbabilities: Matrix
) -> Double

/// `mean_t mean_b BCE(p, y)` and its gradient.
public let meanBinaryCrossEntropy: LossGradient = { _, rows, p, labels, batchRows, dp in
    let scale = 1 / Float(batchRows * p.columns)
    var total = 0.0
    for r in 0..<p.rows {
        for t in 0..<p.columns {
            let y = labels[rows.lowerBound + r, t]
            total += Double(binaryCrossEntropy(p[r, t], y))
            dp[r, t] = binaryCrossEntropyGradient(p[r, t], y) * scale
        }
    }
    return total / Double(batchRows * p.columns)
}

/// Supervised multi-task training with early stopping on the mean validation AUC, keeping and
/// restoring the best weights (the authors' `EarlyStopper(num_trials=2)`).
public struct SupervisedTrainer {
    public let config: TrainConfig
    public var loss: LossGradient = meanBinaryCrossEntropy
    /// When false, the best epoch is chosen among trained epochs only, so at least one trained
    /// epoch is kept (the authors' stopper starts at 0). When true, the starting weights compete
    /// on validation too (RMTL's `keep=best`).
    public var startingWeightsCompete = false
    /// Called with each training batch before its forward pass, so a `loss` that needs the batch's
    /// inputs (RMTL's critic reads the states) can see them.
    public var willTrain: ((Batch) -> Void)? = nil

    public init(config: TrainConfig) { self.config = config }

    /// Trains `model` on `train`, selecting on `validation`. Calls `onEpoch` after every epoch and
    /// `onStep(step, stepsPerEpoch, loss)` after every batch. Returns the epoch reports.
    public func train(
        _ model: TrainableModel, train: Dataset, validation: Dataset, rng: inout RandomGenerator,
        onEpoch: (EpochReport) -> Void = { _ in }, onStep: (Int, Int, Double) -> Void = { _, _, _ in }
    ) throws -> [EpochReport] {
        try config.validate(trainRows: train.rowCount)
        if let cardinalities = model.modelConfig?.cardinalities {
            try train.validate(against: cardinalities)
            try validation.validate(against: cardinalities)
        }
        guard validation.rowCount > 0 else {
            throw ConfigurationError(parameter: "validation", .emptyValidationSplit)
        }
        guard config.batchSize <= model.capacity else {
            throw ConfigurationError(parameter: "batch", .aboveCapacity(value: config.batchSize, capacity: model.capacity, of: .model))
        }
        let optimizer = Adam(count: model.values.count, learningRate: config.learningRate, weightDecay: config.weightDecay)
        let batch = Batch(capacity: config.batchSize, fieldCount: train.fieldCount, numericCount: train.numericCount, taskCount: train.taskCount)
        var best = -Double.infinity
        var bestValues: [Float]? = nil
        if startingWeightsCompete {
            best = meanAUC(model.evaluate(on: validation))
            bestValues = model.values.array
        }
        var reports: [EpochReport] = []
        var sinceBest = 0
        var order = Array(0..<train.rowCount)
        let steps = (train.rowCount + config.batchSize - 1) / config.batchSize
        for epoch in 1...config.epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            if config.shuffle { rng.shuffle(&order) }
            var lossSum = 0.0
            let epochStart = model.values.array
            for step in 0..<steps {
                // Ctrl-C drops the half-finished epoch: the weights go back to where it began.
                do { try Interrupt.check() } catch { model.values.copy(from: epochStart); throw error }
                let lo = step * config.batchSize, hi = min(lo + config.batchSize, train.rowCount)
                batch.gather(train, order[lo..<hi])
                willTrain?(batch)
                let labels = batch.labels, rows = batch.rows, loss = self.loss
                let l = model.accumulateGradients(batch, isTraining: true, rng: &rng) { part, range, p, dp in
                    loss(part, range, p, labels, rows, dp)
                }
                guard l.isFinite else { throw NonFiniteLossError(epoch: epoch, step: step + 1, loss: l) }
                model.applyGradients(optimizer)
                lossSum += l * Double(rows)
                onStep(step + 1, steps, l)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let metrics = model.evaluate(on: validation)
            let mean = meanAUC(metrics)
            let improved = mean > best || bestValues == nil
            if improved { best = mean; bestValues = model.values.array; sinceBest = 0 } else { sinceBest += 1 }
            let report = EpochReport(epoch: epoch, trainLoss: lossSum / Double(train.rowCount), validation: metrics,
                                     meanAUC: mean, rows: train.rowCount, seconds: seconds, isBest: improved)
            reports.append(report)
            onEpoch(report)
            if sinceBest >= config.patience { break }
        }
        if let bestValues { model.values.copy(from: bestValues) }
        return reports
    }
}

/// Mean AUC over tasks, the selection criterion; a task with one class (NaN AUC) counts as 0.5.
public func meanAUC(_ metrics: [TaskMetrics]) -> Double {
    metrics.reduce(0) { $0 + ($1.auc.isNaN ? 0.5 : $1.auc) } / Double(max(metrics.count, 1))
}

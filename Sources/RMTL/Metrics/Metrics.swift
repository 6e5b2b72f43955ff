import RealModule

/// The paper's three metrics for one task on one split (rmtl-reference.md §4).
public struct TaskMetrics: Sendable, Equatable, Codable {
    public var task: String
    /// Area under the ROC curve over all rows (ties count half), as `sklearn.roc_auc_score`.
    public var auc: Double
    /// Mean BCE over rows, each log clamped at −100 as PyTorch does.
    public var logLoss: Double
    /// Mean over sessions of the within-session mean BCE: every session weighs the same.
    public var sessionLogLoss: Double
    /// Rows and positive labels the metrics were computed on (nil when recorded by hand).
    public var rows: Int?
    public var positives: Int?

    public init(task: String, auc: Double, logLoss: Double, sessionLogLoss: Double, rows: Int? = nil, positives: Int? = nil) {
        self.task = task
        self.auc = auc
        self.logLoss = logLoss
        self.sessionLogLoss = sessionLogLoss
        self.rows = rows
        self.positives = positives
    }

    /// The exact definitions, for `help eval`, `help export predictions` and the docs.
    public static let definitions = [
        "AUC: ROC AUC over the split's rows, tied scores counting half (sklearn.metrics.roc_auc_score(label, pred)).",
        "Logloss: mean over rows of −[y·max(log p, −100) + (1−y)·max(log(1−p), −100)] (PyTorch's BCELoss clamp; "
            + "sklearn.metrics.log_loss(label, pred) agrees while no p is exactly 0 or 1).",
        "s-Logloss: the same per-row loss averaged within each session, then averaged over sessions "
            + "(every session weighs the same; sessions as in the `session` column of 'export predictions').",
    ]

    /// The metric by its script name: `auc`, `logloss`, `slogloss`.
    public func value(_ metric: String) -> Double? {
        switch metric {
        case "auc": auc
        case "logloss": logLoss
        case "slogloss": sessionLogLoss
        default: nil
        }
    }
}

/// Exact ROC AUC by ranks: sort the scores, give tied scores their average rank, then
/// `AUC = (Σ ranks of positives − P(P+1)/2) / (P·N)`. O(n log n). NaN when a class is absent.
public func auc(scores: [Float], labels: [Float]) -> Double {
    precondition(scores.count == labels.count)
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var rankSum = 0.0, positives = 0.0
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
        let averageRank = Double(i + j) / 2 + 1           // ranks are 1-based
        for k in i...j where labels[order[k]] > 0.5 { rankSum += averageRank; positives += 1 }
        i = j + 1
    }
    let negatives = Double(scores.count) - positives
    guard positives > 0 && negatives > 0 else { return .nan }
    return (rankSum - positives * (positives + 1) / 2) / (positives * negatives)
}

/// Mean BCE over all rows (Double accumulation).
public func logLoss(probabilities: [Float], labels: [Float]) -> Double {
    guard !probabilities.isEmpty else { return .nan }
    var total = 0.0
    for i in probabilities.indices { total += Double(binaryCrossEntropy(probabilities[i], labels[i])) }
    return total / Double(probabilities.count)
}

/// Mean over sessions of the mean BCE within each session.
public func sessionLogLoss(probabilities: [Float], labels: [Float], sessions: [Int32]) -> Double {
    guard !probabilities.isEmpty else { return .nan }
    var sums: [Int32: (Double, Int)] = [:]
    for i in probabilities.indices {
        let l = Double(binaryCrossEntropy(probabilities[i], labels[i]))
        sums[sessions[i], default: (0, 0)].0 += l
        sums[sessions[i], default: (0, 0)].1 += 1
    }
    // Sum in session-id order so the result does not depend on dictionary order.
    var total = 0.0
    for key in sums.keys.sorted() { let (s, n) = sums[key]!; total += s / Double(n) }
    return total / Double(sums.count)
}

/// All three metrics per task of `data`, from probabilities `predictions[task][row]`.
public func evaluate(predictions: [[Float]], on data: Dataset) -> [TaskMetrics] {
    (0..<data.taskCount).map { t in
        TaskMetrics(
            task: data.taskNames[t], auc: auc(scores: predictions[t], labels: data.labels[t]),
            logLoss: logLoss(probabilities: predictions[t], labels: data.labels[t]),
            sessionLogLoss: sessionLogLoss(probabilities: predictions[t], labels: data.labels[t], sessions: data.sessions),
            rows: data.rowCount, positives: data.labels[t].reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) })
    }
}

extension TrainableModel {
    /// Evaluates the model on `data` (dropout off).
    public func evaluate(on data: Dataset) -> [TaskMetrics] { RMTL.evaluate(predictions: predict(data), on: data) }
}

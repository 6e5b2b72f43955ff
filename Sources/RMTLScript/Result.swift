/// One task's evaluation metrics (rmtl-reference.md §4).
public struct TaskMetrics: Sendable, Equatable, Codable {
    public var task: String
    /// ROC AUC over all rows of the split.
    public var auc: Double
    /// Mean binary cross-entropy over rows.
    public var logLoss: Double
    /// Mean over sessions of the within-session mean BCE ("s-Logloss").
    public var sessionLogLoss: Double

    public init(task: String, auc: Double, logLoss: Double, sessionLogLoss: Double) {
        self.task = task
        self.auc = auc
        self.logLoss = logLoss
        self.sessionLogLoss = sessionLogLoss
    }

    /// The metric by its script name: `auc`, `logloss`, `slogloss`.
    public func value(_ metric: String) -> Double? {
        switch metric {
        case "auc": return auc
        case "logloss": return logLoss
        case "slogloss": return sessionLogLoss
        default: return nil
        }
    }
}

/// A named evaluation: what `eval test as NAME` stores. `esmm[3]` has base `esmm` and index `3`;
/// results sharing a base form a group (runs repeated over seeds).
public struct EvalResult: Sendable, Equatable, Codable {
    public var base: String
    public var index: String?
    public var seed: UInt64
    /// `test` or `val`.
    public var split: String
    /// The actor's model name, when known.
    public var model: String?
    public var tasks: [TaskMetrics]

    public init(base: String, index: String? = nil, seed: UInt64, split: String = "test", model: String? = nil,
                tasks: [TaskMetrics]) {
        self.base = base
        self.index = index
        self.seed = seed
        self.split = split
        self.model = model
        self.tasks = tasks
    }

    /// `esmm` or `esmm[3]`.
    public var name: String { index.map { "\(base)[\($0)]" } ?? base }

    public func metrics(_ task: String) -> TaskMetrics? { tasks.first { $0.task == task } }
}

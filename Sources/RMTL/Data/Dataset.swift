/// One table of encoded multi-task interactions, stored by column.
///
/// Every reader ends here: categorical fields are dense ids `0..<cardinalities[f]`, numeric fields are
/// Float, each task has one 0/1 label column, and every row belongs to a session. Rows are kept in the
/// order the reader produced (time order for the built-in readers), which is the order "no shuffle"
/// training sees them in.
public struct Dataset: Sendable {
    /// Where the rows came from, for summaries and error messages.
    public var name: String
    /// Categorical field names, in model input order.
    public var categoricalNames: [String]
    /// `categorical[f][row]`: the encoded id of field `f`, in `0..<cardinalities[f]`.
    public var categorical: [[Int32]]
    /// Number of distinct ids per categorical field (the embedding rows it needs).
    public var cardinalities: [Int]
    /// Numeric field names. Models see them through one Linear(numericCount, embed) slot.
    public var numericNames: [String]
    /// `numeric[f][row]`.
    public var numeric: [[Float]]
    /// Task names in output order, e.g. `["ctr", "ctcvr"]`.
    public var taskNames: [String]
    /// `labels[t][row]`, 0 or 1.
    public var labels: [[Float]]
    /// `sessions[row]`: a session index (equal values = same session). Used by s-Logloss and the RL MDP.
    public var sessions: [Int32]
    /// `timestamps[row]`: Unix milliseconds (0 when the source has no time).
    public var timestamps: [Int64]

    public init(
        name: String, categoricalNames: [String], categorical: [[Int32]], cardinalities: [Int],
        numericNames: [String], numeric: [[Float]], taskNames: [String], labels: [[Float]],
        sessions: [Int32], timestamps: [Int64]
    ) {
        self.name = name
        self.categoricalNames = categoricalNames
        self.categorical = categorical
        self.cardinalities = cardinalities
        self.numericNames = numericNames
        self.numeric = numeric
        self.taskNames = taskNames
        self.labels = labels
        self.sessions = sessions
        self.timestamps = timestamps
    }

    public var rowCount: Int { sessions.count }
    public var fieldCount: Int { categorical.count }
    public var numericCount: Int { numeric.count }
    public var taskCount: Int { labels.count }

    /// The rows at `indices`, in that order, with the same encoders (cardinalities unchanged).
    public func rows(_ indices: [Int]) -> Dataset {
        func pick<T>(_ column: [T]) -> [T] { indices.map { column[$0] } }
        return Dataset(
            name: name, categoricalNames: categoricalNames, categorical: categorical.map(pick),
            cardinalities: cardinalities, numericNames: numericNames, numeric: numeric.map(pick),
            taskNames: taskNames, labels: labels.map(pick), sessions: pick(sessions),
            timestamps: pick(timestamps))
    }

    /// The contiguous rows `range`.
    public func rows(_ range: Range<Int>) -> Dataset { rows(Array(range)) }
}

/// Train, validation and test parts of one dataset, encoded with the same vocabularies.
public struct DatasetSplits: Sendable {
    public var train: Dataset
    public var validation: Dataset
    public var test: Dataset
    public init(train: Dataset, validation: Dataset, test: Dataset) {
        self.train = train
        self.validation = validation
        self.test = test
    }
}

import RMTL

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

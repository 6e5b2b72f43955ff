/// Settings that are each in range but cannot run together, or do not fit the data or the objects
/// already built: which parameter, what is wrong, and the values involved. `description` words it
/// for programs that use the engine alone; the language shows it at the argument that set
/// `parameter`, with `hint` on a line of its own.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let parameter: String
    public let problem: Problem

    public init(parameter: String, _ problem: Problem) {
        self.parameter = parameter
        self.problem = problem
    }

    public enum Problem: Equatable, Sendable {
        /// A count below its minimum (`steps=0`, `threads=0`).
        case belowMinimum(value: Int, minimum: Int)
        /// A batch larger than the training split.
        case batchAboveRows(batch: Int, rows: Int)
        /// A size larger than what an object was built for.
        case aboveCapacity(value: Int, capacity: Int, of: Holder)
        /// The replay buffer holds fewer transitions than one batch.
        case bufferBelowBatch(transitions: Int, batch: Int)
        case emptyBuffer
        /// Fixed when the agent was built (critic structure, buffer capacity).
        case fixedOnceBuilt
        case emptyValidationSplit
        case noSessions
        /// The actor-policy warm-up got no prediction for some rows.
        case missingPredictions
        case noCategoricalFields
        case emptyField(index: Int, ids: Int)
        case noNumericFields
        /// The model needs another number of tasks than the data has.
        case taskCount(model: ModelKind, has: Int, needs: TaskNeed)
        case pleNeedsExperts
        /// Data-parallel training across processes needs the same number of replicas on each.
        case replicasOverRanks(replicas: Int, ranks: Int)
        /// The parts do not fit each other.
        case mismatch(Mismatch)
        case unknownParameter
        case valueCount(expected: Int, shape: [Int], got: Int)
        /// `kind` is what the name should have named: "model".
        case unknownName(String, kind: String, known: [String])
    }

    /// What a capacity belongs to.
    public enum Holder: String, Sendable {
        case model = "the model's capacity"
        case actor = "the actor's capacity"
        case critics = "the critics' capacity"
        case agent = "the RL batch the agent was built for"
    }

    public enum TaskNeed: Equatable, Sendable {
        case exactly(Int)
        case atLeast(Int)
    }

    public enum Mismatch: Equatable, Sendable {
        case actorNotMultiTask
        case criticFields
        case threads(actor: Int)
        case embeddingTable(String)
        case datasetShape
    }

    public var description: String { "invalid '\(parameter)': \(problem.text)" + (problem.hint.map { "; \($0)" } ?? "") }
}

extension ConfigurationError.Problem {
    /// What to do about it, when there is something to say.
    public var hint: String? {
        switch self {
        case .batchAboveRows(_, let rows): return "use batch=\(max(1, rows))"
        case .bufferBelowBatch: return "run more warm-up episodes or lower batch="
        case .emptyBuffer: return "warm it up before checking the critics"
        case .fixedOnceBuilt: return "build a new agent with 'critic'"
        case .aboveCapacity(_, _, .agent): return "give the larger batch to 'critic batch=' when building the agent"
        case .replicasOverRanks(_, let ranks):
            return "set 'threads N' before building the model: each of the \(ranks) ranks then runs N threads, \(ranks)×N replicas in all"
        default: return nil
        }
    }

    /// The engine's wording (scripts show it after the argument's position).
    public var text: String {
        switch self {
        case .belowMinimum(let v, let m): return "expected at least \(m), got \(v)"
        case .batchAboveRows(let b, let rows): return "the batch of \(b) rows is larger than the \(rows) training rows"
        case .aboveCapacity(let v, let c, let holder): return "\(v) exceeds \(holder.rawValue) \(c)"
        case .bufferBelowBatch(let t, let b): return "the replay buffer holds \(t) transitions, fewer than one batch of \(b)"
        case .emptyBuffer: return "the replay buffer is empty"
        case .fixedOnceBuilt: return "fixed once the critics and their buffer exist"
        case .emptyValidationSplit: return "the validation split is empty; early stopping needs rows"
        case .noSessions: return "the dataset has no sessions to run episodes on"
        case .missingPredictions: return "the actor-policy warm-up needs the actor's predictions for every row"
        case .noCategoricalFields: return "the model needs at least one categorical field"
        case .emptyField(let f, let ids): return "categorical field \(f) has \(ids) ids; expected at least 1"
        case .noNumericFields: return "expected at least one numeric field (an all-zero column is fine)"
        case .taskCount(let model, let has, .exactly(let n)):
            return "\(model.displayName) models exactly \(n) tasks, the data has \(has)"
        case .taskCount(let model, let has, .atLeast(let n)):
            return "\(model.displayName) needs at least \(n) tasks, the data has \(has)"
        case .replicasOverRanks(let replicas, let ranks):
            return "\(replicas) replicas cannot be shared evenly by \(ranks) ranks (data-parallel training gives each rank the same number)"
        case .pleNeedsExperts: return "PLE needs at least 1 shared and 1 task-specific expert per level"
        case .mismatch(.actorNotMultiTask): return "the RL stage needs a multi-task model as its actor"
        case .mismatch(.criticFields): return "the critic's fields must be the actor's"
        case .mismatch(.threads(let n)): return "the critics need as many threads as the actor (\(n))"
        case .mismatch(.embeddingTable(let name)): return "the actor has no embedding table '\(name)' to copy"
        case .mismatch(.datasetShape): return "the dataset's fields or tasks differ from the actor's"
        case .unknownParameter: return "no such parameter in this model"
        case .valueCount(let e, let shape, let got): return "expected \(e) values \(shape), got \(got)"
        case .unknownName(let name, let kind, let known):
            return "unknown \(kind) '\(name)'; expected one of: \(known.joined(separator: ", "))"
        }
    }
}

import Foundation
import RMTL

/// Why a workspace command failed. The interpreter renders it at the command's position.
public enum WorkspaceError: Error, Equatable, Sendable {
    /// The engine part of this command is not merged yet.
    case unavailable(String)
    /// The command ran and failed (bad data, impossible settings…).
    case failed(String)
    /// The same, with the engine's hint on what to do.
    case rejected(String, hint: String?)
    /// A file could not be read or written: the operation ("read", "write") and the path.
    case io(String, path: String)
    case interrupted
}

/// What `actor MODEL …` built, as exports, the registry and checkpoints record it. It has no
/// defaults of its own: it is read from the `ModelConfig` that was built.
public struct ActorSettings: Sendable, Equatable, Codable {
    public var model: String
    public var embedDim: Int
    public var bottom: [Int]
    public var tower: [Int]
    public var experts: Int
    public var dropout: Double

    public init(_ config: ModelConfig) {
        model = config.kind.rawValue
        embedDim = config.embedDim
        bottom = config.bottom
        tower = config.tower
        experts = config.experts
        dropout = Double("\(config.dropout)") ?? Double(config.dropout)
    }
}

/// One epoch of training, kept for `plot` and reports.
public struct EpochRecord: Sendable, Equatable, Codable {
    /// `actor`, `critic`, `rmtl` or `ddpg`.
    public var phase: String
    /// 1-based within its phase run.
    public var epoch: Int
    public var loss: Double?
    /// Validation AUC per task, in task order.
    public var auc: [String: Double]
    public var taskOrder: [String]
    /// Critics' mean Q.
    public var q: Double?
    /// The training command this epoch belongs to (1, 2, … in the session); charts draw one series
    /// per run. Nil in histories saved before runs were numbered.
    public var run: Int?
    /// The actor's model (`esmm`) when the run trained or used it.
    public var model: String?
    /// The result names the run's weights were evaluated as (`eval test as esmm`), in order.
    public var evaluatedAs: [String]?

    public init(phase: String, epoch: Int, loss: Double? = nil, auc: [(String, Double)] = [], q: Double? = nil,
                run: Int? = nil, model: String? = nil) {
        self.phase = phase
        self.epoch = epoch
        self.loss = loss
        self.auc = Dictionary(auc, uniquingKeysWith: { $1 })
        self.taskOrder = auc.map(\.0)
        self.q = q
        self.run = run
        self.model = model
    }

    /// How charts name the run's series: `ESMM (esmm)`, `ESMM + RMTL (rmtl_esmm)`, `critic of ESMM`.
    public var seriesLabel: String {
        let model = self.model.map { ModelKind(rawValue: $0)?.displayName ?? $0 } ?? "actor"
        let base: String
        switch phase {
        case "critic": base = "critic of \(model)"
        case "rmtl": base = "\(model) + RMTL"
        case "ddpg": base = "\(model) DDPG"
        default: base = model
        }
        guard run != nil else { return phase }  // a history saved before runs were numbered
        guard let names = evaluatedAs, !names.isEmpty else { return base }
        return "\(base) (\(names.joined(separator: ", ")))"
    }
}

/// Everything a session holds between commands, and the one place the language calls the engine.
///
/// One method per command, in `Commands/`. Methods whose engine part is not merged throw
/// `WorkspaceError.unavailable`; they never pretend to succeed.
public final class Workspace {
    // MARK: state
    public var seed: UInt64 = 2022
    /// Model replicas (shards per batch) over all ranks: the cores by default (under mpirun too, so
    /// that a job gives `rmtl run`'s bits), and N × T after `threads T` under `mpirun -np N`.
    public var threads: Int = Machine.cores
    /// The loaded data: raw table, sessions and (after `split`) encoders; nil before `load`.
    public var data: DataPipeline?
    public var splits: DatasetSplits? { didSet { fingerprintCache = nil } }
    /// Where the data came from (`load` arguments), for summaries and exports.
    public var dataSource: String?
    public var actorSettings: ActorSettings?
    public var lastTraining: TrainConfig?
    /// The RL stage: critics, targets, replay buffer and the effective RMTL settings.
    public var agent: RLAgent?
    public var isActorTrained = false
    /// The actor (multi-task model) with its weights.
    public var actor: TrainableModel?
    /// Every random draw comes from here; `seed N` resets it.
    public var rng = RandomGenerator(seed: 2022)
    public var isCriticTrained = false
    /// Named results in the order they were stored (a re-used name replaces in place).
    public private(set) var results: [EvalResult] = []
    /// Per-epoch metrics of every training run, in order.
    public var history: [EpochRecord] = []
    /// The training run (`EpochRecord.run`) whose weights the actor holds; nil for a fresh actor.
    public var actorRun: Int?
    /// Settings in the order they were made, for exports and reports (`name` → value text).
    public private(set) var config: [(String, String)] = []

    /// The run registry (`runs`, `show run`, `compare @N.NAME`); nil when it is off.
    public var registry: RunRegistry?
    /// Records this run's results and files into the registry; nil when not recording.
    public var recorder: RunRecorder?
    private var fingerprintCache: String?
    /// The other ranks of an MPI job (nil when not launched by mpirun): `parallel` loops gather
    /// through it and only rank 0 writes files.
    public var ranks: RankTransport?
    /// Where a model built now keeps its replicas: spread over the ranks (data-parallel training),
    /// except in a `parallel` loop, whose iterations each run on one rank with all the replicas.
    var replicaGroup: ReplicaGroup { storeLog == nil ? ReplicaGroup(ranks) : .oneProcess }
    /// Inside a `parallel` loop: the folder of this process's own `save`/`restore` files, so that
    /// iterations running at once never share one (Parallel.swift).
    public var checkpointScratch: String?
    /// Inside a `parallel` loop: every result stored, in order, for the gather.
    var storeLog: [EvalResult]?
    /// Whether this process writes the files a script names: false on MPI ranks other than 0, set
    /// once at start, before anything runs.
    nonisolated(unsafe) public static var writesFiles = true

    /// `dataFingerprint`, computed once per split (it reads every value).
    public var cachedDataFingerprint: String? {
        if fingerprintCache == nil { fingerprintCache = dataFingerprint }
        return fingerprintCache
    }

    /// Receives command output (text, tables, charts).
    public var emit: (OutputItem) -> Void
    /// ProgressReporter lines for long work.
    public var progress: ProgressReporter

    public init(emit: @escaping (OutputItem) -> Void = { _ in }, progress: ProgressReporter? = nil) {
        self.emit = emit
        self.progress = progress ?? ProgressReporter(isTerminal: false, write: { _ in })
    }

    func say(_ text: String) { emit(.text(text)) }

    /// The command running now (set by the session), so that warnings point at it.
    var commandLocation: SourceRange?

    /// A warning about the running command, as `file:line:col: warning: …` and its hint.
    func warn(_ message: String, hint: String? = nil) {
        say(Diagnostic.warning(message, hint: hint, at: commandLocation))
    }

    /// Runs one engine call for a command, turning what the engine throws into a workspace error:
    /// Ctrl-C into `interrupted`; a data error into its file:line:col, message and hint; anything
    /// else into a failure in the engine's own words. Setting and configuration errors pass through
    /// as they are: they name a parameter, which the interpreter maps to the argument that set it.
    /// A progress line in flight is cleared first.
    func engineStep<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as WorkspaceError {
            throw error
        } catch let error as SettingError {
            // the interpreter points at the argument that gave the setting
            progress.finish()
            throw error
        } catch let error as ConfigurationError {
            progress.finish()
            throw error
        } catch let error as ResourceError {
            progress.finish()
            throw error
        } catch let error as NonFiniteLossError {
            progress.finish()
            throw WorkspaceError.rejected(error.description, hint: error.hint)
        } catch is Interrupt.Interrupted {
            progress.finish()
            throw WorkspaceError.interrupted
        } catch let error as DataError {
            progress.finish()
            var place = error.file
            if error.line > 0 { place += ":\(error.line)" + (error.column > 0 ? ":\(error.column)" : "") }
            throw WorkspaceError.rejected("\(place): \(error.message)", hint: error.hint)
        } catch {
            progress.finish()
            throw WorkspaceError.failed(String(describing: error))
        }
    }

    /// Records a setting for exports (replacing an earlier value of the same name).
    public func setConfig(_ name: String, _ value: String) {
        if let i = config.firstIndex(where: { $0.0 == name }) { config[i].1 = value } else { config.append((name, value)) }
    }

    func replaceConfig(_ settings: [(String, String)]) { config = settings }
    func replaceResults(_ stored: [EvalResult]) { results = stored }

    /// Drops the actor and the critics: models built over other data, sessions or encoders no longer
    /// apply (the commands that call this declare the same in `removes`).
    func dropModels() {
        actor = nil
        actorSettings = nil
        actorRun = nil
        isActorTrained = false
        dropCritics()
    }

    /// Drops the critics: trained on another actor's outputs, they no longer apply.
    func dropCritics() {
        agent = nil
        isCriticTrained = false
    }

    /// Engine state flags, for checking prompt input against what really exists.
    public var stateFlags: Set<StateFlag> {
        var f: Set<StateFlag> = []
        if data != nil || splits != nil { f.insert(.data) }
        if data?.isSessionized == true { f.insert(.sessions) }
        if splits != nil { f.formUnion([.sessions, .splits]) }
        if actorSettings != nil { f.insert(.actor) }
        if isActorTrained { f.insert(.trainedActor) }
        if agent != nil { f.insert(.critic) }
        if isCriticTrained { f.insert(.trainedCritic) }
        return f
    }

    /// Task names of the loaded data, or nil.
    public var taskNames: [String]? { splits?.train.taskNames ?? data?.table.taskNames }

    // MARK: results

    /// Stores `result` under its name, replacing an earlier one of the same name in place.
    public func store(_ result: EvalResult) {
        if let i = results.firstIndex(where: { $0.name == result.name }) { results[i] = result } else { results.append(result) }
        storeLog?.append(result)
        recorder?.resultStored(result, workspace: self)
    }

    /// Result group names (bases) in first-stored order.
    public var resultGroups: [String] {
        var seen: [String] = []
        for r in results where !seen.contains(r.base) { seen.append(r.base) }
        return seen
    }

    /// The results a name refers to: `esmm[2]` one result; `esmm` the result of that exact name,
    /// or else every result of the group.
    public func results(named base: String, index: String? = nil) -> [EvalResult] {
        if let index { return results.filter { $0.base == base && $0.index == index } }
        if let exact = results.first(where: { $0.base == base && $0.index == nil }) { return [exact] }
        return results.filter { $0.base == base }
    }
}

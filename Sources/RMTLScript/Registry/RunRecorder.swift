import Foundation
import RMTL

/// Records the current run into the registry as it goes: the workspace calls it when a named
/// result is stored and when a file is written; `rmtl run` and the prompt call `begin`/`finish`.
///
/// Bookkeeping never fails the science: a registry write that fails (a disk full, a lock held past
/// the busy timeout) prints one warning and the run goes on.
public final class RunRecorder {
    public let registry: RunRegistry
    public private(set) var runID: Int64?
    /// Prints a warning (the session's diagnostic stream).
    public var warn: (String) -> Void
    private var warned = false

    public init(registry: RunRegistry, warn: @escaping (String) -> Void = { _ in }) {
        self.registry = registry
        self.warn = warn
    }

    private func attempt(_ body: () throws -> Void) {
        do { try body() } catch {
            if warned { return }
            warned = true
            let message = (error as? RegistryError)?.message ?? String(describing: error)
            warn("warning: \(message); this run is not fully recorded")
        }
    }

    /// Starts the run (a `running` row). Does nothing if already started.
    public func begin(_ start: RunRegistry.RunStart) {
        guard runID == nil else { return }
        attempt { runID = try registry.begin(start) }
    }

    public func appendScript(_ text: String) {
        guard let runID else { return }
        attempt { try registry.appendScript(run: runID, text) }
    }

    public func finish(status: String, error: String? = nil) {
        guard let runID else { return }
        attempt { try registry.finish(run: runID, status: status, error: error) }
    }

    func resultStored(_ result: EvalResult, workspace w: Workspace) {
        guard let runID else { return }
        let context = RunRegistry.ResultContext(dataSource: w.dataSource, dataFingerprint: w.cachedDataFingerprint,
                                                configJSON: RunRegistry.json(ResolvedConfig(w)))
        attempt { try registry.recordResult(run: runID, result, context: context) }
    }

    func artifactWritten(kind: String, path: String) {
        guard let runID else { return }
        let absolute = path.hasPrefix("/") ? path
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path).standardized.path
        attempt { try registry.recordArtifact(run: runID, kind: kind, path: absolute) }
    }

    /// The configuration a result was computed with, as stored in `result.config`.
    struct ResolvedConfig: Encodable {
        var seed: UInt64
        var threads: Int
        /// The MPI ranks of the job (nil without mpirun).
        var ranks: Int?
        var actor: ActorSettings?
        var training: TrainConfig?
        var critic: RMTLSettings?
        /// Settings in the order they were made (`show config`).
        var settings: [String: String]

        init(_ w: Workspace) {
            seed = w.seed
            threads = w.threads
            ranks = w.ranks?.size
            actor = w.actorSettings
            training = w.lastTraining
            critic = w.agent?.settings
            settings = Dictionary(w.config, uniquingKeysWith: { $1 })
        }
    }
}

/// Where the registry lives: `--no-registry` turns it off; else `--registry PATH`, else the
/// environment variable `RMTL_REGISTRY` (empty turns it off), else `.rmtl/runs.sqlite`.
public enum RegistryLocation {
    public static func resolve(option: String?, disabled: Bool,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if disabled { return nil }
        if let option { return option }
        if let env = environment["RMTL_REGISTRY"] { return env.isEmpty ? nil : env }
        return RunRegistry.defaultPath
    }
}

extension Session {
    /// Opens the registry at `path` for `runs`, `show run` and `compare @N.NAME`, and — when
    /// `record` — makes a recorder for this session (its `begin` starts the run).
    public func attachRegistry(path: String, record: Bool = true) throws(RegistryError) {
        let registry = try RunRegistry(path: path)
        workspace.registry = registry
        if record { workspace.recorder = RunRecorder(registry: registry, warn: { [unowned self] in self.writeError($0) }) }
    }

    /// How a finished `run` is recorded: its status and error text.
    public static func registryStatus(_ outcome: Outcome) -> (status: String, error: String?) {
        switch outcome.status {
        case .ok: return ("finished", nil)
        case .interrupted: return ("interrupted", outcome.errors.first.map { Diagnostic($0).rendered() })
        case .staticErrors, .runtimeError, .incomplete:
            return ("failed", outcome.errors.first.map { Diagnostic($0).rendered() } ?? "exit status \(outcome.exitCode)")
        }
    }
}

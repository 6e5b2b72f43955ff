import ArgumentParser
import Foundation
import RMTLScript

/// `--registry PATH` / `--no-registry`, shared by `rmtl run`, the prompt and `rmtl runs`.
struct RegistryOptions: ParsableArguments {
    @Option(name: .customLong("registry"),
            help: ArgumentHelp("The run registry database (default: $RMTL_REGISTRY, else .rmtl/runs.sqlite).",
                               valueName: "path"))
    var registry: String?

    @Flag(name: .customLong("no-registry"), help: "Do not record this run in the run registry.")
    var noRegistry = false

    var path: String? { RegistryLocation.resolve(option: registry, disabled: noRegistry) }

    /// Opens the registry for `session`; a registry that cannot be opened is a warning, not a failure.
    func attach(to session: Session) {
        guard let path else { return }
        do { try session.attachRegistry(path: path) } catch {
            printError("warning: \(error.message); this run is not recorded" + (error.hint.map { " (\($0))" } ?? ""))
        }
    }

    func open() throws -> RunRegistry {
        guard let path else {
            printError("error: the run registry is off (--no-registry or an empty RMTL_REGISTRY)")
            throw ExitCode(64)
        }
        do { return try RunRegistry(path: path) } catch {
            printError("\(path): error: \(error.message)")
            throw ExitCode(74)
        }
    }
}

/// Records an interactive session (the prompt, a kernel, a notebook run) as one run, begun by its
/// first entry that runs; its script is the entries run, in order.
func recordEntries(of session: Session, kind: String) {
    session.willExecute = { [unowned session] file in
        guard let recorder = session.workspace.recorder else { return }
        recorder.begin(RunRegistry.RunStart(kind: kind, scriptPath: nil, scriptText: "",
                                            commandLine: ["rmtl"] + CommandLine.arguments.dropFirst()))
        let text = String(decoding: file.bytes, as: UTF8.self)
        recorder.appendScript(text.hasSuffix("\n") ? text : text + "\n")  // a cell has no final newline
    }
}

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List past runs from the run registry, newest first (as the `runs` command does).")

    @Option(help: "Show at most this many runs.") var last = 20
    @Option(help: "Only runs whose script path contains this text.") var script: String?
    @Option(help: "Only runs with this status (\(RunRegistry.statuses.joined(separator: ", "))).") var status: String?
    @Option(help: "Only runs that stored a result of this name or group.") var result: String?
    @Option(help: "Show everything about this run instead (as `show run N`).") var show: Int?
    @OptionGroup var registryOptions: RegistryOptions

    func validate() throws {
        if last < 1 { throw ValidationError("--last must be at least 1") }
        if let status, !RunRegistry.statuses.contains(status) {
            throw ValidationError("--status must be one of \(RunRegistry.statuses.joined(separator: ", "))")
        }
    }

    func run() throws {
        // listing never creates a registry
        if let path = registryOptions.path, !FileManager.default.fileExists(atPath: path) {
            if let show {
                printError("error: no run \(show) in \(path)\nhint: no run has been recorded here yet")
                throw ExitCode(65)
            }
            return printLine("no runs recorded in \(path) yet")
        }
        let registry = try registryOptions.open()
        let session = Session(write: printLine, writeError: printDiagnostic)
        session.workspace.registry = registry
        do {
            if let show {
                try session.workspace.showRun(Int64(show))
            } else {
                try session.workspace.listRuns(RunRegistry.Filter(last: last, script: script, status: status, result: result))
            }
        } catch let error as WorkspaceError {
            switch error {
            case .rejected(let text, let hint): printError("error: \(text)" + (hint.map { "\nhint: \($0)" } ?? ""))
            default: printError("error: \(error)")
            }
            throw ExitCode(show != nil ? 65 : 74)
        }
    }
}

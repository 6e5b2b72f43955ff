import RMTL
import ArgumentParser
import Foundation
import RMTLScript

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a script, then run it. Exits 0 only if every command and assert succeeded.",
        discussion: "Exit codes: 0 success, 65 errors found before running, 70 a command or assert failed, "
            + "74 a file could not be read or written, 130 interrupted.")

    @Argument(help: "The .rmtl script, or a Jupyter notebook (.ipynb) whose code cells run in order.",
              completion: .file(extensions: ["rmtl", "ipynb"]))
    var file: String

    @Option(name: .customLong("set"), parsing: .singleValue,
            help: ArgumentHelp("Set a variable before the script runs; a `let` of the same name keeps this value.",
                               valueName: "NAME=VALUE"))
    var assignments: [String] = []

    @Option(help: ArgumentHelp("Write an HTML report of the run here (also when it fails).", valueName: "out.html"))
    var report: String?

    @Option(help: ArgumentHelp("Write every named result as JSON here.", valueName: "out.json"))
    var results: String?

    @OptionGroup var registryOptions: RegistryOptions

    func validate() throws {
        for a in assignments {
            guard let eq = a.firstIndex(of: "="), eq != a.startIndex,
                  a[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw ValidationError("--set expects NAME=VALUE, found '\(a)'")
            }
        }
    }

    func run() throws {
        let (sources, prose) = try readProgram(file)
        let job = try MPIJob.start()
        InterruptHandler.install()
        let session = Session(progress: ProgressReporter(isTerminal: isatty(STDOUT_FILENO) != 0,
                                                 write: printRaw),
                              write: printLine, writeError: printDiagnostic)
        session.prose = prose
        for a in assignments {
            let eq = a.firstIndex(of: "=")!  // validate() checked it is there
            if let e = session.pin(String(a[..<eq]), text: String(a[a.index(after: eq)...])) {
                printError(Diagnostic(e).rendered())
                throw ExitCode(64)
            }
        }
        job?.join(session)
        if job?.isRankZero ?? true { registryOptions.attach(to: session) }
        let settings = Dictionary(assignments.map { a in
            let eq = a.firstIndex(of: "=")!
            return (String(a[..<eq]), String(a[a.index(after: eq)...]))
        }, uniquingKeysWith: { $1 })
        session.workspace.recorder?.begin(RunRegistry.RunStart(
            kind: "run", scriptPath: file, scriptText: sources.map { String(decoding: $0.bytes, as: UTF8.self) }.joined(separator: "\n"),
            commandLine: (job.map { ["mpirun", "-np", String($0.mpi.size)] } ?? []) + ["rmtl"] + CommandLine.arguments.dropFirst(),
            settings: settings))
        var outcome = session.run(files: sources, mode: .run)
        // Under mpirun rank 0 writes the files, as a serial run does (its outcome already includes
        // the iterations other ranks ran), unless another rank failed out of step: then none.
        var otherRankFailed = false
        if let job, let failure = job.finish(session, outcome, file: file) {
            printError(failure)
            otherRankFailed = true
            outcome.status = .runtimeError
            outcome.errors = [.relayed(rendered: failure, isIO: false, at: SourceRange(file: sources[0], start: 0, end: 0))]
        }
        let writes = (job?.isRankZero ?? true) && !otherRankFailed
        let exitCode = writes ? writeFiles(session, &outcome) : outcome.exitCode
        let (status, error) = Session.registryStatus(outcome)
        session.workspace.recorder?.finish(status: status, error: error)
        job?.end(exitCode: exitCode)
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    /// Writes `--results` and `--report`; returns the exit code.
    private func writeFiles(_ session: Session, _ outcome: inout Session.Outcome) -> Int32 {
        // both are written also when the script failed its check: the report then shows the errors
        if outcome.status == .staticErrors { session.recordStaticErrors(outcome.errors) }
        if let results {
            do { try session.workspace.exportResults(to: results) } catch {
                printError("\(results): error: cannot write results")
                if outcome.status == .ok { outcome.status = .runtimeError; outcome.errors = [] }
            }
        }
        if let report {
            do { try session.writeReport(to: report) } catch {
                printError("\(report): error: cannot write the report")
                if outcome.status == .ok { outcome.status = .runtimeError; outcome.errors = []; return 74 }
            }
        }
        if outcome.status == .runtimeError, outcome.errors.isEmpty { return 74 }
        return outcome.exitCode
    }
}

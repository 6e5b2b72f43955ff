import ArgumentParser
import RMTLScript

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report every error in the scripts without loading data or training.")

    @Argument(help: "The .rmtl files (or .ipynb notebooks) to check.", completion: .file(extensions: ["rmtl", "ipynb"]))
    var files: [String]

    func run() throws {
        var worst: Int32 = 0
        for path in files {
            let sources = try readProgram(path).sources
            let session = Session(write: { _ in }, writeError: printError)
            let outcome = session.run(files: sources, mode: .check)
            if outcome.status != .ok { worst = max(worst, outcome.exitCode) }
        }
        if worst != 0 { throw ExitCode(worst) }
    }
}

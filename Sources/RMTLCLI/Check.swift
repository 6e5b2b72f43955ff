import ArgumentParser
import RMTLScript

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report every error in the scripts without loading data or training.")

    @Argument(help: "The .rmtl files to check.", completion: .file(extensions: ["rmtl"]))
    var files: [String]

    func run() throws {
        var worst: Int32 = 0
        for path in files {
            let file = try readScript(path)
            let session = Session(write: { _ in }, writeError: printError)
            let outcome = session.run(file: file, mode: .check)
            if outcome.status != .ok { worst = max(worst, outcome.exitCode) }
        }
        if worst != 0 { throw ExitCode(worst) }
    }
}

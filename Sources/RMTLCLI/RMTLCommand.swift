import ArgumentParser
import Foundation
import RMTL
import RMTLScript

@main
struct RMTLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rmtl",
        abstract: "Multi-task recommendation with reinforcement learning (RMTL, WWW 2023), in Swift.",
        discussion: "With no subcommand, rmtl opens the prompt (or runs standard input as a script when it is not a terminal).",
        version: rmtlVersion,
        subcommands: [Run.self, Check.self, Bench.self, Runs.self, KernelCommand.self, NotebookCommand.self])

    @OptionGroup var registryOptions: RegistryOptions

    static func main() {
        if let status = languageHelp(Array(CommandLine.arguments.dropFirst())) { Foundation.exit(status) }
        main(nil)
    }

    /// `rmtl help train [actor]`: explains a language command as `help train` does at the prompt
    /// (exit 0), or names the unknown word with a suggestion (exit 64). Nil for everything else,
    /// which ArgumentParser handles: `rmtl help`, `rmtl help run` and the other shell subcommands.
    static func languageHelp(_ arguments: [String]) -> Int32? {
        guard arguments.count >= 2, arguments.count <= 3, arguments[0] == "help",
              !arguments[1].hasPrefix("-") else { return nil }
        let shell = configuration.subcommands.map { $0._commandName } + ["help"]
        if shell.contains(arguments[1]), arguments.count == 2 { return nil }
        if let text = Help.entry(topic: arguments[1], sub: arguments.count == 3 ? arguments[2] : nil) {
            printLine(text)
            return 0
        }
        printError(Diagnostic.unknownHelpTopic(Array(arguments.dropFirst()), candidates: shell.dropLast() + Help.topics.filter { !shell.contains($0) }))
        return 64
    }

    func run() throws {
        let code = Prompt.main(registry: registryOptions)
        if code != 0 { throw ExitCode(code) }
    }
}

/// Writes a line to standard output, unbuffered, so it interleaves correctly with diagnostics.
/// Write errors (a closed pipe, a vanished terminal) are ignored: output is best effort.
func printLine(_ text: String) {
    printRaw(text + "\n")
}

/// Writes text to standard output as is (progress lines use `\r`).
func printRaw(_ text: String) {
    try? FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
}

/// Writes to standard error (Glibc's `stderr` global is not usable in Swift 6 mode).
func printError(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
}

/// Diagnostics for a terminal: after Ctrl-C the terminal has echoed `^C` without a newline,
/// so start on a fresh line (build-notes P8).
func printDiagnostic(_ text: String) {
    if Interrupt.requested.load(ordering: .relaxed), isatty(STDERR_FILENO) != 0 { printError("") }
    printError(text)
}

/// Reads a script file or exits 74 with a one-line message.
/// Pipes (`rmtl run <(…)`) work; endless files such as `/dev/zero` stop at the size limit.
func readScript(_ path: String) throws -> SourceFile {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        printError("\(path): error: no such file")
        throw ExitCode(74)
    }
    guard !isDirectory.boolValue, let handle = FileHandle(forReadingAtPath: path),
          let data = try? handle.read(upToCount: ScriptLoader.maxScriptBytes + 1) ?? Data() else {
        printError("\(path): error: cannot read")
        throw ExitCode(74)
    }
    guard data.count <= ScriptLoader.maxScriptBytes else {
        printError("\(path): error: larger than \(ScriptLoader.maxScriptBytes >> 20) MB")
        throw ExitCode(74)
    }
    return SourceFile(name: path, bytes: Array(data))
}

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
        subcommands: [Run.self, Check.self, Bench.self, Runs.self])

    @OptionGroup var registryOptions: RegistryOptions

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

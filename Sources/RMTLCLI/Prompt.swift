import RMTL
import Foundation
import RMTLScript

/// The interactive prompt (`rmtl` with no arguments). On a terminal: readline, history,
/// completion, `...` continuation for unfinished blocks, Ctrl-C stops the running command and
/// keeps the session, Ctrl-D leaves. Piped input runs entry by entry with no prompt decoration.
enum Prompt {
    /// Runs until end of input or `quit`; returns the exit status (0, or the worst error's code
    /// for piped input).
    static func main(registry: RegistryOptions) -> Int32 {
        InterruptHandler.install()
        let interactive = isatty(STDIN_FILENO) != 0
        let stdoutIsTerminal = isatty(STDOUT_FILENO) != 0
        var worst: Int32 = 0
        let session = Session(
            progress: ProgressReporter(isTerminal: stdoutIsTerminal, write: printRaw),
            write: printLine, writeError: printDiagnostic)
        registry.attach(to: session)
        recordEntries(of: session, kind: "prompt")
        defer {
            session.workspace.recorder?.finish(status: worst == 0 ? "finished" : worst == 130 ? "interrupted" : "failed",
                                               error: worst == 0 || worst == 130 ? nil : "exit status \(worst)")
        }
        var reader: LineReader = interactive
            ? ReadlineReader(historyPath: ReadlineReader.defaultHistoryPath()) : StandardInputReader()
        if interactive { printLine("rmtl \(rmtlVersion). Type 'help' for commands, Ctrl-D to leave.") }
        var buffer = ""
        var entry = 0
        // piped input runs entry by entry; each entry's errors show its lines in the whole input
        var linesRead = 0, bufferFirstLine = 1
        func source(_ text: String) -> SourceFile {
            SourceFile(name: interactive ? "<prompt>" : "<stdin>", text: text, firstLine: interactive ? 1 : bufferFirstLine)
        }
        while true {
            Interrupt.clear()
            completionContext.withLock {
                $0 = Completion.Context(results: session.workspace.resultGroups,
                                        variables: session.currentCheckState().variableOrder)
            }
            let prompt = interactive ? (buffer.isEmpty ? PromptText.first : PromptText.continuation) : ""
            guard let line = reader.readLine(prompt: prompt) else {
                if interactive { printLine("") }
                if !buffer.isEmpty, interactive {  // Ctrl-D inside a block: leave, saying what was dropped
                    printLine(Diagnostic.droppedBlock(lines: buffer.split(separator: "\n", omittingEmptySubsequences: false).count - 1))
                } else if !buffer.isEmpty {  // unfinished block at the end of piped input: report it
                    let outcome = session.run(file: source(buffer), mode: .run)
                    worst = max(worst, outcome.exitCode)
                }
                break
            }
            if promptCancelled.exchange(false, ordering: .relaxed) { buffer = "" }
            reader.remember(line)
            linesRead += 1
            if buffer.isEmpty { bufferFirstLine = linesRead }
            buffer += line + "\n"
            if buffer.allSatisfy({ $0.isWhitespace }) { buffer = ""; continue }
            entry += 1
            Interrupt.clear()
            let outcome = session.run(file: source(buffer), mode: .prompt)
            if outcome.status == .incomplete { continue }
            buffer = ""
            if outcome.status == .interrupted, !interactive { worst = max(worst, 130) }
            if !interactive, outcome.status != .ok, outcome.status != .interrupted { worst = max(worst, outcome.exitCode) }
            if session.quitRequested { break }
        }
        reader.close()
        return worst
    }
}

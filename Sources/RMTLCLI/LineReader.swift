import RMTL
import CReadline
import Foundation
import RMTLScript
import Synchronization

/// Where prompt input comes from: readline on a terminal, plain standard input otherwise.
protocol LineReader {
    /// The next line without its newline, or nil at end of input (Ctrl-D).
    mutating func readLine(prompt: String) -> String?
    /// Records a line in the history (and the history file).
    mutating func remember(_ line: String)
    mutating func close()
}

/// Piped input: no prompt, no history.
struct StandardInputReader: LineReader {
    mutating func readLine(prompt: String) -> String? { Swift.readLine(strippingNewline: true) }
    mutating func remember(_ line: String) {}
    mutating func close() {}
}

/// Set by the Ctrl-C hook when it dropped the line being typed; the prompt then drops a
/// half-typed multi-line block too.
let promptCancelled = Atomic<Bool>(false)

/// What completion offers; refreshed before each `readline` call.
let completionContext = Mutex(Completion.Context())
private let completionMatches = Mutex<[String]>([])
private let completionIndex = Atomic<Int>(0)

private let completionGenerator: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
    if state == 0 { completionIndex.store(0, ordering: .relaxed) }
    let i = completionIndex.add(1, ordering: .relaxed).oldValue
    let word = completionMatches.withLock { i < $0.count ? $0[i] : nil }
    return word.map { strdup($0) }  // readline frees it
}

private let completer: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, _ in
    let prefix = text.map { String(cString: $0) } ?? ""
    let line = rmtl_rl_line_buffer().map { String(cString: $0) } ?? ""
    let context = completionContext.withLock { $0 }
    switch Completion.candidates(line: line, start: Int(start), prefix: prefix, context: context) {
    case .files:
        rmtl_rl_set_attempted_completion_over(1)
        return rl_completion_matches(text, rl_filename_completion_function)
    case .words(let words):
        rmtl_rl_set_attempted_completion_over(1)  // never fall back to file names
        if !words.isEmpty, words.allSatisfy({ $0.hasSuffix("=") }) { rmtl_rl_set_completion_append_character(0) }
        completionMatches.withLock { $0 = words }
        if words.isEmpty { return nil }
        return rl_completion_matches(text, completionGenerator)
    }
}

/// The prompt's two faces: a new entry, and the next line of an unfinished block.
enum PromptText {
    static let first = "rmtl> "
    static let continuation = "...   "
}

/// Runs in normal context when readline's read() was interrupted by SIGINT: drop the partial line
/// (or block) and show the first-line prompt.
private let signalEventHook: @convention(c) () -> Int32 = {
    if Interrupt.requested.exchange(false, ordering: .relaxed) {
        promptCancelled.store(true, ordering: .relaxed)
        rmtl_rl_abandon_line(1, PromptText.first)
    }
    return 0
}

/// GNU readline with a history file kept line by line.
struct ReadlineReader: LineReader {
    let historyPath: String

    init(historyPath: String) {
        self.historyPath = historyPath
        rmtl_rl_set_readline_name("rmtl")
        rmtl_rl_set_attempted_completion_function(completer)
        rmtl_rl_set_completer_quote_characters("\"")
        rmtl_rl_set_catch_signals(0)
        rmtl_rl_set_signal_event_hook(signalEventHook)
        using_history()
        stifle_history(1000)
        if read_history(historyPath) != 0 { _ = write_history(historyPath) }  // create it so append works
    }

    mutating func readLine(prompt: String) -> String? {
        guard let line = readline(prompt) else { return nil }
        defer { free(line) }
        return String(cString: line)
    }

    mutating func remember(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        add_history(trimmed)
        _ = append_history(1, historyPath)
    }

    mutating func close() { _ = history_truncate_file(historyPath, 1000) }

    /// `$RMTL_HISTORY`, else `~/.rmtl_history`.
    static func defaultHistoryPath() -> String {
        if let p = ProcessInfo.processInfo.environment["RMTL_HISTORY"], !p.isEmpty { return p }
        return (NSHomeDirectory() as NSString).appendingPathComponent(".rmtl_history")
    }
}

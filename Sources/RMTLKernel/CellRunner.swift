import Foundation
import RMTL
import RMTLScript

/// What running a cell shows, in Jupyter's terms: the kernel sends these as iopub messages and
/// `rmtl notebook --execute` stores them as nbformat outputs.
public enum CellOutput {
    case stream(name: String, text: String)
    /// `data` by MIME type. `id` names a display that a later output with `update` replaces.
    case display(data: [String: String], id: String?, update: Bool)
    /// The cell's value (`Out[n]`): what a trailing `show` or `compare` shows.
    case result(data: [String: String])
    case error(name: String, value: String, traceback: [String])
}

/// A `Session` run cell by cell, as the prompt runs it entry by entry: state persists, a cell is
/// named `cell[N]` in diagnostics, and an error costs only the rest of that cell.
public final class CellRunner {
    public let session: Session
    public private(set) var executionCount = 0
    /// The last cell ran `quit` (the kernel asks a console to leave).
    public private(set) var quitRequested = false
    /// Where outputs go; the kernel points it at the request being served.
    public var output: (CellOutput) -> Void = { _ in }
    private var diagnostics: [String] = []
    /// The latest item shown, held back until the next output: if the cell ends with `show` or
    /// `compare`, that item is the cell's result.
    private var held: OutputItem?
    // Progress of long work: a display updated in place, emptied when the work ends (the epoch
    // summaries are ordinary output and stay).
    private var progressID: String?
    private var progressDisplays = 0

    /// `progressInterval`: seconds between progress updates.
    public init(progressInterval: Double = 0.25) {
        let progress = ProgressReporter(isTerminal: false, plainInterval: progressInterval, write: { _ in })
        session = Session(progress: progress)
        session.write = { [unowned self] in self.emit(.stream(name: "stdout", text: $0 + "\n")) }
        session.writeError = { [unowned self] in self.diagnostics.append($0) }
        session.display = { [unowned self] in self.show($0) }
        progress.live = { [unowned self] in self.progress($0) }
    }

    /// Every output goes out through here, after the item held back before it.
    private func emit(_ out: CellOutput) {
        release(asResult: false)
        output(out)
    }

    private func show(_ item: OutputItem) {
        release(asResult: false)
        held = item
    }

    /// Sends the held item: as the cell's result when the cell ends with `show` or `compare`.
    private func release(asResult: Bool) {
        guard let item = held else { return }
        held = nil
        let bundle = item.mimeBundle ?? ["text/plain": item.plainText]
        if asResult {
            output(.result(data: bundle))
        } else if item.mimeBundle == nil {
            output(.stream(name: "stdout", text: item.plainText + "\n"))
        } else {
            output(.display(data: bundle, id: nil, update: false))
        }
    }

    private func progress(_ text: String?) {
        guard text != nil || progressID != nil else { return }  // finish with nothing shown
        let body = text ?? ""
        if let id = progressID {
            emit(.display(data: ["text/plain": body], id: id, update: true))
        } else {
            progressDisplays += 1
            let id = "rmtl-progress-\(ProcessInfo.processInfo.processIdentifier)-\(progressDisplays)"
            progressID = id
            emit(.display(data: ["text/plain": body], id: id, update: false))
        }
        if text == nil { progressID = nil }
    }

    /// Checks and runs one cell. `silent` cells do not count (the protocol's `silent`).
    @discardableResult
    public func execute(_ code: String, silent: Bool = false) -> Session.Outcome {
        if !silent { executionCount += 1 }
        diagnostics = []
        Interrupt.clear()
        let file = SourceFile(name: "cell[\(executionCount)]", text: code)
        let outcome = session.run(file: file, mode: .run)
        release(asResult: outcome.status == .ok && CellRunner.endsWithShow(file))
        quitRequested = session.quitRequested
        if quitRequested {
            session.clearQuit()
            emit(.stream(name: "stdout", text: "quit: a console leaves; a notebook keeps its kernel (stop it with Kernel > Shut Down)\n"))
        }
        if outcome.status != .ok, let error = CellRunner.error(outcome, diagnostics: diagnostics) { emit(error) }
        return outcome
    }

    /// True when the cell's last statement is `show` or `compare` (its output is the cell's value).
    static func endsWithShow(_ file: SourceFile) -> Bool {
        guard case .command(let c)? = Parser.parse(file).statements.last else { return false }
        return c.name.text == "show" || c.name.text == "compare"
    }

    /// The error output: the positioned diagnostics (location, caret, hint) as the traceback.
    static func error(_ outcome: Session.Outcome, diagnostics: [String]) -> CellOutput? {
        let name: String
        switch outcome.status {
        case .ok: return nil
        case .interrupted: name = "Interrupted"
        case .staticErrors, .incomplete: name = "ScriptError"
        case .runtimeError:
            name = outcome.errors.allSatisfy { if case .assertionFailed = $0 { return true } else { return false } }
                && !outcome.errors.isEmpty ? "AssertionFailed" : "CommandFailed"
        }
        let lines = diagnostics.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        let first = outcome.errors.first.map { Diagnostic($0).message } ?? lines.first ?? name
        return .error(name: name, value: first, traceback: lines)
    }
}

extension OutputItem {
    /// A table as HTML and text, a chart as SVG; nil for text, which streams.
    var mimeBundle: [String: String]? {
        switch self {
        case .text: return nil
        case .table(let t): return ["text/plain": t.rendered(), "text/html": t.html()]
        case .chart(let title, let svg): return ["image/svg+xml": svg, "text/plain": "chart '\(title)'"]
        }
    }
}

import RMTL
import Foundation

/// One user's working session: the workspace, variables, the transcript for reports, and the
/// single `run(source:file:mode:)` path the prompt, `rmtl run` and `rmtl check` share.
public final class Session {
    public enum Mode: Sendable { case run, check, prompt }

    public enum Status: Sendable, Equatable {
        case ok
        /// Errors found before running anything (exit 65).
        case staticErrors
        /// A command or assert failed while running (exit 70), or a file could not be written (74).
        case runtimeError
        case interrupted
        /// More input could complete it (the prompt reads another line).
        case incomplete
    }

    public struct Outcome: Sendable {
        public var status: Status
        public var errors: [ScriptError]
        /// sysexits-style exit code for `rmtl run`/`check`.
        public var exitCode: Int32 {
            switch status {
            case .ok: return 0
            case .staticErrors, .incomplete: return 65
            case .interrupted: return 130
            case .runtimeError:
                return errors.contains {
                    switch $0 {
                    case .io, .relayed(_, isIO: true, _): return true
                    default: return false
                    }
                } ? 74 : 70
            }
        }
    }

    /// One top-level statement and what it printed, for `report`.
    public struct Entry: Sendable {
        public var file: String
        public var line: Int
        public var source: String
        public var output: [OutputItem]
        public var error: String?
    }

    public let workspace: Workspace
    public var loader: ScriptLoader
    public private(set) var variables: [String: Value] = [:]
    public private(set) var variableOrder: [String] = []
    /// `--set` values: a `let` of the same name keeps these.
    public private(set) var pinned: [String: Value] = [:]
    public private(set) var transcript: [Entry] = []
    /// Set by `quit`.
    public private(set) var quitRequested = false
    /// Prints a line of regular output.
    public var write: (String) -> Void
    /// Prints a diagnostic.
    public var writeError: (String) -> Void
    /// Shows one piece of command output. Unset (the prompt, `rmtl run`): its text goes to
    /// `write` and charts only to reports; the Jupyter kernel shows tables as HTML and charts as SVG.
    public var display: ((OutputItem) -> Void)?
    /// Markdown cells of the script or notebook, shown as prose in the report.
    public var prose: [ReportProse] = []
    /// Called with the input of each `run` that passed checking, just before it executes (the
    /// prompt records its entries into the run registry here).
    public var willExecute: ((SourceFile) -> Void)?

    private var currentOutput: [OutputItem] = []
    private var recording = false
    /// While an iteration of a `parallel` loop runs: what it shows, kept for the replay.
    private var capture: IterationRecord?

    public init(loader: ScriptLoader = ScriptLoader(), progress: ProgressReporter? = nil,
                write: @escaping (String) -> Void = { print($0) },
                writeError: @escaping (String) -> Void = { try? FileHandle.standardError.write(contentsOf: Data(($0 + "\n").utf8)) }) {
        self.loader = loader
        self.write = write
        self.writeError = writeError
        self.workspace = Workspace(progress: progress)
        self.workspace.emit = { [unowned self] item in self.emitted(item) }
    }

    func emitted(_ item: OutputItem) {
        if capture != nil { capture!.events.append(.output(item)); return }
        if recording { currentOutput.append(item) }
        if let display { return display(item) }
        switch item {
        case .chart: break  // charts go to the report and to files, not the terminal
        default: write(item.plainText)
        }
    }

    /// Sets a variable from the command line (`--set lambda=1`); `text` is parsed as a value.
    public func pin(_ name: String, text: String) -> ScriptError? {
        let file = SourceFile(name: "--set \(name)", text: text)
        let (tokens, lexErrors) = Lexer.lex(file)
        if let e = lexErrors.first { return e }
        var parser = Parser(file: file, tokens: tokens)
        var value: Value
        do {
            let expr = try parser.parseExpression()
            if let e = parser.errors.first { return e }
            value = try evaluate(expr)
        } catch let e as ScriptError { return e } catch {
            // a bare word such as a model name
            value = .word(text)
        }
        if let e = parser.errors.first { return e }
        pinned[name] = value
        define(name, value)
        return nil
    }

    private func undefine(_ name: String) {
        variables[name] = nil
        variableOrder.removeAll { $0 == name }
    }

    private func define(_ name: String, _ value: Value) {
        if variables[name] == nil { variableOrder.append(name) }
        variables[name] = value
    }

    /// The checker's starting point: what really exists now.
    public func currentCheckState() -> CheckState {
        var s = CheckState()
        s.flags = workspace.stateFlags
        s.taskNames = workspace.taskNames
        s.results = workspace.resultGroups
        for name in variableOrder {
            guard let v = variables[name] else { continue }
            s.define(name, Session.staticType(v))
            s.wordLists[name] = Session.words(v)
        }
        s.pinned = Set(pinned.keys)
        return s
    }

    /// The words of a list of words (`--set models=[esmm, mmoe]`), for the checker's loops over them.
    static func words(_ v: Value) -> [String]? {
        guard case .list(let items) = v else { return nil }
        let words = items.compactMap { if case .word(let w) = $0 { return w } else { return nil } }
        return words.count == items.count ? words : nil
    }

    static func staticType(_ v: Value) -> StaticType {
        switch v {
        case .number: return .number
        case .duration: return .duration
        case .string: return .string
        case .word(let w): return .word(w)
        case .bool: return .bool
        case .list(let items):
            guard let first = items.first else { return .list(.unknown) }
            let t = staticType(first)
            return .list(items.allSatisfy { staticType($0) == t } ? t : .unknown)
        case .pair: return .unknown
        case .indexedName: return .name
        }
    }

    // MARK: - The one entry point

    /// Lexes, parses (resolving includes), checks and — unless `mode == .check` — runs `source`.
    /// Stops after a pass that found errors. Diagnostics are written with `writeError`.
    @discardableResult
    public func run(source: String, file: String, mode: Mode) -> Outcome {
        run(file: SourceFile(name: file, text: source), mode: mode)
    }

    @discardableResult
    public func run(file: SourceFile, mode: Mode) -> Outcome {
        run(files: [file], mode: mode)
    }

    /// Runs sources as one script, in order: a notebook's code cells, each named for its cell.
    @discardableResult
    public func run(files: [SourceFile], mode: Mode) -> Outcome {
        var statements: [Statement] = [], loadErrors: [ScriptError] = []
        for file in files {
            let (s, e) = loader.load(file)
            statements += s
            loadErrors += e
        }
        if mode == .prompt, let incomplete = loadErrors.first(where: \.isIncompleteInput),
           files.contains(where: { $0 === incomplete.range.file }) {
            return Outcome(status: .incomplete, errors: [incomplete])
        }
        // After syntax errors the checker still runs (so one pass reports everything), but leniently:
        // a dropped line may have defined the state or names that later lines use.
        var checker = Checker(state: currentCheckState())
        checker.isLenient = !loadErrors.isEmpty
        checker.check(statements)
        let all = loadErrors + checker.errors
        if !all.isEmpty { return report(Session.ordered(all), .staticErrors) }
        if mode == .check { return Outcome(status: .ok, errors: []) }
        for file in files { willExecute?(file) }
        return execute(statements)
    }

    /// Errors sorted by file (in first-seen order) then position, without exact duplicates.
    static func ordered(_ errors: [ScriptError]) -> [ScriptError] {
        var files: [ObjectIdentifier] = []
        for e in errors where !files.contains(ObjectIdentifier(e.range.file)) { files.append(ObjectIdentifier(e.range.file)) }
        // force unwraps below: every error's file was added to `files` just above
        let sorted = errors.enumerated().sorted { a, b in
            let fa = files.firstIndex(of: ObjectIdentifier(a.element.range.file))!
            let fb = files.firstIndex(of: ObjectIdentifier(b.element.range.file))!
            if fa != fb { return fa < fb }
            if a.element.range.start != b.element.range.start { return a.element.range.start < b.element.range.start }
            return a.offset < b.offset
        }.map(\.element)
        var out: [ScriptError] = []
        var seen: Set<String> = []
        for e in sorted {
            let d = Diagnostic(e)
            if seen.insert("\(e.range.start):\(e.range.end):\(d.message)").inserted { out.append(e) }
        }
        return out
    }

    /// At most this many diagnostics are printed for one run (pathological inputs can have millions).
    public static let maxReportedErrors = 200

    private func report(_ errors: [ScriptError], _ status: Status) -> Outcome {
        for e in errors.prefix(Session.maxReportedErrors) { writeError(Diagnostic(e).rendered()) }
        if errors.count > Session.maxReportedErrors {
            writeError("note: \(errors.count - Session.maxReportedErrors) more errors not shown")
        }
        return Outcome(status: status, errors: errors)
    }

    /// Adds errors found before running to the transcript, one entry per error at its line, so
    /// that a report of a script that failed its check shows them (`rmtl run --report`).
    public func recordStaticErrors(_ errors: [ScriptError]) {
        for e in errors.prefix(Session.maxReportedErrors) {
            let r = e.range
            transcript.append(Entry(file: r.file.name, line: r.line, source: r.file.text(r.file.lineRange(r.line)),
                                    output: [], error: Diagnostic(e).rendered()))
        }
    }

    // MARK: - Running

    private func execute(_ statements: [Statement]) -> Outcome {
        var failures: [ScriptError] = []
        for s in statements {
            if quitRequested { break }
            recording = true
            currentOutput = []
            var entryError: String?
            defer {
                recording = false
                let r = s.range
                transcript.append(Entry(file: r.file.name, line: r.line, source: Session.sourceText(of: s),
                                        output: currentOutput, error: entryError))
            }
            let before = failures.count
            do {
                try exec(s, failures: &failures)
            } catch let e as ScriptError {
                let text = Diagnostic(e).rendered()
                entryError = text
                writeError(text)
                failures.append(e)
                if case .interrupted = e { return Outcome(status: .interrupted, errors: failures) }
                return Outcome(status: .runtimeError, errors: failures)
            } catch {
                // exec only throws ScriptError
                return Outcome(status: .runtimeError, errors: failures)
            }
            if failures.count > before {
                entryError = failures[before...].map { Diagnostic($0).rendered() }.joined(separator: "\n")
            }
        }
        return Outcome(status: failures.isEmpty ? .ok : .runtimeError, errors: failures)
    }

    /// The statement's full source lines (a `for` block spans several).
    static func sourceText(of s: Statement) -> String {
        let r = s.range
        let first = r.file.lineRange(r.line)
        let last = r.file.lineRange(r.file.line(of: max(r.start, r.end - 1)))
        return r.file.text(first.lowerBound..<max(first.upperBound, last.upperBound))
    }

    private func exec(_ s: Statement, failures: inout [ScriptError]) throws {
        switch s {
        case .command(let c):
            try runCommand(c)
        case .letBinding(let name, let expr, _):
            if pinned[name.text] != nil { return }
            define(name.text, try evaluate(expr))
        case .forLoop(let variable, let valuesExpr, let parallel, let body, _):
            let values: [Value]
            switch try evaluate(valuesExpr) {
            case .list(let items): values = items
            case .number(let n) where n >= 0 && n == n.rounded() && n <= 1e6:
                values = n < 1 ? [] : (1...Int(n)).map { .number(Double($0)) }
            default:
                throw ScriptError.runtime("'for' needs a list or a whole count (0 to 1e6)", at: valuesExpr.range)
            }
            let previous = variables[variable.text]
            defer {
                if let previous { variables[variable.text] = previous } else { undefine(variable.text) }
            }
            if parallel {
                return try execParallel(variable: variable, values: values, body: body, at: s.range, failures: &failures)
            }
            for v in values {
                if Interrupt.requested.load(ordering: .relaxed) { throw ScriptError.interrupted(at: s.range) }
                define(variable.text, v)
                try exec(block: body, failures: &failures)
                if quitRequested { return }
            }
        case .conditional(let condition, let then, let otherwise, _):
            guard case .bool(let holds) = try evaluate(condition) else {
                throw ScriptError.runtime("'if' needs a comparison such as $dataset == \"synthetic\"", at: condition.range)
            }
            try exec(block: holds ? then : otherwise, failures: &failures)
        case .include(_, let body, _):
            try exec(block: body ?? [], failures: &failures)
        case .assertion(let condition, let r):
            if let failure = try checkAssertion(condition, at: r) {
                if capture != nil { capture!.events.append(.failure(Diagnostic(failure).rendered())); return }
                writeError(Diagnostic(failure).rendered())
                failures.append(failure)
            }
        }
    }

    /// One iteration of a `parallel` loop, with `$variable` bound to `value`: what it showed and
    /// stored, and the error that stopped it.
    func runIteration(variable: String, value: Value, body: [Statement]) -> IterationRecord {
        define(variable, value)
        capture = IterationRecord()
        workspace.storeLog = []
        let historyStart = workspace.history.count
        var ignored: [ScriptError] = []  // failed asserts are in the record's events
        var error: ScriptError?
        do { try exec(block: body, failures: &ignored) } catch let e as ScriptError { error = e } catch {}
        var record = capture!  // set just above
        capture = nil
        record.results = workspace.storeLog ?? []
        workspace.storeLog = nil
        record.history = Array(workspace.history.dropFirst(historyStart))
        if let error {
            record.error = Diagnostic(error).rendered()
            switch error {
            case .io: record.errorKind = .io
            case .interrupted: record.errorKind = .interrupted
            default: break
            }
        }
        return record
    }

    /// The statements of a block in order, stopping at `quit`.
    private func exec(block: [Statement], failures: inout [ScriptError]) throws {
        for inner in block {
            if quitRequested { return }
            try exec(inner, failures: &failures)
        }
    }

    /// nil when the condition holds; otherwise the failure with both sides of each false comparison.
    private func checkAssertion(_ condition: Expr, at r: SourceRange) throws -> ScriptError? {
        let value = try evaluate(condition)
        guard case .bool(let holds) = value else {
            throw ScriptError.runtime("'assert' needs a comparison, found \(value.typeName)", at: condition.range)
        }
        if holds { return nil }
        var sides: [AssertionSide] = []
        func collect(_ e: Expr) throws {
            guard case .binary(let op, let a, let b, _) = e else { return }
            if op.isLogical {
                try collect(a)
                try collect(b)
            } else if op.isComparison, case .bool(false) = try evaluate(e) {
                sides.append(AssertionSide(expression: a.range.text, value: try evaluate(a).description))
                sides.append(AssertionSide(expression: b.range.text, value: try evaluate(b).description))
            }
        }
        try collect(condition)
        return .assertionFailed(expression: condition.range.text, sides: sides, at: condition.range)
    }

    // MARK: - Expressions

    func evaluate(_ e: Expr) throws -> Value {
        switch e {
        case .number(let v, let unit, _): return unit == .duration ? .duration(v) : .number(v)
        case .string(let s, _): return .string(s)
        case .word(let w, _):
            if w == "true" { return .bool(true) }
            if w == "false" { return .bool(false) }
            return .word(w)
        case .variable(let name, let r):
            guard let v = variables[name] else {
                throw ScriptError.unknownName(name, kind: .variable, candidates: variableOrder, context: nil, at: r)
            }
            return v
        case .indexed(let name, let index, _):
            return .indexedName(name.text, index: try evaluate(index).text)
        case .path(let base, let members, let r):
            return .number(try resultValue(base, members, r))
        case .list(let items, _): return .list(try items.map(evaluate))
        case .pair(let name, let v, _): return .pair(name.text, try evaluate(v))
        case .runResult: throw Checker.runResultMisused(e)
        case .interpolated(let parts, let index, _):
            let name = try parts.map(namePart).joined()
            guard let index else { return .word(name) }
            return .indexedName(name, index: try evaluate(index).text)
        case .negate(let inner, let r):
            switch try evaluate(inner) {
            case .number(let v): return .number(-v)
            case .duration(let v): return .duration(-v)
            case let v: throw ScriptError.runtime("cannot negate \(v.typeName)", at: r)
            }
        case .binary(let op, let a, let b, let r):
            if op == .and || op == .or {
                guard case .bool(let x) = try evaluate(a) else { throw ScriptError.runtime("'\(op.rawValue)' needs comparisons", at: a.range) }
                if op == .and, !x { return .bool(false) }
                if op == .or, x { return .bool(true) }
                guard case .bool(let y) = try evaluate(b) else { throw ScriptError.runtime("'\(op.rawValue)' needs comparisons", at: b.range) }
                return .bool(y)
            }
            let x = try evaluate(a), y = try evaluate(b)
            if op == .equal { return .bool(Session.same(x, y)) }
            if op == .notEqual { return .bool(!Session.same(x, y)) }
            guard let u = Session.numeric(x) else { throw ScriptError.runtime("'\(op.rawValue)' needs numbers, found \(x.typeName)", at: a.range) }
            guard let v = Session.numeric(y) else { throw ScriptError.runtime("'\(op.rawValue)' needs numbers, found \(y.typeName)", at: b.range) }
            let isDuration: Bool = { if case .duration = x { return true }; if case .duration = y { return true }; return false }()
            func wrap(_ d: Double) -> Value { isDuration ? .duration(d) : .number(d) }
            switch op {
            case .add: return wrap(u + v)
            case .subtract: return wrap(u - v)
            case .multiply: return wrap(u * v)
            case .divide:
                guard v != 0 else { throw ScriptError.runtime("division by zero", at: r) }
                return wrap(u / v)
            case .less: return .bool(u < v)
            case .lessEqual: return .bool(u <= v)
            case .greater: return .bool(u > v)
            case .greaterEqual: return .bool(u >= v)
            default: return .bool(false)
            }
        }
    }

    /// The text of one part of a built name (`rmtl_$m`): a word, or a variable holding a word or a
    /// whole number.
    private func namePart(_ part: Expr) throws -> String {
        guard case .variable(let name, let r) = part else { return try evaluate(part).text }
        let v = try evaluate(part)
        switch v {
        case .word(let w): return w
        case .number(let d) where d >= 0 && d == d.rounded() && d < 1e15: return Value.format(d)
        case .number: throw ScriptError.badNamePart(variable: name, found: v.description, at: r)
        default: throw ScriptError.badNamePart(variable: name, found: v.typeName, at: r)
        }
    }

    /// `==`: numbers by value (2048 == 2k), words and strings by text (`--set dataset=synthetic`
    /// gives a word; the script compares with "synthetic").
    static func same(_ x: Value, _ y: Value) -> Bool {
        if let u = numeric(x), let v = numeric(y) { return u == v }
        switch (x, y) {
        case (.word(let a), .string(let b)), (.string(let a), .word(let b)): return a == b
        default: return x == y
        }
    }

    static func numeric(_ v: Value) -> Double? {
        switch v {
        case .number(let d), .duration(let d): return d
        default: return nil
        }
    }

    /// `esmm.ctr.auc`: the metric of that result, or its mean over a group (`esmm[1]`, `esmm[2]`…).
    private func resultValue(_ base: Expr, _ members: [Name], _ r: SourceRange) throws -> Double {
        let name: String, index: String?
        switch base {
        case .word(let w, _): (name, index) = (w, nil)
        case .indexed(let n, let i, _): (name, index) = (n.text, try evaluate(i).text)
        case .interpolated:
            // evaluating a built name gives a word or an indexed name
            (name, index) = Arguments.resultName(try evaluate(base)) ?? (base.range.text, nil)
        default: throw ScriptError.runtime("a result path starts with a result name", at: base.range)
        }
        let rs = workspace.results(named: name, index: index)
        guard !rs.isEmpty else {
            throw ScriptError.unknownName(index.map { "\(name)[\($0)]" } ?? name, kind: .result,
                                          candidates: workspace.resultGroups, context: nil, at: base.range)
        }
        guard members.count == 2 else {
            throw ScriptError.invalidUse("a result path is RESULT.TASK.METRIC, e.g. \(name).ctr.auc", at: r)
        }
        let tasks = Workspace.taskOrder(rs)
        guard tasks.contains(members[0].text) else {
            throw ScriptError.unknownName(members[0].text, kind: .task, candidates: tasks, context: nil, at: members[0].range)
        }
        guard metricNames.contains(members[1].text) else {
            throw ScriptError.unknownName(members[1].text, kind: .metric, candidates: metricNames, context: nil, at: members[1].range)
        }
        let values = rs.compactMap { $0.metrics(members[0].text)?.value(members[1].text) }
        return Statistics.mean(values)
    }

    // MARK: - Commands

    /// Ends the session after the current statement (`quit`).
    func requestQuit() { quitRequested = true }
    public func clearQuit() { quitRequested = false }

    private func runCommand(_ c: CommandSyntax) throws {
        var errors: [ScriptError] = []
        guard let bound = Checker.bind(c, errors: &errors), errors.isEmpty else {
            throw errors.first ?? ScriptError.runtime("cannot run '\(c.name.text)'", at: c.name.range)
        }
        let args = Arguments(bound: bound, session: self)
        workspace.commandLocation = c.name.range
        defer { workspace.commandLocation = nil }
        do {
            for rule in bound.spec.rules {
                if let e = rule.check(bound, { name in try? args.value(name) }) { throw e }
            }
            try bound.spec.action(args)
        } catch let e as WorkspaceError {
            throw Session.scriptError(e, command: bound.spec.id, at: c.range)
        } catch let e as SettingError {
            let (name, at) = Session.argument(setting: e.key, of: bound)
            throw Arguments.scriptError(e, argument: name, at: at)
        } catch let e as ConfigurationError {
            let (name, at) = Session.argument(setting: e.parameter, of: bound)
            throw ScriptError.configurationRejected(argument: name, e.problem, at: at)
        } catch let e as ResourceError {
            let (name, at) = Session.argument(setting: e.parameter, of: bound)
            throw ScriptError.resourceExceeded(argument: name, e, at: at)
        } catch is Interrupt.Interrupted {
            throw ScriptError.interrupted(at: c.range)
        } catch let e as ScriptError {
            throw e
        } catch {
            // any other error the engine throws is shown at the command, in its own words
            let text = String(describing: error)
            throw ScriptError.runtime("'\(bound.spec.id)' failed: \(text)", at: c.range)
        }
    }

    /// The argument that gave engine setting `key` (its name and position), or the command itself
    /// when the value was a default: where an engine error about that setting points.
    static func argument(setting key: String, of bound: BoundCommand) -> (name: String, range: SourceRange) {
        let p = bound.spec.params.first { ($0.settingKey ?? $0.name) == key && bound.values[$0.name] != nil }
        if let p, let e = bound.values[p.name] { return (p.name, e.range) }
        return (key, bound.syntax.range)
    }

    static func scriptError(_ e: WorkspaceError, command: String, at r: SourceRange) -> ScriptError {
        switch e {
        case .unavailable(let name): return .commandUnavailable(command: name, at: r)
        case .failed(let text): return .runtime(text, at: r)
        case .rejected(let text, let hint): return .engineFailed(text, hint: hint, at: r)
        case .io(let op, let path): return .io(op, path: path, at: r)
        case .interrupted: return .interrupted(at: r)
        }
    }
}

import RMTL

/// What the checker knows about a value without running anything.
public indirect enum StaticType: Sendable, Equatable {
    case number, duration, string, bool, name, unknown
    case word(String?)
    case list(StaticType)

    var isWord: Bool { if case .word = self { return true } else { return false } }

    var summary: String {
        switch self {
        case .number: return "a number"
        case .duration: return "a duration"
        case .string: return "a string"
        case .bool: return "a true/false value"
        case .name: return "a result name"
        case .unknown: return "a value"
        case .word(let w): return w.map { "word '\($0)'" } ?? "a word"
        case .list: return "a list"
        }
    }
}

/// What the checker tracks while walking a script: engine state, task, result and variable names.
public struct CheckState: Sendable {
    public var flags: Set<StateFlag> = []
    /// Task names known from the loader, or nil when they depend on data not read yet.
    public var taskNames: [String]?
    /// Result names and group names, in the order they were first stored.
    public var results: [String] = []
    /// After `restore`, stored results are not known statically.
    public var resultsUnknown = false
    /// Names stored as `rmtl_$m` while `$m` was not known: its known parts, nil for each unknown one.
    public var resultPatterns: [[String?]] = []
    public var variableOrder: [String] = []
    public var variables: [String: StaticType] = [:]
    /// Names set from the command line (`--set`): a `let` of the same name keeps the given value.
    public var pinned: Set<String> = []
    /// Variables bound to a literal list of words (`let models = [esmm, mmoe]`): a `for` over one is
    /// checked once per word, so names built from the loop variable (`rmtl_$m`) are known.
    public var wordLists: [String: [String]] = [:]

    public init() {}

    mutating func define(_ name: String, _ type: StaticType) {
        if variables[name] == nil { variableOrder.append(name) }
        variables[name] = type
    }
    /// After `if … else …`: only what both branches certainly did; results and variables of either.
    mutating func merge(_ other: CheckState) {
        flags.formIntersection(other.flags)
        if taskNames != other.taskNames { taskNames = nil }
        for r in other.results { addResult(r) }
        resultsUnknown = resultsUnknown || other.resultsUnknown
        mergeNamePatterns(other)
        for name in other.variableOrder {
            guard let otherType = other.variables[name] else { continue }
            if let mine = variables[name], mine != otherType { variables[name] = .unknown } else { define(name, otherType) }
        }
    }

    mutating func addResult(_ name: String) {
        if !results.contains(name) { results.append(name) }
    }

    /// A word list survives `if … else …` when both branches agree on it (or only one defines the variable).
    private mutating func mergeNamePatterns(_ other: CheckState) {
        for p in other.resultPatterns where !resultPatterns.contains(p) { resultPatterns.append(p) }
        for name in Set(wordLists.keys).union(other.wordLists.keys) where wordLists[name] != other.wordLists[name] {
            if wordLists[name] == nil, variables[name] == nil { wordLists[name] = other.wordLists[name] }
            else if other.wordLists[name] != nil || other.variables[name] != nil { wordLists[name] = nil }
        }
    }

    /// Whether `name` is a stored result or may be one built from a name with unknown parts.
    func mayBeResult(_ name: String) -> Bool {
        results.contains(name) || resultPatterns.contains { CheckState.matches(name[...], $0[...]) }
    }

    /// Whether `name` reads as `pattern`, each nil part standing for at least one character.
    static func matches(_ name: Substring, _ pattern: ArraySlice<String?>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        if let literal = first {
            return name.hasPrefix(literal) && matches(name.dropFirst(literal.count), pattern.dropFirst())
        }
        guard !name.isEmpty else { return false }
        var end = name.index(after: name.startIndex)
        while !matches(name[end...], pattern.dropFirst()) {
            if end == name.endIndex { return false }
            end = name.index(after: end)
        }
        return true
    }
}

/// A command matched against its `CommandSpec`: which expression fills which parameter.
public struct BoundCommand: Sendable {
    public var spec: CommandSpec
    public var syntax: CommandSyntax
    public var values: [String: Expr] = [:]
    /// Values of the variadic parameter, in order.
    public var rest: [Expr] = []
    /// `name=value` pairs not in the spec (only for `acceptsAnyNamedArgument` commands).
    public var extra: [(Name, Expr)] = []
}

/// The static pass: finds every unknown name, wrong type, missing argument and impossible order
/// before anything runs. `rmtl check` stops here.
public struct Checker {
    public var state: CheckState
    public private(set) var errors: [ScriptError] = []
    /// Set when some lines failed to parse: errors that a dropped line could explain (missing
    /// state, unknown results and variables) are not reported.
    public var isLenient = false
    /// Bodies checked per pass of the innermost loop over words being unrolled (`checkLoopBody`).
    private var unrolledBodies = 1
    /// Inside the body of a `parallel` loop (Parallel.swift).
    private var insideParallel = false

    /// The commands a `parallel` loop's body may run: they build, train and evaluate models and
    /// show things. Others change the data every iteration shares or write files the iterations
    /// would race for; they belong before or after the loop.
    static let parallelCommands: Set<String> = [
        "seed", "threads", "actor", "critic", "train", "eval", "show", "save", "restore", "compare", "record", "sleep", "spin",
    ]
    /// What every iteration of a `parallel` loop starts without, and what the loop leaves.
    static let parallelDrops: Set<StateFlag> = [.actor, .trainedActor, .critic, .trainedCritic]

    public init(state: CheckState = CheckState()) { self.state = state }

    private mutating func report(_ e: ScriptError) {
        if isLenient {
            switch e {
            case .missingState: return
            case .unknownName(_, let kind, _, _, _) where kind == .result || kind == .variable || kind == .task: return
            default: break
            }
        }
        errors.append(e)
    }

    public mutating func check(_ statements: [Statement]) {
        for s in statements { check(s) }
    }

    mutating func check(_ statement: Statement) {
        switch statement {
        case .command(let c):
            checkCommand(c)
        case .letBinding(let name, let value, _):
            let type = typeOf(value)
            if !state.pinned.contains(name.text) {
                state.define(name.text, type)
                state.wordLists[name.text] = literalWords(value)
            }
        case .forLoop(let variable, let values, let parallel, let body, _):
            if parallel && insideParallel {
                report(.invalidUse("a 'parallel' loop cannot be inside another 'parallel' loop; only one is spread over the ranks",
                                   at: variable.range))
            }
            let wasInsideParallel = insideParallel
            if parallel {
                insideParallel = true
                state.flags.subtract(Checker.parallelDrops)
            }
            defer {
                insideParallel = wasInsideParallel
                if parallel { state.flags.subtract(Checker.parallelDrops) }
            }
            let listType = typeOf(values)
            var element: StaticType = .unknown
            switch listType {
            case .list(let e): element = e
            case .number: element = .number  // a count n runs 1…n
            case .unknown: element = .unknown
            default:
                report(.wrongType(argument: "for", expected: "a list or a count", found: listType.summary, at: values.range))
            }
            let previous = state.variables[variable.text], previousWords = state.wordLists[variable.text]
            checkLoopBody(body, variable: variable.text, words: literalWords(values), element: element)
            state.wordLists[variable.text] = previousWords
            if let previous { state.variables[variable.text] = previous } else {
                state.variables[variable.text] = nil
                state.variableOrder.removeAll { $0 == variable.text }
            }
        case .conditional(let condition, let then, let otherwise, _):
            let t = typeOf(condition)
            if t != .bool, t != .unknown {
                report(.wrongType(argument: "if", expected: "a comparison such as $dataset == \"synthetic\"",
                                  found: t.summary, at: condition.range))
            }
            let before = state
            check(then)
            let afterThen = state
            state = before
            check(otherwise)
            state.merge(afterThen)
        case .include(_, let body, _):
            if let body { check(body) }
        case .assertion(let condition, _):
            let t = typeOf(condition)
            if t != .bool, t != .unknown {
                report(.wrongType(argument: "assert", expected: "a comparison such as esmm.ctr.auc > 0.7",
                                         found: t.summary, at: condition.range))
            }
        }
    }

    /// At most this many passes over a body when loops over words are checked once per word (nested
    /// loops multiply); past it a loop's body is checked once, with the loop variable's word unknown.
    static let maxUnrolledBodies = 256

    /// A loop over words (`for m in [esmm, mmoe]`) is checked as it runs: once per word, with `$m`
    /// bound to it, so `eval test as rmtl_$m` stores `rmtl_esmm` and `rmtl_mmoe`. Other loops are
    /// checked once with `$m` of the element type.
    private mutating func checkLoopBody(_ body: [Statement], variable: String, words: [String]?, element: StaticType) {
        state.wordLists[variable] = nil
        guard let words, !words.isEmpty, unrolledBodies * words.count <= Checker.maxUnrolledBodies else {
            state.define(variable, element)
            return check(body)
        }
        unrolledBodies *= words.count
        defer { unrolledBodies /= words.count }
        for w in words {
            state.define(variable, .word(w))
            check(body)
        }
    }

    /// The words of a literal list of words, or of a variable bound to one (nil otherwise).
    func literalWords(_ e: Expr) -> [String]? {
        switch e {
        case .variable(let name, _): return state.wordLists[name]
        default: return Checker.constantValue(e).flatMap(Session.words)
        }
    }

    // MARK: - Commands

    mutating func checkCommand(_ c: CommandSyntax) {
        var bindErrors: [ScriptError] = []
        guard let bound = Checker.bind(c, errors: &bindErrors) else {
            for e in bindErrors { report(e) }
            return
        }
        for e in bindErrors { report(e) }
        let spec = bound.spec
        if insideParallel, !Checker.parallelCommands.contains(spec.verb) || (spec.verb == "compare" && bound.values["markdown"] != nil) {
            report(.invalidUse("'\(spec.id)\(spec.verb == "compare" ? " markdown=" : "")' cannot run inside a 'parallel' loop: "
                               + "its iterations run at once on different ranks; run it before or after the loop", at: c.name.range))
        }
        for need in spec.needs where !state.flags.contains(need) {
            let at = spec.sub != nil && !c.arguments.isEmpty ? c.name.range.union(c.arguments[0].range) : c.name.range
            report(.missingState(command: spec.id, needs: need, at: at))
            break
        }
        for p in spec.params {
            guard let e = bound.values[p.name] else { continue }
            checkValue(e, p, command: spec.id)
        }
        if let v = spec.variadic { for e in bound.rest { checkValue(e, v, command: spec.id) } }
        for (_, e) in bound.extra { _ = typeOf(e) }
        for rule in spec.rules {
            if let e = rule.check(bound, { name in
                bound.values[name].map(Checker.constantValue) ?? spec.param(name)?.defaultValue
            }) { report(e) }
        }
        // removes first: `load rmtl` drops old splits and provides its own
        state.flags.subtract(spec.removes)
        state.flags.formUnion(spec.produces)
        spec.effect?(&self, bound)
    }

    /// Matches arguments to parameters. Shared by the checker and the interpreter.
    public static func bind(_ c: CommandSyntax, errors: inout [ScriptError]) -> BoundCommand? {
        let verb = c.name.text
        let verbs = Commands.verbs(includeHidden: true)
        guard verbs.contains(verb) else {
            errors.append(.unknownName(verb, kind: .command, candidates: keywords + Commands.verbs(),
                                       context: nil, at: c.name.range))
            return nil
        }
        var args = c.arguments[...]
        var sub: String?
        let subs = Commands.subs(of: verb)
        if !subs.isEmpty {
            guard let first = args.first, first.label == nil, case .word(let w, let r) = first.value else {
                let at = args.first?.range ?? c.name.range
                errors.append(.missingArgument(command: verb, argument: "one of: " + subs.joined(separator: ", "), at: at))
                return nil
            }
            guard subs.contains(w) else {
                errors.append(.unknownName(w, kind: .subcommand, candidates: subs, context: "'\(verb)'", at: r))
                return nil
            }
            sub = w
            args = args.dropFirst()
        }
        guard let spec = Commands.spec(verb: verb, sub: sub) else { return nil }
        var bound = BoundCommand(spec: spec, syntax: c)
        var nextPositional = spec.params.firstIndex { $0.isPositional } ?? spec.params.count
        var seen: Set<String> = []
        var pendingKeyword: ParamSpec?
        for arg in args {
            if let k = pendingKeyword {
                pendingKeyword = nil
                if arg.label == nil {
                    bound.values[k.name] = arg.value
                    continue
                }
                errors.append(.missingArgument(command: spec.id, argument: "a name after '\(k.keyword ?? k.name)'", at: arg.range))
                return bound
            }
            if let label = arg.label {
                if let p = spec.param(label.text) {
                    if seen.contains(p.name) { errors.append(.duplicateArgument(p.name, at: label.range)); continue }
                    seen.insert(p.name)
                    bound.values[p.name] = arg.value
                } else if spec.acceptsAnyNamedArgument {
                    bound.extra.append((label, arg.value))
                } else {
                    errors.append(.unknownName(label.text, kind: .argument, candidates: spec.params.map(\.name),
                                               context: "'\(spec.id)'", at: label.range))
                }
                continue
            }
            if case .word(let w, _) = arg.value, let p = spec.params.first(where: { $0.keyword == w }) {
                if seen.contains(p.name) { errors.append(.duplicateArgument(p.name, at: arg.range)); continue }
                seen.insert(p.name)
                pendingKeyword = p
                continue
            }
            while nextPositional < spec.params.count,
                  !spec.params[nextPositional].isPositional || seen.contains(spec.params[nextPositional].name) {
                nextPositional += 1
            }
            if nextPositional < spec.params.count {
                let p = spec.params[nextPositional]
                seen.insert(p.name)
                bound.values[p.name] = arg.value
                nextPositional += 1
            } else if spec.variadic != nil {
                bound.rest.append(arg.value)
            } else {
                errors.append(.tooManyArguments(command: spec.id, at: arg.range))
                return bound
            }
        }
        if let k = pendingKeyword {
            errors.append(.missingArgument(command: spec.id, argument: "a name after '\(k.keyword ?? k.name)'",
                                           at: c.arguments.last?.range ?? c.name.range))
            return bound
        }
        for p in spec.params where p.isRequired && bound.values[p.name] == nil {
            let how = p.keyword.map { "'\($0) NAME'" } ?? (p.isPositional ? p.name.uppercased() : "\(p.name)=")
            errors.append(.missingArgument(command: spec.id, argument: "\(how) (\(p.type.summary))", at: c.name.range))
        }
        if let v = spec.variadic, v.isRequired, bound.rest.isEmpty {
            errors.append(.missingArgument(command: spec.id, argument: "at least one of \(v.name) (\(v.type.summary))",
                                           at: c.name.range))
        }
        return bound
    }

    static func resultBase(_ e: Expr) -> String? {
        switch e {
        case .word(let w, _): return w
        case .indexed(let n, _, _): return n.text
        case .variable: return nil
        default: return nil
        }
    }

    /// The result name `e` stores or refers to, when known without running: `esmm` and `esmm[$s]`
    /// give esmm; `rmtl_$m[$s]` and `$m` give rmtl_esmm and esmm while the loop body is checked for
    /// m = esmm.
    func knownResultBase(_ e: Expr) -> String? {
        switch e {
        case .interpolated(let parts, _, _):
            let known = knownParts(parts)
            return known.contains(nil) ? nil : known.map { $0! }.joined()
        case .variable:
            return knownParts([e])[0]
        default:
            return Checker.resultBase(e)
        }
    }

    /// Each part's text, nil where a variable's word is not known statically.
    func knownParts(_ parts: [Expr]) -> [String?] {
        parts.map { part in
            switch part {
            case .word(let w, _): return w
            case .variable(let name, _): if case .word(let w)? = state.variables[name] { return w } else { return nil }
            default: return nil
            }
        }
    }

    /// `eval … as NAME`: a name not known statically (`rmtl_$m` with `$m` unknown) is kept as a
    /// pattern, so later references that fit it are not reported.
    mutating func addResult(named e: Expr) {
        if let name = knownResultBase(e) { return state.addResult(name) }
        let parts: [Expr]
        switch e {
        case .interpolated(let p, _, _): parts = p
        case .variable: parts = [e]
        default: return
        }
        let pattern = knownParts(parts)
        if !state.resultPatterns.contains(pattern) { state.resultPatterns.append(pattern) }
    }

    // MARK: - Values

    mutating func checkValue(_ e: Expr, _ p: ParamSpec, command: String) {
        if case .runResult(_, let name, _) = e {
            if p.type == .result { _ = typeOf(name, resultNameContext: true) } else { report(Checker.runResultMisused(e)) }
            return
        }
        let found = typeOf(e, resultNameContext: p.type == .newResult || p.type == .result || p.type == .any)
        func wrong() {
            report(.wrongType(argument: p.name, expected: p.type.summary, found: found.summary, at: e.range))
        }
        if found == .unknown { return }
        switch p.type {
        case .setting(let domain):
            if let error = checkSetting(e, found, domain, p) { report(error) }
        case .number:
            if found != .number { wrong() }
        case .duration:
            if found != .duration { wrong() }
            else if let d = Checker.constant(e), !ParamType.durationRange.contains(d) {
                report(.valueOutOfRange(argument: p.name, value: e.range.text, allowed: ParamType.durationRangeSummary, at: e.range))
            }
        case .path:
            if found != .string { wrong() }
            if case .string("", _) = e {
                report(.valueOutOfRange(argument: p.name, value: "an empty string", allowed: "a file name", at: e.range))
            }
        case .model:
            guard case .word(let w) = found else { return wrong() }
            if let w, !modelNames.contains(w) {
                report(.unknownName(w, kind: .model, candidates: modelNames, context: nil, at: e.range))
            }
        case .labelMap:
            guard case .list(let items, _) = e else { return wrong() }
            if items.isEmpty {
                report(.invalidUse("'labels' needs at least one task, e.g. [ctr=is_click]", at: e.range))
            }
            for item in items {
                guard case .pair = item else {
                    report(.wrongType(argument: p.name, expected: "task=column pairs such as ctr=is_click",
                                             found: typeOf(item).summary, at: item.range))
                    continue
                }
            }
        case .nameList:
            guard case .list = found else { return wrong() }
        case .resultList:
            guard case .list(let items, _) = e else { return wrong() }
            for item in items {
                if case .list(let inner, _) = item { inner.forEach { checkResultReference($0) } } else { checkResultReference(item) }
            }
        case .newResult:
            if found != .name, found != .string { if case .word = found {} else { wrong() } }
        case .result:
            checkResultReference(e)
        case .any:
            if command == "show" { checkShowTopic(e) }
            if command == "help" { checkHelpTopic(e) }
        }
    }

    /// A value for an engine setting: the static type first, then, for a constant, the engine's
    /// own range check (`Arguments.admit`, which the interpreter uses on run-time values too).
    /// Returns the type error; range errors are reported here.
    mutating func checkSetting(_ e: Expr, _ found: StaticType, _ domain: SettingDomain, _ p: ParamSpec) -> ScriptError? {
        let wrong = ScriptError.wrongType(argument: p.name, expected: p.type.summary, found: found.summary, at: e.range)
        switch domain {
        case .integer, .real: if found != .number { return wrong }
        case .flag: if found != .bool, !found.isWord { return wrong }
        case .choice: if !found.isWord { return wrong }
        case .integerList(let allowed, _):
            guard case .list(let element) = found, element == .number || element == .unknown else { return wrong }
            // each constant element at its own position, then the list as a whole
            guard case .list(let items, _) = e else { return nil }
            var failed = false
            for item in items {
                guard let v = Checker.constantValue(item) else { continue }
                do { _ = try Arguments.admit(.list([v]), .integerList(allowed, allowsEmpty: true), argument: p.name, at: item.range) }
                catch { report(error); failed = true }
            }
            if failed { return nil }
        }
        guard let v = Checker.constantValue(e) else { return nil }
        do { _ = try Arguments.admit(v, domain, argument: p.name, at: e.range) } catch { report(error) }
        return nil
    }

    /// The value of a constant expression (numbers, words, strings, lists of them), or nil.
    static func constantValue(_ e: Expr) -> Value? {
        switch e {
        case .string(let s, _): return .string(s)
        case .word(let w, _): return w == "true" ? .bool(true) : w == "false" ? .bool(false) : .word(w)
        case .list(let items, _):
            let values = items.compactMap(constantValue)
            return values.count == items.count ? .list(values) : nil
        case .number(_, let unit, _) where unit == .duration: return constant(e).map(Value.duration)
        default: return constant(e).map(Value.number)
        }
    }

    mutating func checkResultReference(_ e: Expr) {
        guard let base = knownResultBase(e), !state.resultsUnknown, !state.mayBeResult(base) else { return }
        report(.unknownName(base, kind: .result, candidates: state.results, context: nil,
                                   at: Checker.nameRange(e)))
    }

    static func nameRange(_ e: Expr) -> SourceRange {
        if case .indexed(let n, _, _) = e { return n.range }
        if case .interpolated(let parts, _, _) = e, let first = parts.first, let last = parts.last {
            return first.range.union(last.range)
        }
        return e.range
    }

    mutating func checkShowTopic(_ e: Expr) {
        if case .interpolated = e { return checkResultReference(e) }  // a built name is a result's
        guard case .word(let w, let r) = e else { return }
        if CommandSpec.showTopics.contains(w) || state.variables[w] != nil || state.mayBeResult(w) { return }
        report(.unknownName(w, kind: .keyword, candidates: CommandSpec.showTopics + state.variableOrder + state.results,
                                   context: "'show'", at: r))
    }

    mutating func checkHelpTopic(_ e: Expr) {
        guard case .word(let w, let r) = e else { return }
        let topics = Commands.verbs() + Commands.verbs().flatMap(Commands.subs(of:)) + keywords
        if !topics.contains(w) {
            report(.unknownName(w, kind: .command, candidates: keywords + Commands.verbs(), context: nil, at: r))
        }
    }

    /// The value of a constant numeric expression, or nil.
    static func constant(_ e: Expr) -> Double? {
        switch e {
        case .number(let v, _, _): return v
        case .negate(let inner, _): return constant(inner).map { -$0 }
        case .binary(let op, let a, let b, _):
            guard let x = constant(a), let y = constant(b) else { return nil }
            switch op {
            case .add: return x + y
            case .subtract: return x - y
            case .multiply: return x * y
            case .divide: return y == 0 ? nil : x / y
            default: return nil
            }
        default: return nil
        }
    }

    // MARK: - Expressions

    /// The static type of `e`, reporting unknown variables and bad result paths on the way.
    mutating func typeOf(_ e: Expr, resultNameContext: Bool = false) -> StaticType {
        switch e {
        case .number(_, let unit, _): return unit == .duration ? .duration : .number
        case .string: return .string
        case .word(let w, _):
            if w == "true" || w == "false" { return resultNameContext ? .word(w) : .bool }
            return .word(w)
        case .variable(let name, let r):
            if let t = state.variables[name] { return t }
            report(.unknownName(name, kind: .variable, candidates: state.variableOrder, context: nil, at: r))
            return .unknown
        case .indexed(_, let index, _):
            _ = typeOf(index)
            return .name
        case .path(let base, let members, let r):
            checkPath(base, members, r)
            return .number
        case .list(let items, _):
            var element: StaticType?
            for item in items {
                let t = typeOf(item)
                if element == nil { element = t } else if element != t {
                    if case .word = t, case .word = element! { element = .word(nil) } else { element = .unknown }
                }
            }
            return .list(element ?? .unknown)
        case .pair(_, let v, _):
            _ = typeOf(v)
            return .unknown
        case .runResult:
            report(Checker.runResultMisused(e))
            return .unknown
        case .interpolated(let parts, let index, _):
            for part in parts { checkNamePart(part) }
            guard let index else { return .word(knownResultBase(e)) }
            _ = typeOf(index)
            return .name
        case .negate(let inner, _):
            let t = typeOf(inner)
            if t != .number, t != .duration, t != .unknown {
                report(.wrongType(argument: "-", expected: "a number", found: t.summary, at: inner.range))
                return .unknown
            }
            return t
        case .binary(let op, let a, let b, _):
            let ta = typeOf(a), tb = typeOf(b)
            if op.isLogical {
                for (t, x) in [(ta, a), (tb, b)] where t != .bool && t != .unknown {
                    report(.wrongType(argument: op.rawValue, expected: "a comparison", found: t.summary, at: x.range))
                }
                return .bool
            }
            let numeric: (StaticType) -> Bool = { $0 == .number || $0 == .duration || $0 == .unknown }
            if op == .equal || op == .notEqual { return .bool }
            for (t, x) in [(ta, a), (tb, b)] where !numeric(t) {
                report(.wrongType(argument: op.rawValue, expected: "a number", found: t.summary, at: x.range))
                return op.isComparison ? .bool : .unknown
            }
            if op.isComparison { return .bool }
            if ta == .duration || tb == .duration { return .duration }
            return ta == .unknown || tb == .unknown ? .unknown : .number
        }
    }

    /// A `$variable` part of a built name must hold a word or a whole number.
    private mutating func checkNamePart(_ part: Expr) {
        guard case .variable(let name, let r) = part else { return }
        switch typeOf(part) {
        case .word, .number, .unknown: break
        case let t: report(.badNamePart(variable: name, found: t.summary, at: r))
        }
    }

    /// `@12.esmm` anywhere but a result argument (`compare`).
    static func runResultMisused(_ e: Expr) -> ScriptError {
        .invalidUse("a past run's result such as \(e.range.text) can only be given to 'compare'", at: e.range)
    }

    /// `RESULT.TASK.METRIC`, e.g. `esmm.ctr.auc` or `esmm[1].ctr.auc`.
    mutating func checkPath(_ base: Expr, _ members: [Name], _ r: SourceRange) {
        if case .indexed(_, let index, _) = base { _ = typeOf(index) }
        if case .interpolated = base { _ = typeOf(base) } else if Checker.resultBase(base) == nil { return }
        // a built name not known statically (`rmtl_$m.ctr.auc`) still has its task and metric checked
        let name = knownResultBase(base) ?? Checker.nameRange(base).text
        if knownResultBase(base) != nil, !state.mayBeResult(name), !state.resultsUnknown {
            report(.unknownName(name, kind: .result, candidates: state.results, context: nil,
                                       at: Checker.nameRange(base)))
            return
        }
        guard members.count == 2 else {
            report(.invalidUse("a result path is RESULT.TASK.METRIC, e.g. \(name).ctr.auc", at: r))
            return
        }
        if let tasks = state.taskNames, !tasks.contains(members[0].text) {
            report(.unknownName(members[0].text, kind: .task, candidates: tasks, context: nil, at: members[0].range))
        }
        if !metricNames.contains(members[1].text) {
            report(.unknownName(members[1].text, kind: .metric, candidates: metricNames, context: nil,
                                       at: members[1].range))
        }
    }
}

/// Tab-completion candidates for the prompt, from the command table and the session's names.
/// Pure (no readline), so it is tested directly; the CLI's readline callback calls it.
public enum Completion {
    public enum Candidates: Equatable, Sendable {
        case words([String])
        /// Complete a file name (the cursor is inside a string).
        case files
    }

    /// Names of the session that completion offers.
    public struct Context: Sendable, Equatable {
        public var results: [String]
        public var variables: [String]
        public init(results: [String] = [], variables: [String] = []) {
            self.results = results
            self.variables = variables
        }
    }

    /// Candidates for the word `prefix` that starts at byte `start` of `line` (readline's view:
    /// word breaks at spaces, quotes, `=`, `$`, `(`, `[` and `,`).
    public static func candidates(line: String, start: Int, prefix: String, context: Context) -> Candidates {
        let bytes = Array(line.utf8)
        let before = Array(bytes[0..<min(start, bytes.count)])
        if before.filter({ $0 == 0x22 }).count % 2 == 1 { return .files }
        let last = before.last
        if last == 0x24 { return .words(filter(context.variables, prefix)) }  // after '$'
        let head = String(decoding: before, as: UTF8.self)
        // words of the statement so far (the last line of a multi-line entry)
        let current = head.split(separator: "\n", omittingEmptySubsequences: false).last.map(String.init) ?? head
        var words = current.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if let i = words.lastIndex(of: "{") { words = Array(words[(i + 1)...]) }
        if last == 0x3D, let arg = words.last.map({ String($0.dropLast()) }) {  // after 'name='
            return .words(filter(valueWords(verb: words.first ?? "", sub: words.dropFirst().first,
                                            argument: arg, context: context), prefix))
        }
        guard let verb = words.first else {
            return .words(filter(keywords + Commands.verbs(), prefix))
        }
        if verb == "assert" || verb == "let" || verb == "if" { return .words(filter(context.results, prefix)) }
        // `for NAME in VALUES parallel {`: after the values, offer `parallel`
        if verb == "for" { return .words(words.count >= 4 && words[2] == "in" ? filter(["parallel"], prefix) : []) }
        if verb == "include" { return .words([]) }
        let subs = Commands.subs(of: verb)
        if !subs.isEmpty, words.count == 1 { return .words(filter(subs, prefix)) }
        let sub = subs.isEmpty ? nil : words[1]
        guard let spec = Commands.spec(verb: verb, sub: sub) else { return .words([]) }
        // after `as` (a new name) or `to` (a file), nothing to offer
        if let last = words.last, spec.params.contains(where: { $0.keyword == last }) { return .words([]) }
        let used = Set(words.compactMap { w -> String? in w.firstIndex(of: "=").map { String(w[..<$0]) } })
        var out: [String] = []
        // values for the next positional parameter
        let positionalGiven = words.count - 1 - (sub == nil ? 0 : 1) - used.count
        let positionals = spec.params.filter { $0.isPositional }
        if positionalGiven < positionals.count {
            out += valueWords(for: positionals[positionalGiven], verb: verb, context: context)
        } else if let v = spec.variadic {
            out += valueWords(for: v, verb: verb, context: context)
        }
        out += spec.params.filter { !$0.isPositional && !used.contains($0.name) }.map { p in
            p.keyword ?? "\(p.name)="
        }
        return .words(filter(out, prefix))
    }

    static func filter(_ words: [String], _ prefix: String) -> [String] {
        var seen: Set<String> = []
        return words.filter { $0.hasPrefix(prefix) && seen.insert($0).inserted }
    }

    static func valueWords(verb: String, sub: String?, argument: String, context: Context) -> [String] {
        let subs = Commands.subs(of: verb)
        guard let spec = Commands.spec(verb: verb, sub: subs.isEmpty ? nil : sub),
              let p = spec.param(argument) else { return [] }
        return valueWords(for: p, verb: verb, context: context)
    }

    static func valueWords(for p: ParamSpec, verb: String, context: Context) -> [String] {
        switch p.type {
        case .result: return context.results
        case .any where verb == "show": return CommandSpec.showTopics + context.results + context.variables
        case .any where verb == "help": return keywords + Commands.verbs()
        default: return p.type.words
        }
    }
}

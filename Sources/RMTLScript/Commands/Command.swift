import RMTL

/// The type an argument accepts; feeds the checker, `help` and completion.
public enum ParamType: Sendable, Equatable {
    /// A value the engine declares (a `Setting`'s domain) or one shaped like it: whole numbers,
    /// numbers in an interval, true/false, one of some words, lists of whole numbers.
    case setting(SettingDomain)
    /// Any finite number.
    case number
    case duration
    /// A quoted file or folder name.
    case path
    /// A model name (`ModelKind`).
    case model
    /// `[ctr=is_click, ctcvr=long_view]`: task name = column.
    case labelMap
    /// `[a, b]` column names.
    case nameList
    /// `[a, b]` or `[[x, a, b], …]`: existing results.
    case resultList
    /// A new result name, possibly indexed: `esmm`, `esmm[$s]`.
    case newResult
    /// An existing result or result group.
    case result
    /// Anything (`show`, `help` topics, column names); the command checks it.
    case any

    static func integer(min: Int) -> ParamType { .setting(.integer(min...Int.max)) }
    /// Durations (seconds) an argument accepts: none negative, none so long that milliseconds
    /// overflow (`gap=1e300d`).
    static let durationRange = 0.0...(36_500.0 * 86_400)
    static let durationRangeSummary = "a duration from 0s to 36500d"
    static let fraction = ParamType.setting(.real(.closed(0, 1)))
    static let bool = ParamType.setting(.flag)
    static func choice(_ words: [String]) -> ParamType { .setting(.choice(words)) }

    /// How help and type errors describe it.
    public var summary: String {
        switch self {
        case .setting(.integer(let r)): return r.lowerBound > 0 ? "a whole number ≥ \(r.lowerBound)" : "a whole number"
        case .setting(.flag): return "true or false"
        case .setting(.integerList): return "a list of whole numbers such as [512, 256]"
        case .setting(let domain): return domain.summary
        case .number: return "a number"
        case .duration: return "a duration such as 30m"
        case .path: return "a file name in quotes"
        case .model: return "a model (" + modelNames.joined(separator: "|") + ")"
        case .labelMap: return "a list such as [ctr=is_click, ctcvr=long_view]"
        case .nameList: return "a list of column names"
        case .resultList: return "a list of result names"
        case .newResult: return "a result name such as esmm or esmm[$s]"
        case .result: return "a result name"
        case .any: return "a name"
        }
    }

    /// The words completion offers for it, besides the session's names.
    var words: [String] {
        switch self {
        case .setting(.choice(let words)): return words
        case .setting(.flag): return ["true", "false"]
        case .model: return modelNames
        default: return []
        }
    }
}

/// One argument of a command.
public struct ParamSpec: Sendable {
    public var name: String
    public var type: ParamType
    /// Used when the argument is left out; nil with `isRequired == false` means "not set".
    public var defaultValue: Value?
    /// Said by `help` when there is no fixed default ("the critic's setting").
    public var defaultNote: String?
    /// "epochs", "rows"… for `help`.
    public var unit: String?
    /// The engine setting this argument sets (`lr` of `train ddpg` sets `actor_lr`), so an engine
    /// error about that setting points at this argument.
    public var settingKey: String?
    /// Can be given without `name=`, in declaration order.
    public var isPositional: Bool
    public var isRequired: Bool
    /// Introduced by a word instead of `name=` (`eval test as esmm`).
    public var keyword: String?
    public var help: String

    init(_ name: String, _ type: ParamType, default value: Value? = nil, positional: Bool = false,
         required: Bool = false, keyword: String? = nil, _ help: String) {
        self.name = name
        self.type = type
        self.defaultValue = value
        self.isPositional = positional
        self.isRequired = required
        self.keyword = keyword
        self.help = help
    }

    /// The engine's declaration of `key` in `C`, as an argument named `name` (default: the key).
    /// `defaults` gives the default value; without it the argument is unset unless given, and
    /// `note` says what is used instead.
    static func setting<C: Configurable>(_ key: String, of _: C.Type, as name: String? = nil, defaults: C? = nil,
                                         note: String? = nil) -> ParamSpec {
        // every key asked for is declared by C (a programming error otherwise, caught by the help test)
        let s = C.setting(key)!
        var p = ParamSpec(name ?? key, .setting(s.domain), default: defaults.map { Value(s.value(in: $0)) },
                          s.meaning)
        p.defaultNote = note
        p.unit = s.unit
        p.settingKey = key
        return p
    }
}

/// What a command does, given its evaluated arguments.
typealias CommandAction = @Sendable (Arguments) throws -> Void

/// One command of the language, declared once: its parameters, the engine state it needs,
/// provides and removes, its rules across arguments, what it tells the checker, and its action.
/// The checker, the interpreter, `help`, completion and suggestions all read this declaration.
/// Each lives in its own file under `Commands/`; `commandTable` lists them.
public struct CommandSpec: Sendable {
    /// `"train actor"`, `"seed"`.
    public var id: String { sub.map { "\(verb) \($0)" } ?? verb }
    public var verb: String
    public var sub: String?
    public var params: [ParamSpec]
    /// Extra positional values (`compare A B …`).
    public var variadic: ParamSpec?
    /// Accepts any `name=value` (the hidden `record` test commands).
    public var acceptsAnyNamedArgument = false
    /// Engine state that must exist before it runs.
    public var needs: [StateFlag]
    /// Engine state it creates.
    public var produces: [StateFlag]
    /// Engine state it invalidates (`actor` drops the critics).
    public var removes: [StateFlag] = []
    public var summary: String
    /// Further paragraphs for `help COMMAND` and docs/commands.md (exact definitions, file layouts).
    public var details: [String] = []
    /// Hidden commands are for tests: left out of `help` and completion.
    public var isHidden = false
    /// Rules across arguments, checked on constants by the checker and on values when run.
    var rules: [ArgumentRule] = []
    /// What the checker learns beyond state flags (task names, result names).
    var effect: (@Sendable (inout Checker, BoundCommand) -> Void)?
    var action: CommandAction

    init(_ verb: String, _ sub: String? = nil, params: [ParamSpec] = [], variadic: ParamSpec? = nil,
         acceptsAnyNamedArgument: Bool = false, needs: [StateFlag] = [], produces: [StateFlag] = [],
         removes: [StateFlag] = [], rules: [ArgumentRule] = [], hidden: Bool = false, summary: String,
         details: [String] = [], effect: (@Sendable (inout Checker, BoundCommand) -> Void)? = nil, action: @escaping CommandAction) {
        self.verb = verb
        self.sub = sub
        self.params = params
        self.variadic = variadic
        self.acceptsAnyNamedArgument = acceptsAnyNamedArgument
        self.needs = needs
        self.produces = produces
        self.removes = removes
        self.rules = rules
        self.isHidden = hidden
        self.summary = summary
        self.details = details
        self.effect = effect
        self.action = action
    }

    public func param(_ name: String) -> ParamSpec? { params.first { $0.name == name } }

    /// `train actor [epochs=1000] [batch=2048] …`
    public var usage: String {
        var parts = [id]
        for p in params {
            let shown: String
            if let k = p.keyword { shown = "\(k) " + (p.type == .path ? "FILE" : "NAME") }
            else if p.isPositional { shown = p.name.uppercased() }
            else { shown = "\(p.name)=" + (p.defaultValue?.description ?? "…") }
            parts.append(p.isRequired ? shown : "[\(shown)]")
        }
        if let v = variadic { parts.append("\(v.name.uppercased())…") }
        return parts.joined(separator: " ")
    }
}

/// A rule that involves several arguments of one command ("gap= or by=, not both"). It sees the
/// arguments given and the values known: constants to the checker, everything when run.
struct ArgumentRule: Sendable {
    let check: @Sendable (_ bound: BoundCommand, _ value: (String) -> Value?) -> ScriptError?

    /// At most one of `a` and `b`.
    static func exclusive(_ a: String, _ b: String) -> ArgumentRule {
        ArgumentRule { bound, _ in
            guard let x = bound.values[a], let y = bound.values[b] else { return nil }
            return .invalidUse("give '\(a)=' or '\(b)=', not both", at: x.range.union(y.range))
        }
    }

    /// The numbers `names` (given or default) sum to 1.
    static func sumsToOne(_ names: [String], as label: String) -> ArgumentRule {
        ArgumentRule { bound, value in
            let parts = names.map { value($0).flatMap(Session.numeric) }
            guard parts.allSatisfy({ $0.map { (0...1).contains($0) } ?? false }) else { return nil }
            let total = parts.reduce(0) { $0 + ($1 ?? 0) }
            guard abs(total - 1) > 1e-9 else { return nil }
            let given = names.compactMap { bound.values[$0]?.range }
            let at = given.isEmpty ? bound.syntax.range : given.dropFirst().reduce(given[0]) { $0.union($1) }
            return .valueOutOfRange(argument: label, value: "a sum of \(Value.format(total))",
                                    allowed: "fractions that sum to 1", at: at)
        }
    }
}

public let modelNames = ModelKind.allCases.map(\.rawValue)
/// Per-task metrics stored in a result, in report order.
public let metricNames = ["auc", "logloss", "slogloss"]
/// Statements that are not commands.
public let keywords = Statement.Keyword.allCases.map(\.rawValue)

/// Lookups over `commandTable`.
public enum Commands {
    /// Verbs in table order, without duplicates.
    public static func verbs(includeHidden: Bool = false) -> [String] {
        includeHidden ? allVerbs : visibleVerbs
    }

    /// Second words of a verb (`train` → actor, critic, rmtl, ddpg), or empty.
    public static func subs(of verb: String) -> [String] { subsByVerb[verb] ?? [] }

    public static func spec(verb: String, sub: String?) -> CommandSpec? {
        specByID[sub.map { "\(verb) \($0)" } ?? verb]
    }

    // Derived once from `commandTable` (lookups run for every command checked).
    private static func makeVerbs(_ includeHidden: Bool) -> [String] {
        var seen: [String] = []
        for c in commandTable where (includeHidden || !c.isHidden) && !seen.contains(c.verb) { seen.append(c.verb) }
        return seen
    }
    private static let allVerbs = makeVerbs(true)
    private static let visibleVerbs = makeVerbs(false)
    private static let subsByVerb: [String: [String]] = Dictionary(grouping: commandTable.filter { $0.sub != nil },
                                                                   by: \.verb).mapValues { $0.compactMap(\.sub) }
    private static let specByID: [String: CommandSpec] = Dictionary(commandTable.map { ($0.id, $0) },
                                                                    uniquingKeysWith: { a, _ in a })
}

extension Value {
    /// A setting's value as a script writes it.
    init(_ v: SettingValue) {
        switch v {
        case .integer(let i): self = .number(Double(i))
        case .real(let d): self = .number(d)
        case .flag(let b): self = .bool(b)
        case .choice(let w): self = .word(w)
        case .integerList(let l): self = .list(l.map { .number(Double($0)) })
        }
    }
}

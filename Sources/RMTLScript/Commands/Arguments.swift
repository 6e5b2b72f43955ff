import RMTL

/// A bound command's argument values, evaluated on demand, with the declaration's defaults: what
/// a command's action reads. Type errors here can only come from values the checker could not
/// see (variables bound at run time); they use the same conversions the checker uses.
struct Arguments {
    let bound: BoundCommand
    unowned let session: Session

    var workspace: Workspace { session.workspace }

    private func param(_ name: String) -> ParamSpec {
        // every name asked for is in the command's declaration (a programming error otherwise)
        bound.spec.param(name) ?? ParamSpec(name, .any, "")
    }

    /// True when the script gave the argument (defaults do not count).
    func has(_ name: String) -> Bool { bound.values[name] != nil }

    /// The evaluated value, the default, or nil when optional and absent.
    func value(_ name: String) throws -> Value? {
        if let e = bound.values[name] { return try session.evaluate(e) }
        return param(name).defaultValue
    }

    func range(_ name: String) -> SourceRange { bound.values[name]?.range ?? bound.syntax.name.range }

    private func wrong(_ name: String, _ found: Value) -> ScriptError {
        .wrongType(argument: name, expected: param(name).type.summary, found: found.typeName, at: range(name))
    }

    /// The value of a `.setting` argument, converted and checked against its domain.
    func setting(_ name: String) throws -> SettingValue? {
        guard let v = try value(name) else { return nil }
        guard case .setting(let domain) = param(name).type else { throw wrong(name, v) }
        return try Arguments.admit(v, domain, argument: name, at: range(name))
    }

    /// Every given argument among `names` as (setting key, value) pairs, in declaration order.
    func givenSettings(_ names: [String]) throws -> [(key: String, value: SettingValue)] {
        try names.filter(has).map { ($0, try setting($0)!) }
    }

    func number(_ name: String) throws -> Double? {
        if case .setting = param(name).type { return try setting(name)?.real }
        guard let v = try value(name) else { return nil }
        guard case .number(let d) = v else { throw wrong(name, v) }
        return d
    }

    func integer(_ name: String) throws -> Int? {
        guard case .integer(let i)? = try setting(name) else { return nil }
        return i
    }

    func duration(_ name: String) throws -> Double? {
        guard let v = try value(name) else { return nil }
        guard case .duration(let d) = v else { throw wrong(name, v) }
        guard ParamType.durationRange.contains(d) else {  // a variable's value (literals: the checker)
            throw ScriptError.valueOutOfRange(argument: name, value: Value.format(d) + "s", allowed: ParamType.durationRangeSummary,
                                              at: range(name))
        }
        return d
    }

    func string(_ name: String) throws -> String? {
        guard let v = try value(name) else { return nil }
        guard case .string(let s) = v else { throw wrong(name, v) }
        if s.isEmpty, case .path = param(name).type {  // a variable that holds ""
            throw ScriptError.valueOutOfRange(argument: name, value: "an empty string", allowed: "a file name", at: range(name))
        }
        return s
    }

    /// A word argument: a choice, a model name, or free text (`show` topics, column names).
    func word(_ name: String) throws -> String? {
        let p = param(name)
        if case .setting = p.type, case .choice(let w)? = try setting(name) { return w }
        guard let v = try value(name) else { return nil }
        let w: String
        switch v {
        case .word(let x), .string(let x): w = x
        case .bool(let b): w = b ? "true" : "false"
        default: throw wrong(name, v)
        }
        if p.type == .model, !modelNames.contains(w) {
            throw ScriptError.unknownName(w, kind: .model, candidates: modelNames, context: nil, at: range(name))
        }
        return w
    }

    func bool(_ name: String) throws -> Bool? {
        guard case .flag(let b)? = try setting(name) else { return nil }
        return b
    }

    func integerList(_ name: String) throws -> [Int]? {
        guard case .integerList(let l)? = try setting(name) else { return nil }
        return l
    }

    func nameList(_ name: String) throws -> [String]? {
        guard let v = try value(name) else { return nil }
        guard case .list(let items) = v else { throw wrong(name, v) }
        return items.map(\.text)
    }

    func pairs(_ name: String) throws -> [(String, String)]? {
        guard let v = try value(name) else { return nil }
        guard case .list(let items) = v else { throw wrong(name, v) }
        return try items.map { item in
            guard case .pair(let k, let value) = item else { throw wrong(name, item) }
            return (k, value.text)
        }
    }

    /// `[a, b]` → [[a], [b]]; `[[x, a, b], [y, c]]` → [[x, a, b], [y, c]].
    func resultNames(_ name: String) throws -> [[String]]? {
        guard let v = try value(name) else { return nil }
        guard case .list(let items) = v else { throw wrong(name, v) }
        return try items.map { item in
            let names = if case .list(let inner) = item { inner } else { [item] }
            return try names.map { n in
                guard let r = Arguments.resultName(n) else { throw wrong(name, n) }
                return r.index.map { "\(r.base)[\($0)]" } ?? r.base
            }
        }
    }

    /// A result name: `esmm` → ("esmm", nil), `esmm[$s]` → ("esmm", "3").
    static func resultName(_ v: Value) -> (base: String, index: String?)? {
        switch v {
        case .word(let w), .string(let w): return (w, nil)
        case .indexedName(let b, let i): return (b, i)
        default: return nil
        }
    }

    func result(_ name: String) throws -> (base: String, index: String?)? {
        guard let v = try value(name) else { return nil }
        guard let r = Arguments.resultName(v) else { throw wrong(name, v) }
        return r
    }

    // MARK: - Script values as engine settings (shared with the checker)

    /// `v` as a value of `domain`, or the positioned error the checker and the interpreter both give.
    static func admit(_ v: Value, _ domain: SettingDomain, argument: String, at r: SourceRange) throws(ScriptError) -> SettingValue {
        let raw: SettingValue
        switch (domain, v) {
        case (.integer, .number(let d)), (.real, .number(let d)): raw = .real(d)
        case (.flag, .bool(let b)): raw = .flag(b)
        case (.flag, .word(let w)), (.choice, .word(let w)), (.choice, .string(let w)): raw = .choice(w)
        case (.choice, .bool(let b)): raw = .choice(b ? "true" : "false")
        case (.integerList(let allowed, _), .list(let items)):
            var numbers: [Int] = []
            for item in items {
                guard case .number(let d) = item, d == d.rounded(), abs(d) < 9e15, allowed.contains(Int(d)) else {
                    throw .valueOutOfRange(argument: argument, value: item.description,
                                           allowed: "whole numbers " + Interval.describe(allowed), at: r)
                }
                numbers.append(Int(d))
            }
            raw = .integerList(numbers)
        default:
            throw .wrongType(argument: argument, expected: ParamType.setting(domain).summary, found: v.typeName, at: r)
        }
        do { return try domain.admit(raw, key: argument) } catch { throw scriptError(error, argument: argument, at: r) }
    }

    /// The adapter from the engine's refusal of a setting to a positioned script error; the
    /// wording is `Diagnostic`'s.
    static func scriptError(_ e: SettingError, argument: String, at r: SourceRange) -> ScriptError {
        switch e {
        case .outOfRange(_, let value, let domain), .wrongType(_, let value, let domain):
            return .valueOutOfRange(argument: argument, value: Value(value).description, allowed: allowed(domain), at: r)
        case .unknownChoice(_, let value, let words):
            return .unknownName(value, kind: .value, candidates: words == ["on", "off"] ? ["true", "false"] : words,
                                context: "'\(argument)'", at: r)
        case .unknownKey(let key, let known):
            return .unknownName(key, kind: .argument, candidates: known, context: nil, at: r)
        }
    }

    /// "from 0 to 1", "a whole number ≥ 1", "whole numbers ≥ 1".
    static func allowed(_ domain: SettingDomain) -> String {
        switch domain {
        case .integer(let r): return "a whole number " + Interval.describe(r)
        case .real(let i): return i.description
        case .integerList(let r, let allowsEmpty): return (allowsEmpty ? "" : "a non-empty list of ") + "whole numbers " + Interval.describe(r)
        case .flag, .choice: return domain.summary
        }
    }
}

/// A bound command's argument values, evaluated on demand, with the table's defaults.
/// Type errors here can only come from values the checker could not see (variables bound at run time).
struct Arguments {
    let bound: BoundCommand
    unowned let session: Session

    private func param(_ name: String) -> ParamSpec {
        // every name asked for is in the command's table entry (a programming error otherwise)
        bound.spec.param(name) ?? ParamSpec(name, .any, "")
    }

    /// The evaluated value, the default, or nil when optional and absent.
    func value(_ name: String) throws -> Value? {
        if let e = bound.values[name] { return try session.evaluate(e) }
        return param(name).defaultValue
    }

    private func range(_ name: String) -> SourceRange { bound.values[name]?.range ?? bound.syntax.name.range }

    private func wrong(_ name: String, _ found: Value) -> ScriptError {
        .wrongType(argument: name, expected: param(name).type.summary, found: found.typeName, at: range(name))
    }

    func number(_ name: String) throws -> Double? {
        guard let v = try value(name) else { return nil }
        guard case .number(let d) = v else { throw wrong(name, v) }
        let p = param(name)
        switch p.type {
        case .fraction where d < 0 || d > 1:
            throw ScriptError.valueOutOfRange(argument: name, value: Value.format(d), allowed: "from 0 to 1", at: range(name))
        case .positiveNumber where d <= 0:
            throw ScriptError.valueOutOfRange(argument: name, value: Value.format(d), allowed: "greater than 0", at: range(name))
        default: return d
        }
    }

    func integer(_ name: String) throws -> Int? {
        guard let d = try number(name) else { return nil }
        var minimum = 0
        if case .integer(let m) = param(name).type { minimum = m }
        guard d == d.rounded(), d >= Double(minimum), d < 9.0e15 else {
            throw ScriptError.valueOutOfRange(argument: name, value: Value.format(d),
                                              allowed: "a whole number ≥ \(minimum)", at: range(name))
        }
        return Int(d)
    }

    func duration(_ name: String) throws -> Double? {
        guard let v = try value(name) else { return nil }
        guard case .duration(let d) = v else { throw wrong(name, v) }
        return d
    }

    func string(_ name: String) throws -> String? {
        guard let v = try value(name) else { return nil }
        guard case .string(let s) = v else { throw wrong(name, v) }
        return s
    }

    func word(_ name: String) throws -> String? {
        guard let v = try value(name) else { return nil }
        let w: String
        switch v {
        case .word(let x), .string(let x): w = x
        case .bool(let b): w = b ? "true" : "false"
        default: throw wrong(name, v)
        }
        let p = param(name)
        if case .choice(let allowed) = p.type, !allowed.contains(w) {
            throw ScriptError.unknownName(w, kind: .value, candidates: allowed, context: "'\(name)'", at: range(name))
        }
        if p.type == .model, !modelNames.contains(w) {
            throw ScriptError.unknownName(w, kind: .model, candidates: modelNames, context: nil, at: range(name))
        }
        return w
    }

    func bool(_ name: String) throws -> Bool? {
        guard let v = try value(name) else { return nil }
        switch v {
        case .bool(let b): return b
        case .word("true"): return true
        case .word("false"): return false
        default: throw wrong(name, v)
        }
    }

    func integerList(_ name: String) throws -> [Int]? {
        guard let v = try value(name) else { return nil }
        guard case .list(let items) = v else { throw wrong(name, v) }
        return try items.map { item in
            guard case .number(let d) = item, d == d.rounded(), d >= 1, d < 1e9 else {
                throw ScriptError.valueOutOfRange(argument: name, value: item.description, allowed: "whole numbers ≥ 1",
                                                  at: range(name))
            }
            return Int(d)
        }
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
}

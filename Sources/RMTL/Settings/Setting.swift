/// A settable knob of an engine configuration (`ModelConfig`, `TrainConfig`, `RMTLSettings`),
/// declared once: its script key, the values it accepts, its unit and meaning, and how to read and
/// write it. The engine validates with these declarations, and the language derives its command
/// parameters, checks, `help` and completion from them, so a range or a default exists in one place.
public struct Setting<Root>: Sendable {
    public let key: String
    public let domain: SettingDomain
    /// "epochs", "rows", "transitions"…; nil when the number has none.
    public let unit: String?
    /// One line: what the knob does.
    public let meaning: String
    let read: @Sendable (Root) -> SettingValue
    let write: @Sendable (inout Root, SettingValue) -> Void

    public init(_ key: String, _ domain: SettingDomain, unit: String? = nil, _ meaning: String,
                read: @escaping @Sendable (Root) -> SettingValue, write: @escaping @Sendable (inout Root, SettingValue) -> Void) {
        self.key = key
        self.domain = domain
        self.unit = unit
        self.meaning = meaning
        self.read = read
        self.write = write
    }

    public func value(in root: Root) -> SettingValue { read(root) }

    // MARK: declarations through key paths

    public static func integer(_ key: String, _ path: WritableKeyPath<Root, Int> & Sendable, _ range: ClosedRange<Int>,
                               unit: String? = nil, _ meaning: String) -> Setting {
        Setting(key, .integer(range), unit: unit, meaning, read: { .integer($0[keyPath: path]) },
                write: { root, v in if case .integer(let i) = v { root[keyPath: path] = i } })
    }

    public static func real(_ key: String, _ path: WritableKeyPath<Root, Double> & Sendable, _ interval: Interval,
                            unit: String? = nil, _ meaning: String) -> Setting {
        Setting(key, .real(interval), unit: unit, meaning, read: { .real($0[keyPath: path]) },
                write: { root, v in if let d = v.real { root[keyPath: path] = d } })
    }

    /// A `Float` field. It reads back as the double nearest its shortest decimal (0.9, not
    /// 0.899999976), so a value shown is a value that can be typed back.
    public static func real(_ key: String, _ path: WritableKeyPath<Root, Float> & Sendable, _ interval: Interval,
                            unit: String? = nil, _ meaning: String) -> Setting {
        Setting(key, .real(interval), unit: unit, meaning, read: { .real(Double("\($0[keyPath: path])") ?? .nan) },
                write: { root, v in if let d = v.real { root[keyPath: path] = Float(d) } })
    }

    public static func flag(_ key: String, _ path: WritableKeyPath<Root, Bool> & Sendable, _ meaning: String) -> Setting {
        Setting(key, .flag, meaning, read: { .flag($0[keyPath: path]) },
                write: { root, v in if case .flag(let b) = v { root[keyPath: path] = b } })
    }

    public static func choice<E: RawRepresentable & CaseIterable & Sendable>(
        _ key: String, _ path: WritableKeyPath<Root, E> & Sendable, _ meaning: String
    ) -> Setting where E.RawValue == String {
        Setting(key, .choice(E.allCases.map(\.rawValue)), meaning, read: { .choice($0[keyPath: path].rawValue) },
                write: { root, v in if case .choice(let w) = v, let e = E(rawValue: w) { root[keyPath: path] = e } })
    }

    public static func integerList(_ key: String, _ path: WritableKeyPath<Root, [Int]> & Sendable, _ range: ClosedRange<Int>,
                                   allowsEmpty: Bool, unit: String? = nil, _ meaning: String) -> Setting {
        Setting(key, .integerList(range, allowsEmpty: allowsEmpty), unit: unit, meaning,
                read: { .integerList($0[keyPath: path]) },
                write: { root, v in if case .integerList(let l) = v { root[keyPath: path] = l } })
    }
}

/// The values a setting accepts.
public enum SettingDomain: Sendable, Equatable {
    case integer(ClosedRange<Int>)
    /// Finite numbers in the interval.
    case real(Interval)
    /// true/false (`on`/`off` and `yes`/`no` are accepted too).
    case flag
    case choice([String])
    /// Whole numbers in the range; non-empty unless `allowsEmpty`.
    case integerList(ClosedRange<Int>, allowsEmpty: Bool)

    /// How help and errors describe the allowed values: "a whole number ≥ 1", "a number from 0 to 1".
    public var summary: String {
        switch self {
        case .integer(let r): return "a whole number " + Interval.describe(r)
        case .real(let i): return "a number" + i.symbolic
        case .flag: return "true or false"
        case .choice(let words): return words.joined(separator: "|")
        case .integerList(let r, _): return "a list of whole numbers " + Interval.describe(r) + " such as [512, 256]"
        }
    }

    /// `value` converted to this domain's kind (a whole number is a valid real, `true` a valid
    /// flag), or the reason it is not acceptable. The one check the engine and the language share.
    public func admit(_ value: SettingValue, key: String) throws(SettingError) -> SettingValue {
        switch (self, value) {
        case (.integer(let r), .integer(let i)):
            guard r.contains(i) else { throw .outOfRange(key: key, value: value, domain: self) }
            return value
        case (.integer(let r), .real(let d)):
            guard d.isFinite, d == d.rounded(), abs(d) < 9e15, r.contains(Int(d)) else {
                throw .outOfRange(key: key, value: value, domain: self)
            }
            return .integer(Int(d))
        case (.real(let interval), _):
            guard let d = value.real else { throw .wrongType(key: key, value: value, domain: self) }
            guard interval.contains(d) else { throw .outOfRange(key: key, value: value, domain: self) }
            return .real(d)
        case (.flag, .flag): return value
        case (.flag, .choice(let w)):
            switch w {
            case "on", "true", "yes": return .flag(true)
            case "off", "false", "no": return .flag(false)
            default: throw .unknownChoice(key: key, value: w, allowed: ["on", "off"])
            }
        case (.choice(let words), .choice(let w)):
            guard words.contains(w) else { throw .unknownChoice(key: key, value: w, allowed: words) }
            return value
        case (.integerList(let r, let allowsEmpty), .integerList(let l)):
            guard allowsEmpty || !l.isEmpty, l.allSatisfy(r.contains) else {
                throw .outOfRange(key: key, value: value, domain: self)
            }
            return value
        default:
            throw .wrongType(key: key, value: value, domain: self)
        }
    }
}

/// A value of a setting.
public enum SettingValue: Sendable, Equatable, CustomStringConvertible {
    case integer(Int)
    case real(Double)
    case flag(Bool)
    case choice(String)
    case integerList([Int])

    public var real: Double? {
        switch self {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }

    /// As a script writes it: `96`, `0.001`, `on`, `paper`, `[512, 256]`.
    public var description: String {
        switch self {
        case .integer(let i): return String(i)
        case .real(let d): return SettingValue.format(d)
        case .flag(let b): return b ? "true" : "false"
        case .choice(let w): return w
        case .integerList(let l): return "[" + l.map(String.init).joined(separator: ", ") + "]"
        }
    }

    /// The shortest text that reads back as `d`, without a trailing ".0" (`0.95`, `2`, `1e-06`).
    public static func format(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return "\(d)"
    }
}

/// An interval of the real line, each end open or closed, either end possibly unbounded.
public struct Interval: Sendable, Equatable, CustomStringConvertible {
    public var lower: Double
    public var upper: Double
    public var lowerOpen: Bool
    public var upperOpen: Bool

    public static func closed(_ a: Double, _ b: Double) -> Interval { Interval(lower: a, upper: b, lowerOpen: false, upperOpen: false) }
    /// [a, b): a probability that must stay below b (dropout).
    public static func halfOpen(_ a: Double, _ b: Double) -> Interval { Interval(lower: a, upper: b, lowerOpen: false, upperOpen: true) }
    /// (a, b]: a rate that must be positive (tau).
    public static func leftOpen(_ a: Double, _ b: Double) -> Interval { Interval(lower: a, upper: b, lowerOpen: true, upperOpen: false) }
    public static func atLeast(_ a: Double) -> Interval { Interval(lower: a, upper: .infinity, lowerOpen: false, upperOpen: true) }
    public static func greaterThan(_ a: Double) -> Interval { Interval(lower: a, upper: .infinity, lowerOpen: true, upperOpen: true) }
    public static let unbounded = Interval(lower: -.infinity, upper: .infinity, lowerOpen: true, upperOpen: true)

    /// Finite values inside the interval only.
    public func contains(_ x: Double) -> Bool {
        x.isFinite && (lowerOpen ? x > lower : x >= lower) && (upperOpen ? x < upper : x <= upper)
    }

    /// "from 0 to 1", "greater than 0", "at least 0", "from 0 to less than 1".
    public var description: String {
        let a = SettingValue.format(lower), b = SettingValue.format(upper)
        switch (lower.isFinite, upper.isFinite) {
        case (false, false): return "(any finite value)"
        case (true, false): return lowerOpen ? "greater than \(a)" : "at least \(a)"
        case (false, true): return upperOpen ? "less than \(b)" : "at most \(b)"
        case (true, true):
            switch (lowerOpen, upperOpen) {
            case (false, false): return "from \(a) to \(b)"
            case (false, true): return "from \(a) to less than \(b)"
            case (true, false): return "greater than \(a) and at most \(b)"
            case (true, true): return "between \(a) and \(b), both excluded"
            }
        }
    }

    /// " ≥ 0", " > 0", " in [0, 1)", "" when unbounded: the interval after "a number".
    public var symbolic: String {
        let a = SettingValue.format(lower), b = SettingValue.format(upper)
        switch (lower.isFinite, upper.isFinite) {
        case (false, false): return ""
        case (true, false): return lowerOpen ? " > \(a)" : " ≥ \(a)"
        case (false, true): return upperOpen ? " < \(b)" : " ≤ \(b)"
        case (true, true): return " in \(lowerOpen ? "(" : "[")\(a), \(b)\(upperOpen ? ")" : "]")"
        }
    }

    /// "≥ 1", "from 1 to 64".
    public static func describe(_ r: ClosedRange<Int>) -> String {
        r.upperBound == Int.max ? "≥ \(r.lowerBound)" : "from \(r.lowerBound) to \(r.upperBound)"
    }
}

/// Why a setting was refused. Carries the key and the value; the language words it and points at
/// the argument that gave it.
public enum SettingError: Error, Sendable, Equatable, CustomStringConvertible {
    case outOfRange(key: String, value: SettingValue, domain: SettingDomain)
    case wrongType(key: String, value: SettingValue, domain: SettingDomain)
    case unknownChoice(key: String, value: String, allowed: [String])
    case unknownKey(String, known: [String])

    public var key: String {
        switch self {
        case .outOfRange(let k, _, _), .wrongType(let k, _, _), .unknownChoice(let k, _, _), .unknownKey(let k, _): return k
        }
    }

    /// For programs that use the engine alone; scripts get the same facts worded by `Diagnostic`.
    public var description: String {
        switch self {
        case .outOfRange(let k, let v, let d): return "invalid '\(k)': expected \(d.summary), got \(v)"
        case .wrongType(let k, let v, let d): return "invalid '\(k)': expected \(d.summary), got \(v)"
        case .unknownChoice(let k, let v, let allowed):
            return "invalid '\(k)': unknown value '\(v)'; expected one of: \(allowed.joined(separator: ", "))"
        case .unknownKey(let k, let known): return "unknown setting '\(k)'; expected one of: \(known.joined(separator: ", "))"
        }
    }
}

/// A configuration whose knobs are declared as `Setting`s.
public protocol Configurable {
    static var settings: [Setting<Self>] { get }
}

extension Configurable {
    public static var settingKeys: [String] { settings.map(\.key) }

    public static func setting(_ key: String) -> Setting<Self>? { settings.first { $0.key == key } }

    public func value(of key: String) -> SettingValue? { Self.setting(key)?.value(in: self) }

    /// Sets `key` after checking `value` against its domain.
    public mutating func set(_ key: String, to value: SettingValue) throws(SettingError) {
        guard let s = Self.setting(key) else { throw .unknownKey(key, known: Self.settingKeys) }
        s.write(&self, try s.domain.admit(value, key: key))
    }

    /// Throws for the first setting outside its domain.
    public func checkSettings() throws(SettingError) {
        for s in Self.settings { _ = try s.domain.admit(s.value(in: self), key: s.key) }
    }
}

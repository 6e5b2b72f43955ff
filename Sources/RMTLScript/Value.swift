import Foundation

/// A value computed while running a script.
public indirect enum Value: Sendable, Equatable, CustomStringConvertible {
    case number(Double)
    /// Seconds.
    case duration(Double)
    case string(String)
    case word(String)
    case bool(Bool)
    case list([Value])
    case pair(String, Value)
    /// `esmm[3]`: a result name with an index (runs repeated over seeds).
    case indexedName(String, index: String)

    /// How `show` prints it.
    public var description: String {
        switch self {
        case .number(let v): return Value.format(v)
        case .duration(let s): return Value.formatDuration(s)
        case .string(let s): return "\"\(s)\""
        case .word(let w): return w
        case .bool(let b): return b ? "true" : "false"
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .pair(let k, let v): return "\(k)=\(v)"
        case .indexedName(let base, let index): return "\(base)[\(index)]"
        }
    }

    /// The plain text of a word, string or name, as used in names and paths.
    public var text: String {
        switch self {
        case .string(let s): return s
        case .word(let w): return w
        default: return description
        }
    }

    public var typeName: String {
        switch self {
        case .number: return "a number"
        case .duration: return "a duration"
        case .string: return "a string"
        case .word: return "a word"
        case .bool: return "a true/false value"
        case .list: return "a list"
        case .pair: return "a name=value pair"
        case .indexedName: return "a result name"
        }
    }

    /// Integers print without a fraction; others use the shortest text that reads back the same.
    public static func format(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        // 12 significant digits hide binary noise (0.1 + 0.2 shows 0.3), keep real differences
        var text = String(format: "%.12g", v)
        if text.contains("e") { text = "\(Double(text) ?? v)" }
        return text
    }

    /// A measured time for people: `0.4s`, `19.7s`, `2m06s`, `1h05m`.
    public static func formatElapsed(_ s: Double) -> String {
        s < 10 ? String(format: "%.1fs", s) : ProgressReporter.formatETA(s)
    }

    /// A duration literal that reads back as the same value: `30m`, `250ms`, `1.5s`.
    public static func formatDuration(_ s: Double) -> String {
        for (suffix, unit) in [("d", 86400.0), ("h", 3600), ("m", 60), ("s", 1)] where s >= unit {
            let n = s / unit
            if n == n.rounded() { return format(n) + suffix }
        }
        if s < 1, s > 0, (s * 1000) == (s * 1000).rounded() { return format(s * 1000) + "ms" }
        return format(s) + "s"
    }
}

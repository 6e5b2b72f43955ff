/// The header row of a CSV file: column names and lookup with suggestions.
public struct CSVHeader: Sendable {
    public let file: String
    public let names: [String]
    /// Physical line of the header (1 unless blank lines precede it).
    public let line: Int

    /// Reads the first record of `reader` as the header. An empty file or a duplicate name is an error.
    public init(reading reader: CSVReader) throws {
        guard try reader.nextRecord() else {
            throw DataError(file: reader.path, line: 1, column: 1, message: "empty file: expected a header row")
        }
        file = reader.path
        line = reader.recordLine
        var names: [String] = []
        var seen: [String: Int] = [:]
        for i in 0..<reader.fieldCount {
            let name = reader.string(i).trimmingSpaces()
            if let first = seen[name] {
                throw reader.error(
                    atField: i, "duplicate column name '\(name)' (also column \(first + 1))",
                    hint: "rename one of the columns")
            }
            seen[name] = i
            names.append(name)
        }
        self.names = names
    }

    /// Index of the column `name`, or a `DataError` with a "did you mean" hint.
    /// `role` says what the caller wanted it for ("label column", ...).
    public func index(of name: String, role: String = "column") throws -> Int {
        if let i = names.firstIndex(of: name) { return i }
        throw DataError(
            file: file, line: line, column: 1, message: "no \(role) '\(name)' in the header",
            hint: unknownColumnHint(name, columns: names))
    }

    /// The same when `required`; otherwise nil when the header has no `name` (label columns of a
    /// file to score, which may have none).
    public func index(of name: String, role: String = "column", required: Bool) throws -> Int? {
        required || contains(name) ? try index(of: name, role: role) : nil
    }

    public func contains(_ name: String) -> Bool { names.contains(name) }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

// MARK: - Typed fields

extension CSVReader {
    /// True when field `i` is empty.
    @inline(__always)
    public func isEmpty(_ i: Int) -> Bool { field(i).isEmpty }

    /// Field `i` as a signed decimal integer. `name` is the column name for the message.
    public func int64(_ i: Int, column name: String) throws -> Int64 {
        if let v = parseInt64(field(i)) { return v }
        throw numberError(i, column: name, expected: "an integer")
    }

    /// Field `i` as a Float (decimal or exponent notation, `nan`/`inf` rejected).
    public func float(_ i: Int, column name: String) throws -> Float {
        if let v = parseDouble(field(i)) { return Float(v) }
        throw numberError(i, column: name, expected: "a number")
    }

    /// Field `i` as a 0/1 label. Accepts `0`, `1`, `0.0`, `1.0`, `true`, `false`.
    public func label(_ i: Int, column name: String) throws -> UInt8 {
        let f = field(i)
        if f.count == 1 {
            if f[0] == UInt8(ascii: "0") { return 0 }
            if f[0] == UInt8(ascii: "1") { return 1 }
        }
        if let v = parseDouble(f), v == 0 || v == 1 { return v == 1 ? 1 : 0 }
        let s = string(i)
        if s == "true" || s == "True" { return 1 }
        if s == "false" || s == "False" { return 0 }
        throw error(
            atField: i, "label column '\(name)' must hold 0 or 1, found '\(s.prefix(40))'",
            hint: "a label is one task's 0/1 outcome; map other values before loading")
    }

    func numberError(_ i: Int, column name: String, expected: String) -> DataError {
        let found = isEmpty(i) ? "an empty field" : "'\(string(i).prefix(40))'"
        return error(
            atField: i, "column '\(name)' must hold \(expected), found \(found)",
            hint: isEmpty(i)
                ? "fill missing values, or list '\(name)' under cat=[..] so it is read as tokens"
                : "list '\(name)' under cat=[..] if it is categorical")
    }
}

/// The number inside `f`: the range left after trimming spaces at both ends and an optional `+`/`-`,
/// and whether the sign was `-`. Nil for an all-space field. The range may be empty (a lone sign).
@inline(__always)
func signedNumberBounds(_ f: UnsafeBufferPointer<UInt8>) -> (start: Int, end: Int, negative: Bool)? {
    var i = 0, n = f.count
    while i < n && f[i] == 32 { i += 1 }
    while n > i && f[n - 1] == 32 { n -= 1 }
    guard i < n else { return nil }
    let negative = f[i] == UInt8(ascii: "-")
    if negative || f[i] == UInt8(ascii: "+") { i += 1 }
    return (i, n, negative)
}

/// Parses optional spaces, an optional sign and decimal digits. Nil on anything else or overflow.
@inline(__always)
public func parseInt64(_ f: UnsafeBufferPointer<UInt8>) -> Int64? {
    guard case (var i, let n, let negative)? = signedNumberBounds(f), i < n else { return nil }
    var value: Int64 = 0
    while i < n {
        let d = f[i] &- 48
        guard d < 10 else { return nil }
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(Int64(d))
        if o1 || o2 { return nil }
        value = s
        i += 1
    }
    return negative ? -value : value
}

/// Parses a decimal number (`-12`, `3.5`, `.5`, `1e-3`). Nil for empty, `nan`, `inf` or junk.
/// Plain `digits[.digits]` is parsed by hand; anything with an exponent goes through `Double(String)`.
public func parseDouble(_ f: UnsafeBufferPointer<UInt8>) -> Double? {
    guard let (i, n, negative) = signedNumberBounds(f) else { return nil }
    var mantissa: UInt64 = 0, digits = 0, fractionDigits = 0, seenPoint = false
    var j = i
    while j < n {
        let c = f[j]
        if c == UInt8(ascii: ".") {
            if seenPoint { return nil }
            seenPoint = true
        } else if c &- 48 < 10 {
            if digits < 18 {
                mantissa = mantissa * 10 + UInt64(c &- 48)
                digits += 1
                if seenPoint { fractionDigits += 1 }
            } else {
                break  // too many digits for the fast path
            }
        } else {
            break
        }
        j += 1
    }
    if j == n {
        guard digits > 0 else { return nil }
        var v = Double(mantissa)
        if fractionDigits > 0 { v /= powersOfTen[fractionDigits] }
        return negative ? -v : v
    }
    // Slow path: exponents, long mantissas. Reject nan/inf spellings Double(String) accepts.
    let s = String(decoding: UnsafeBufferPointer(rebasing: f[i..<n]), as: UTF8.self)
    guard s.allSatisfy({ $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "-" || $0 == "+" }),
        let v = Double(s), v.isFinite
    else { return nil }
    return negative ? -v : v
}

private let powersOfTen: [Double] = (0...18).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }

/// One column of a per-row export (`export predictions`, `predict`): raw values as the source spelled
/// them, numbers, labels or predicted probabilities.
public enum ExportColumn: Sendable {
    /// Interned tokens: `ids[row]` indexes `tokens` (a categorical or key column, as read, not encoded).
    case tokens(String, TokenList, [Int32])
    case integers(String, [Int64])
    /// Labels (written as 0/1) and probabilities (written so that they parse back to the same Float).
    case floats(String, [Float])

    public var name: String {
        switch self {
        case .tokens(let n, _, _), .integers(let n, _), .floats(let n, _): n
        }
    }

    var rowCount: Int {
        switch self {
        case .tokens(_, _, let ids): ids.count
        case .integers(_, let v): v.count
        case .floats(_, let v): v.count
        }
    }

    func renamed(_ name: String) -> ExportColumn {
        switch self {
        case .tokens(_, let t, let ids): .tokens(name, t, ids)
        case .integers(_, let v): .integers(name, v)
        case .floats(_, let v): .floats(name, v)
        }
    }
}

/// Columns of equal length written as one CSV (RFC 4180: a field with a comma, quote or line break
/// is quoted, quotes doubled), streamed through `AtomicFile.stream`: one row at a time is formatted,
/// the file appears complete or not at all.
public struct PredictionTable: Sendable {
    public private(set) var columns: [ExportColumn] = []
    public init() {}

    public var rowCount: Int { columns.first?.rowCount ?? 0 }

    /// Adds `column`; a name already taken gets `_2`, `_3`… (a CSV column named `session` next to
    /// rmtl's own session column).
    public mutating func append(_ column: ExportColumn) {
        precondition(columns.isEmpty || column.rowCount == rowCount, "export columns differ in length")
        var name = column.name, k = 2
        while columns.contains(where: { $0.name == name }) { name = "\(column.name)_\(k)"; k += 1 }
        columns.append(column.renamed(name))
    }

    /// Writes the header and every row to `path`; returns the bytes written.
    @discardableResult
    public func write(to path: String) throws -> Int {
        var bytes = 0
        try AtomicFile.stream(to: path) { out in
            try out.append(columns.map { Self.quoted(Array($0.name.utf8)) }.map { String(decoding: $0, as: UTF8.self) }
                .joined(separator: ",") + "\n")
            var line: [UInt8] = []
            for row in 0..<rowCount {
                line.removeAll(keepingCapacity: true)
                for (c, column) in columns.enumerated() {
                    if c > 0 { line.append(UInt8(ascii: ",")) }
                    switch column {
                    case .tokens(_, let tokens, let ids): line += Self.quoted(Array(tokens.token(Int(ids[row]))))
                    case .integers(_, let v): line += String(v[row]).utf8
                    case .floats(_, let v): line += Self.text(v[row]).utf8
                    }
                }
                line.append(UInt8(ascii: "\n"))
                try out.append(bytes: line)
            }
            bytes = out.byteCount
        }
        return bytes
    }

    /// `1`, `0`, `0.123456789`: Swift's shortest spelling that reads back as the same Float.
    static func text(_ x: Float) -> String {
        if x == 0 { return "0" }
        if x == 1 { return "1" }
        return "\(x)"
    }

    static func quoted(_ field: [UInt8]) -> [UInt8] {
        let special: Set<UInt8> = [UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\n"), UInt8(ascii: "\r")]
        guard field.contains(where: special.contains) else { return field }
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for b in field {
            if b == UInt8(ascii: "\"") { out.append(b) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
        return out
    }
}

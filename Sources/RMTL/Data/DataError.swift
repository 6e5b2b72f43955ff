/// A problem with input data, and where it is.
///
/// Every reader throws this one type. `line` and `column` are 1-based; `column` counts bytes from the
/// start of the physical line (after a BOM on line 1), so it points at the first byte of the offending
/// field. Errors that have no position (a missing file, an empty split) use line 0 and column 0, and
/// `description` then leaves the position out.
///
/// Rendered as
/// ```
/// data/events.csv:7:15: error: expected 5 fields, found 6
/// hint: quote values that contain ','
/// ```
public struct DataError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String
    public var hint: String?

    public init(file: String, line: Int = 0, column: Int = 0, message: String, hint: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = file
        if line > 0 {
            text += ":\(line)"
            if column > 0 { text += ":\(column)" }
        }
        text += ": error: \(message)"
        if let hint { text += "\nhint: \(hint)" }
        return text
    }
}

// MARK: - Suggestions

/// Damerau-free Levenshtein distance over Unicode scalars (insert, delete, substitute cost 1).
///
/// `editDistance("visitorid", "visitor_id") == 1`, `editDistance("is_clik", "is_click") == 1`.
public func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous = Array(0...y.count)
    var current = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        current[0] = i
        for j in 1...y.count {
            let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[y.count]
}

/// The candidate nearest to `word` within `max(2, word.count / 3)` edits (style.md), comparing
/// case-insensitively; ties go to the earlier candidate, so the answer is deterministic.
public func nearestName(to word: String, in candidates: [String]) -> String? {
    let limit = max(2, word.count / 3)
    var best: (name: String, distance: Int)?
    for candidate in candidates {
        let d = editDistance(word.lowercased(), candidate.lowercased())
        if d <= limit, d < (best?.distance ?? Int.max) { best = (candidate, d) }
    }
    return best?.name
}

/// The hint for an unknown column: a suggestion when one is near, and the available names when few.
func unknownColumnHint(_ name: String, columns: [String]) -> String {
    var parts: [String] = []
    if let near = nearestName(to: name, in: columns) { parts.append("did you mean '\(near)'?") }
    if columns.count <= 40 {
        parts.append("(columns: \(columns.joined(separator: ", ")))")
    } else {
        parts.append("(\(columns.count) columns; first: \(columns.prefix(12).joined(separator: ", ")), ...)")
    }
    return parts.joined(separator: " ")
}

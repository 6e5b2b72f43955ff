/// What a load produced: printed after every `load`, `sessionize` and `split`.
public struct DataSummary: Sendable, Equatable, CustomStringConvertible {
    public struct Field: Sendable, Equatable {
        public var name: String
        /// Distinct raw values in all rows.
        public var distinct: Int
        /// Encoded ids (after `split`; nil before).
        public var cardinality: Int?
        /// Distinct training values that share the tail id (tail-merged fields only).
        public var tailMembers: Int?
    }

    public struct Task: Sendable, Equatable {
        public var name: String
        public var positives: Int
    }

    public var name: String
    public var rows: Int
    /// nil before sessions exist.
    public var sessions: Int?
    public var users: Int?
    public var items: Int?
    public var tasks: [Task]
    public var fields: [Field]
    public var numericNames: [String]
    /// First and last timestamp (Unix ms), nil when the source has no time.
    public var timeRange: ClosedRange<Int64>?
    public var dropped: [DroppedRows]
    /// Rows per part after a split: train, validation, test.
    public var splitRows: [Int]?
    public var notes: [String]

    /// Summarises `table`, and the encoders when a split has been made.
    public init(table: InteractionTable, encoders: [FieldEncoder]? = nil, splits: DatasetSplits? = nil) {
        name = table.name
        rows = table.rowCount
        sessions = table.sessions.isEmpty ? nil : distinctCount(table.sessions)
        users = table.users.isEmpty ? nil : distinctCount(table.users)
        items = table.items.isEmpty ? nil : distinctCount(table.items)
        tasks = table.taskNames.indices.map { t in
            Task(name: table.taskNames[t], positives: table.labels[t].reduce(0) { $0 + Int($1) })
        }
        fields = table.categoricalNames.indices.map { f in
            var present = [Bool](repeating: false, count: table.vocabularies[f].count)
            for id in table.categorical[f] { present[Int(id)] = true }
            let encoder = encoders?[f]
            return Field(
                name: table.categoricalNames[f], distinct: present.filter { $0 }.count,
                cardinality: encoder?.cardinality, tailMembers: encoder?.isTailMerged == true ? encoder?.tailMembers : nil)
        }
        numericNames = table.numericNames.isEmpty ? ["zero (no numeric field: one all-zero column)"] : table.numericNames
        if let lo = table.timestamps.min(), let hi = table.timestamps.max(), hi > 0 { timeRange = lo...hi }
        dropped = table.dropped
        splitRows = splits.map { [$0.train.rowCount, $0.validation.rowCount, $0.test.rowCount] }
        notes = table.notes
    }

    /// Plain text, one fact per line.
    public var description: String {
        var lines: [String] = ["data: \(name)"]
        var counts = "  rows \(rows)"
        if let sessions { counts += ", sessions \(sessions)" }
        if let users { counts += ", users \(users)" }
        if let items { counts += ", items \(items)" }
        lines.append(counts)
        for task in tasks {
            let rate = rows > 0 ? Double(task.positives) / Double(rows) * 100 : 0
            lines.append("  task \(task.name): \(task.positives) positives (\(formatPercent(rate)))")
        }
        for field in fields {
            var text = "  field \(field.name): \(field.distinct) distinct"
            if let c = field.cardinality { text += ", \(c) ids" }
            if let t = field.tailMembers { text += " (\(t) tail values share one id)" }
            lines.append(text)
        }
        lines.append("  numeric: \(numericNames.joined(separator: ", "))")
        if let timeRange {
            lines.append("  time: \(formatTimestamp(timeRange.lowerBound)) .. \(formatTimestamp(timeRange.upperBound)) UTC")
        }
        if let splitRows { lines.append("  split: train \(splitRows[0]), validation \(splitRows[1]), test \(splitRows[2])") }
        if dropped.isEmpty {
            lines.append("  dropped: none")
        } else {
            for d in dropped { lines.append("  dropped \(d.count) rows: \(d.reason)") }
        }
        for note in notes { lines.append("  note: \(note)") }
        return lines.joined(separator: "\n")
    }
}

func formatPercent(_ p: Double) -> String {
    let scaled = (p * 100).rounded() / 100
    return "\(scaled)%"
}

/// "2015-06-01 14:03:07" for Unix milliseconds (UTC, proleptic Gregorian; no Foundation needed).
public func formatTimestamp(_ ms: Int64) -> String {
    let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
    var days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
    let secondOfDay = seconds - days * 86400
    // Howard Hinnant's civil_from_days.
    days += 719_468
    let era = (days >= 0 ? days : days - 146_096) / 146_097
    let doe = days - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
}

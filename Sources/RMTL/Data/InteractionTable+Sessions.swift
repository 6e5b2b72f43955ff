/// Sessions: cut per user by an inactivity gap, or taken from a column.
///
/// Either way the result is in time order (stable: equal timestamps keep the reader's order), and
/// session indices are numbered 0, 1, 2, … in order of each session's first row, so sessions are ordered
/// by time. An event table (RetailRocket) is then collapsed to one row per (session, item).
extension InteractionTable {
    /// Cuts each user's time-ordered rows into sessions wherever two consecutive rows are more than
    /// `gapMilliseconds` apart (a gap exactly equal to `gapMilliseconds` does not cut).
    ///
    /// Needs a user key (`users`); without one, an existing session column is cut further by the gap.
    /// Cost: one O(n log n) sort.
    public func sessionized(gapMilliseconds gap: Int64) throws -> InteractionTable {
        guard gap > 0 else {
            throw DataError(file: name, message: "the session gap must be positive, got \(gap) ms")
        }
        let groups: [Int32]
        if !users.isEmpty {
            groups = users
        } else if !sessions.isEmpty {
            groups = sessions
        } else {
            throw DataError(
                file: name, message: "cannot cut sessions by a gap: the data has no user or session column",
                hint: "load it with user=<column> or session=<column>, or use sessionize by=<column>")
        }
        // One pass in time order, remembering each user's last time and open session; new sessions are
        // numbered as they start, so session ids already follow time.
        let ts = timestamps
        let order = timeOrder()
        let groupCount = Int(groups.max() ?? -1) + 1
        var lastTime = [Int64](repeating: 0, count: groupCount)
        var openSession = [Int32](repeating: -1, count: groupCount)
        var sessionOfRow = [Int32](repeating: 0, count: rowCount)  // in time order
        var next: Int32 = 0
        for (k, row) in order.enumerated() {
            let g = Int(groups[row]), t = ts[row]
            if openSession[g] < 0 || t - lastTime[g] > gap {
                openSession[g] = next
                next += 1
            }
            lastTime[g] = t
            sessionOfRow[k] = openSession[g]
        }
        var result = rows(order)
        result.sessions = sessionOfRow
        result.notes.append("sessions: cut per \(users.isEmpty ? "session" : "user") by an inactivity gap of \(formatDuration(gap))")
        return try result.collapsedIfEvents()
    }

    /// Takes sessions from the key column `name` (rows with equal values form one session), or from the
    /// user key when `name` is the user column the reader was given.
    public func sessionized(byColumn column: String) throws -> InteractionTable {
        guard let k = keyColumnNames.firstIndex(of: column) else {
            throw DataError(
                file: self.name, message: "no column '\(column)' to take sessions from",
                hint: unknownColumnHint(column, columns: keyColumnNames))
        }
        var result = withSessions(keyColumns[k])
        result.notes.append("sessions: rows sharing '\(column)'")
        return try result.collapsedIfEvents()
    }

    /// Reorders rows into time order and renumbers `raw` session keys by first appearance.
    func withSessions(_ raw: [Int32]) -> InteractionTable {
        var t = self
        t.sessions = raw
        t = t.rows(t.timeOrder())
        t.sessions = renumberedByFirstAppearance(t.sessions)
        return t
    }

    func collapsedIfEvents() throws -> InteractionTable {
        guard rowUnit == .event else { return self }
        return try collapsedPerSessionItem(mapping: eventLabels)
    }
}

/// Renumbers keys to 0, 1, 2, … in order of first appearance.
func renumberedByFirstAppearance(_ keys: [Int32]) -> [Int32] {
    guard let maxKey = keys.max() else { return [] }
    var map = [Int32](repeating: -1, count: Int(maxKey) + 1)
    var next: Int32 = 0
    return keys.map { key in
        if map[Int(key)] < 0 {
            map[Int(key)] = next
            next += 1
        }
        return map[Int(key)]
    }
}

/// "30m", "1h30m", "250ms": a short rendering of a duration in milliseconds.
func formatDuration(_ ms: Int64) -> String {
    if ms % 1000 != 0 { return "\(ms)ms" }
    var s = ms / 1000
    var text = ""
    if s >= 86400 && s % 86400 == 0 { return "\(s / 86400)d" }
    if s >= 3600 {
        text += "\(s / 3600)h"
        s %= 3600
    }
    if s >= 60 {
        text += "\(s / 60)m"
        s %= 60
    }
    if s > 0 || text.isEmpty { text += "\(s)s" }
    return text
}

/// Parses "30m", "1800s", "2h", "1h30m", "500ms", or a bare number of seconds, into milliseconds.
public func parseDuration(_ text: String) -> Int64? {
    var total: Int64 = 0
    var number: Int64? = nil
    var chars = Array(text.lowercased())
    if chars.isEmpty { return nil }
    if chars.allSatisfy(\.isNumber) { chars += ["s"] }
    var i = 0
    while i < chars.count {
        let c = chars[i]
        if let d = c.wholeNumberValue, c.isASCII {
            number = (number ?? 0) * 10 + Int64(d)
            if number! > 1_000_000_000_000 { return nil }  // safe: just assigned above
            i += 1
            continue
        }
        guard let n = number else { return nil }
        let unit: Int64
        if c == "m" && i + 1 < chars.count && chars[i + 1] == "s" {
            unit = 1
            i += 1
        } else {
            switch c {
            case "s": unit = 1000
            case "m": unit = 60_000
            case "h": unit = 3_600_000
            case "d": unit = 86_400_000
            default: return nil
            }
        }
        total += n * unit
        number = nil
        i += 1
    }
    return number == nil && total > 0 ? total : nil
}

/// How raw RetailRocket events become the two task labels of a (session, item) row.
///
/// The paper's "click" and "pay" are not defined in public (rmtl-reference.md §1.5). The default,
/// `click = addtocart or transaction`, `pay = transaction`, fits the positive rates inferred from the
/// paper's logloss (~5–6% and ~0.8–0.9%). Switch with `labels=cart` (click = addtocart only) or
/// `labels=view` (click = any event, i.e. every row positive; only useful for debugging).
public struct RetailRocketLabels: Sendable, Equatable {
    /// Event names (`view`, `addtocart`, `transaction`) that make the first task positive.
    public var clickEvents: [String]
    /// Event names that make the second task positive.
    public var payEvents: [String]
    /// Task names, in output order.
    public var taskNames: [String]

    public init(clickEvents: [String], payEvents: [String], taskNames: [String] = ["ctr", "ctcvr"]) {
        self.clickEvents = clickEvents
        self.payEvents = payEvents
        self.taskNames = taskNames
    }

    /// click = added to cart or bought in the session; pay = bought.
    public static let `default` = RetailRocketLabels(
        clickEvents: ["addtocart", "transaction"], payEvents: ["transaction"])
    /// click = added to cart in the session (a purchase alone does not count); pay = bought.
    public static let cartOnly = RetailRocketLabels(clickEvents: ["addtocart"], payEvents: ["transaction"])

    /// The mapping named `name` (`default`/`cart_or_buy`, `cart`).
    public static func named(_ name: String) -> RetailRocketLabels? {
        switch name {
        case "default", "cart_or_buy", "cartorbuy": return .default
        case "cart", "cart_only": return .cartOnly
        default: return nil
        }
    }

    public var summary: String {
        "\(taskNames[0]) = \(clickEvents.joined(separator: " or ")) in the session; "
            + "\(taskNames[1]) = \(payEvents.joined(separator: " or "))"
    }
}

extension InteractionTable {
    /// One row per (session, item), in time order of the item's first touch in the session.
    ///
    /// Features and the timestamp come from that first event (so properties are as of first touch); a
    /// task is 1 when any of the session's events on the item is in that task's event list. The input
    /// must be sessionized, in time order, with label columns named after event kinds.
    public func collapsedPerSessionItem(mapping: RetailRocketLabels) throws -> InteractionTable {
        guard !sessions.isEmpty, !items.isEmpty else {
            throw DataError(file: name, message: "collapsing events needs sessions and items")
        }
        func columns(_ events: [String]) throws -> [Int] {
            try events.map { event in
                guard let k = taskNames.firstIndex(of: event) else {
                    throw DataError(
                        file: name, message: "unknown event kind '\(event)' in the label mapping",
                        hint: unknownColumnHint(event, columns: taskNames))
                }
                return k
            }
        }
        let clickColumns = try columns(mapping.clickEvents), payColumns = try columns(mapping.payEvents)
        // Group rows by session (stable, so each session's rows stay in time order), then find each
        // item's first touch within its session. Sessions are short; long ones use a dictionary.
        let bySession = stableGrouped(Array(0..<rowCount), by: sessions)
        var owner = [Int32](repeating: -1, count: rowCount)  // row → its (session, item) first row
        var start = 0
        var lookup: [Int32: Int32] = [:]
        while start < rowCount {
            var end = start + 1
            let session = sessions[bySession[start]]
            while end < rowCount && sessions[bySession[end]] == session { end += 1 }
            if end - start > 64 {
                lookup.removeAll(keepingCapacity: true)
                for k in start..<end {
                    let r = bySession[k]
                    if let first = lookup[items[r]] { owner[r] = first } else {
                        lookup[items[r]] = Int32(r)
                        owner[r] = Int32(r)
                    }
                }
            } else {
                for k in start..<end {
                    let r = bySession[k]
                    owner[r] = Int32(r)
                    for j in start..<k where items[bySession[j]] == items[r] {
                        owner[r] = owner[bySession[j]]
                        break
                    }
                }
            }
            start = end
        }
        // Output rows in time order of first touch (rows are in time order already).
        var outputIndex = [Int32](repeating: -1, count: rowCount)
        var firstRows: [Int] = []
        for r in 0..<rowCount where owner[r] == Int32(r) {
            outputIndex[r] = Int32(firstRows.count)
            firstRows.append(r)
        }
        var click = [UInt8](repeating: 0, count: firstRows.count)
        var pay = [UInt8](repeating: 0, count: firstRows.count)
        for r in 0..<rowCount {
            let out = Int(outputIndex[Int(owner[r])])
            for c in clickColumns where labels[c][r] != 0 { click[out] = 1 }
            for c in payColumns where labels[c][r] != 0 { pay[out] = 1 }
        }
        var t = rows(firstRows)
        t.rowUnit = .interaction
        t.taskNames = mapping.taskNames
        t.labels = [click, pay]
        t.notes.append("rows: one per (session, item) in order of first touch; labels: \(mapping.summary)")
        return t
    }
}

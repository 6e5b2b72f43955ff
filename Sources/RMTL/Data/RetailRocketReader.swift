/// Options for the raw Kaggle RetailRocket files (data-formats.md §1).
public struct RetailRocketLoadOptions: Sendable, Equatable {
    /// Which snapshot of a time-varying property an event sees.
    public enum Properties: String, Sendable, Equatable {
        /// The latest snapshot at or before the event's time (default). An event earlier than every
        /// snapshot of the item sees the item's earliest snapshot (the Kaggle snapshots start a week
        /// after the first events).
        case asOfEventTime = "asof"
        /// The item's latest snapshot, whatever the event's time.
        case latest
    }

    public var properties: Properties
    /// The item properties to use as categorical fields, in order (default: the paper's 7).
    public var fields: [String]
    /// How events turn into the two labels (applied after sessionizing; never invalidates the cache).
    public var labels: RetailRocketLabels

    public init(
        properties: Properties = .asOfEventTime, fields: [String] = retailRocketFields,
        labels: RetailRocketLabels = .default
    ) {
        self.properties = properties
        self.fields = fields
        self.labels = labels
    }

    /// `keys=`: caches written before the itemid key column existed are not served.
    var fingerprint: String { "properties=\(properties.rawValue) fields=\(fields) keys=visitorid,itemid" }
}

/// Reads `events.csv`, `item_properties_part1.csv`, `item_properties_part2.csv` (and, when present,
/// `category_tree.csv`) into an event table: one row per event, in file order, with the chosen item
/// properties resolved per event, user = visitorid, item = itemid, and one 0/1 column per event kind
/// (`view`, `addtocart`, `transaction`).
///
/// Sessionizing then cuts each visitor's events by the gap and collapses them to one row per
/// (session, item) (`InteractionTable.collapsedPerSessionItem`). An item with no snapshot of a field
/// gets the empty token for it (the authors fill missing values with 0).
///
/// Cost: one pass over each file; property rows of other properties, or of items no event touches, are
/// skipped after comparing the property name.
///
/// `eventsFile` (scoring new data, `predict`) reads events from another file with the folder's item
/// properties; without `labelsRequired` its `event` column may be missing, and every row is then a view.
public enum RetailRocketReader {
    public static let eventKinds = ["view", "addtocart", "transaction"]

    public static func read(
        directory: String, options: RetailRocketLoadOptions = .init(), eventsFile: String? = nil,
        labelsRequired: Bool = true
    ) throws -> InteractionTable {
        // MARK: events
        let eventsPath = eventsFile ?? directory + "/events.csv"
        let reader = try CSVReader(path: eventsPath)
        let header = try CSVHeader(reading: reader)
        let timeIndex = try header.index(of: "timestamp"), visitorIndex = try header.index(of: "visitorid")
        let itemIndex = try header.index(of: "itemid")
        let eventIndex = try header.index(of: "event", required: labelsRequired)
        // room for the ids the file can hold (an event line is over 20 bytes), up to the Kaggle
        // log's 1.4 M visitors and 235 k items, so a small file does not reserve tens of MB
        let lines = (reader.byteCount ?? Int.max) / 20
        var visitors = KeyInterner(expectedCount: min(1 << 20, lines))
        var items = KeyInterner(expectedCount: min(1 << 18, lines))
        var times: [Int64] = [], users: [Int32] = [], itemColumn: [Int32] = [], kinds: [UInt8] = []
        let kindBytes = eventKinds.map { Array($0.utf8) }
        while try reader.nextRecord() {
            try reader.requireFieldCount(header.names.count)
            var kind = 0  // view
            if let eventIndex {
                let kindField = reader.field(eventIndex)
                guard let k = kindBytes.firstIndex(where: { $0.elementsEqual(kindField) }) else {
                    throw reader.error(
                        atField: eventIndex, "unknown event '\(reader.string(eventIndex))'",
                        hint: "events are view, addtocart or transaction")
                }
                kind = k
            }
            times.append(try reader.int64(timeIndex, column: "timestamp"))
            users.append(visitors.intern(try reader.int64(visitorIndex, column: "visitorid")))
            itemColumn.append(items.intern(try reader.int64(itemIndex, column: "itemid")))
            kinds.append(UInt8(kind))
        }
        guard !times.isEmpty else {
            throw DataError(file: eventsPath, line: header.line, message: "no events after the header")
        }

        // MARK: item properties
        let fieldBytes = options.fields.map { Array($0.utf8) }
        var snapshots = options.fields.map { _ in Snapshots() }
        let interners = options.fields.map { _ in TokenInterner(expectedCount: 1 << 14) }
        var propertyRows = 0, keptRows = 0
        for part in ["item_properties_part1.csv", "item_properties_part2.csv"] {
            let path = directory + "/" + part
            let reader = try CSVReader(path: path)
            let header = try CSVHeader(reading: reader)
            let t = try header.index(of: "timestamp"), i = try header.index(of: "itemid")
            let p = try header.index(of: "property"), v = try header.index(of: "value")
            let width = header.names.count
            while try reader.nextRecord() {
                try reader.requireFieldCount(width)
                propertyRows += 1
                let name = reader.field(p)
                guard let k = fieldBytes.firstIndex(where: { $0.elementsEqual(name) }) else { continue }
                let itemKey = try reader.int64(i, column: "itemid")
                guard let item = items.id(of: itemKey) else { continue }
                snapshots[k].items.append(item)
                snapshots[k].times.append(try reader.int64(t, column: "timestamp"))
                snapshots[k].values.append(interners[k].intern(reader.field(v)))
                keptRows += 1
            }
        }

        // MARK: category tree (optional; checked, counted)
        var categoryCount: Int?
        let treePath = directory + "/category_tree.csv"
        if let treeReader = try? CSVReader(path: treePath) {
            let header = try CSVHeader(reading: treeReader)
            let c = try header.index(of: "categoryid"), parent = try header.index(of: "parentid")
            var n = 0
            while try treeReader.nextRecord() {
                try treeReader.requireFieldCount(header.names.count)
                _ = try treeReader.int64(c, column: "categoryid")
                if !treeReader.isEmpty(parent) { _ = try treeReader.int64(parent, column: "parentid") }
                n += 1
            }
            categoryCount = n
        }

        // MARK: resolve properties per event
        var categorical: [[Int32]] = []
        var missingCounts: [Int] = []
        for k in options.fields.indices {
            let missing = interners[k].intern(UnsafeBufferPointer(start: nil, count: 0))
            let index = snapshots[k].indexed(itemCount: items.count)
            var column = [Int32](repeating: missing, count: times.count)
            var missingEvents = 0
            for e in 0..<times.count {
                if let value = index.value(item: Int(itemColumn[e]), at: times[e], latest: options.properties == .latest) {
                    column[e] = value
                } else {
                    missingEvents += 1
                }
            }
            categorical.append(column)
            missingCounts.append(missingEvents)
        }

        var labels = eventKinds.map { _ in [UInt8](repeating: 0, count: times.count) }
        for e in 0..<times.count { labels[Int(kinds[e])][e] = 1 }
        var table = InteractionTable(
            name: directory, rowUnit: .event, categoricalNames: options.fields, categorical: categorical,
            vocabularies: interners.map { $0.frozen() }, taskNames: eventKinds, labels: labels, users: users,
            items: itemColumn, timestamps: times, keyColumnNames: ["visitorid", "itemid"], keyColumns: [users, itemColumn])
        // The key columns' spellings serve split by=, sessionize by= and the raw ids of per-row exports
        // (`export predictions`); keep the ids as text.
        table.keyVocabularies = [numericTokens(visitors.keys), numericTokens(items.keys)]
        table.notes.append(
            "events: \(times.count) (\(eventKinds.indices.map { "\(labels[$0].reduce(0) { $0 + Int($1) }) \(eventKinds[$0])" }.joined(separator: ", ")))")
        table.notes.append("item properties: \(propertyRows) rows read, \(keptRows) used (fields \(options.fields.joined(separator: ", ")))")
        table.notes.append(
            options.properties == .latest
                ? "properties: each item's latest snapshot"
                : "properties: as of each event's time (earliest snapshot for events before it)")
        for (k, m) in missingCounts.enumerated() where m > 0 {
            table.notes.append("field \(options.fields[k]): \(m) events on items with no snapshot (empty token)")
        }
        if let categoryCount { table.notes.append("category_tree.csv: \(categoryCount) categories") }
        table.eventLabels = options.labels
        return table
    }

    /// Decimal spellings of integer keys, as a `TokenList` (id k spells keys[k]).
    static func numericTokens(_ keys: [Int64]) -> TokenList {
        var list = TokenList()
        list.bytes.reserveCapacity(keys.count * 7)
        list.offsets.reserveCapacity(keys.count + 1)
        for key in keys {
            list.bytes.append(contentsOf: String(key).utf8)
            list.offsets.append(Int64(list.bytes.count))
        }
        return list
    }
}

/// One property's snapshot rows (item, time, value id), in file order.
struct Snapshots {
    var items: [Int32] = []
    var times: [Int64] = []
    var values: [Int32] = []

    /// Groups rows by item (CSR) and sorts each item's rows by time (stable: file order breaks ties).
    func indexed(itemCount: Int) -> SnapshotIndex {
        var starts = [Int](repeating: 0, count: itemCount + 1)
        for item in items { starts[Int(item) + 1] += 1 }
        for i in 0..<itemCount { starts[i + 1] += starts[i] }
        var fill = starts
        var order = [Int](repeating: 0, count: items.count)
        for (row, item) in items.enumerated() {
            order[fill[Int(item)]] = row
            fill[Int(item)] += 1
        }
        var sortedTimes = [Int64](repeating: 0, count: items.count)
        var sortedValues = [Int32](repeating: 0, count: items.count)
        for i in 0..<itemCount where starts[i + 1] - starts[i] > 1 {
            order[starts[i]..<starts[i + 1]].sort { a, b in times[a] != times[b] ? times[a] < times[b] : a < b }
        }
        for (k, row) in order.enumerated() {
            sortedTimes[k] = times[row]
            sortedValues[k] = values[row]
        }
        return SnapshotIndex(starts: starts, times: sortedTimes, values: sortedValues)
    }
}

struct SnapshotIndex {
    let starts: [Int]
    let times: [Int64]
    let values: [Int32]

    /// The value of `item` as of `time` (see `RetailRocketLoadOptions.Properties`), nil with no snapshot.
    @inline(__always)
    func value(item: Int, at time: Int64, latest: Bool) -> Int32? {
        let lo = starts[item], hi = starts[item + 1]
        guard hi > lo else { return nil }
        if latest { return values[hi - 1] }
        // Last snapshot with time <= event time (binary search); the first one if none.
        var a = lo, b = hi
        while a < b {
            let mid = (a + b) / 2
            if times[mid] <= time { a = mid + 1 } else { b = mid }
        }
        return values[max(a - 1, lo)]
    }
}

/// One raw (not yet encoded) interaction table, by column: what every reader produces.
///
/// Categorical values are raw tokens interned per column (`categorical[f][row]` indexes
/// `vocabularies[f]`, dense in first-appearance order); encoding to frequency ranks happens later, on
/// the training split only (`FrequencyEncoder`). Rows are in the order the reader produced them.
public struct InteractionTable: Sendable, Equatable {
    /// What one row means, which decides how sessions turn into model rows.
    public enum RowUnit: UInt8, Sendable {
        /// One row is one interaction; sessions only group rows.
        case interaction = 0
        /// One row is one raw event (RetailRocket); after sessionizing, events are collapsed into one
        /// row per (session, item) with `RetailRocketLabels` (see `collapsedPerSessionItem`).
        case event = 1
    }

    public var name: String
    public var rowUnit: RowUnit = .interaction
    public var categoricalNames: [String]
    public var categorical: [[Int32]]
    public var vocabularies: [TokenList]
    public var numericNames: [String]
    public var numeric: [[Float]]
    public var taskNames: [String]
    /// `labels[t][row]`, 0 or 1.
    public var labels: [[UInt8]]
    /// Dense user / visitor id per row (for gap sessionizing), or empty when the source has none.
    public var users: [Int32]
    /// Dense item id per row, or empty. Counted in summaries; used to collapse RetailRocket events.
    public var items: [Int32]
    /// Session index per row, or empty before sessionizing.
    public var sessions: [Int32]
    /// Unix milliseconds per row (all 0 when the source has no time).
    public var timestamps: [Int64]
    /// Preset split per row (0 train, 1 validation, 2 test), or empty. Set by the processed-layout reader
    /// and by `split by=column`.
    public var presetSplit: [UInt8]
    /// Extra token columns kept only for `sessionize by=` / `split by=` (not model features).
    public var keyColumnNames: [String]
    public var keyColumns: [[Int32]]
    public var keyVocabularies: [TokenList]
    /// Rows the reader dropped, and why (reason, count), in the order the reasons were found.
    public var dropped: [DroppedRows]
    /// Notes the reader wants in the summary (choices made, files used).
    public var notes: [String]
    /// For an event table: how events become the labels of a (session, item) row. Not cached: it is
    /// applied after loading, so changing it never needs a re-read.
    public var eventLabels: RetailRocketLabels = .default

    public init(
        name: String, rowUnit: RowUnit = .interaction, categoricalNames: [String] = [],
        categorical: [[Int32]] = [], vocabularies: [TokenList] = [], numericNames: [String] = [],
        numeric: [[Float]] = [], taskNames: [String] = [], labels: [[UInt8]] = [], users: [Int32] = [],
        items: [Int32] = [], sessions: [Int32] = [], timestamps: [Int64] = [], presetSplit: [UInt8] = [],
        keyColumnNames: [String] = [], keyColumns: [[Int32]] = [], keyVocabularies: [TokenList] = [],
        dropped: [DroppedRows] = [], notes: [String] = []
    ) {
        self.name = name
        self.rowUnit = rowUnit
        self.categoricalNames = categoricalNames
        self.categorical = categorical
        self.vocabularies = vocabularies
        self.numericNames = numericNames
        self.numeric = numeric
        self.taskNames = taskNames
        self.labels = labels
        self.users = users
        self.items = items
        self.sessions = sessions
        self.timestamps = timestamps
        self.presetSplit = presetSplit
        self.keyColumnNames = keyColumnNames
        self.keyColumns = keyColumns
        self.keyVocabularies = keyVocabularies
        self.dropped = dropped
        self.notes = notes
    }

    public var rowCount: Int { timestamps.count }
    public var hasSessions: Bool { !sessions.isEmpty }

    /// The rows at `indices`, in that order (every per-row column, vocabularies shared).
    public func rows(_ indices: [Int]) -> InteractionTable {
        func pick<T: BitwiseCopyable>(_ column: [T]) -> [T] { column.isEmpty ? [] : gather(column, indices) }
        var t = self
        t.categorical = categorical.map(pick)
        t.numeric = numeric.map(pick)
        t.labels = labels.map(pick)
        t.users = pick(users)
        t.items = pick(items)
        t.sessions = pick(sessions)
        t.timestamps = pick(timestamps)
        t.presetSplit = pick(presetSplit)
        t.keyColumns = keyColumns.map(pick)
        return t
    }

    /// Row indices in time order; equal times keep their current order (stable).
    ///
    /// Cost: O(n) when already in order; otherwise one sort of packed `(time - min) << b | row` keys
    /// (b = bits of the row count) when they fit in 64 bits, else a comparison sort.
    public func timeOrder() -> [Int] {
        let ts = timestamps, n = ts.count
        var sorted = true
        for i in 1..<max(n, 1) where ts[i] < ts[i - 1] {
            sorted = false
            break
        }
        if sorted { return Array(0..<n) }
        let lo = ts.min() ?? 0, hi = ts.max() ?? 0
        let (range, overflow) = hi.subtractingReportingOverflow(lo)
        let rowBits = Int.bitWidth - n.leadingZeroBitCount  // bits to hold any row index
        if !overflow && rowBits < 64 && (range == 0 || Int.bitWidth - range.leadingZeroBitCount <= 64 - rowBits) {
            var keys = [UInt64](repeating: 0, count: n)
            for i in 0..<n { keys[i] = UInt64(ts[i] - lo) << UInt64(rowBits) | UInt64(i) }
            radixSort(&keys, significantBits: rowBits + (Int.bitWidth - range.leadingZeroBitCount))
            let mask = (UInt64(1) << UInt64(rowBits)) - 1
            return keys.map { Int($0 & mask) }
        }
        var order = Array(0..<n)
        order.sort { ts[$0] != ts[$1] ? ts[$0] < ts[$1] : $0 < $1 }
        return order
    }
}

/// `column[indices[k]]` for each k, through unsafe buffers (no per-element closure or bounds check).
@inline(__always)
func gather<T: BitwiseCopyable>(_ column: [T], _ indices: [Int]) -> [T] {
    column.withUnsafeBufferPointer { source in
        indices.withUnsafeBufferPointer { index in
            [T](unsafeUninitializedCapacity: index.count) { out, initialized in
                for k in 0..<index.count { out[k] = source[index[k]] }
                initialized = index.count
            }
        }
    }
}

/// Sorts `keys` ascending by their low `significantBits` bits (higher bits must be zero): LSD radix sort
/// with 16-bit digits, O(n) per digit.
func radixSort(_ keys: inout [UInt64], significantBits: Int) {
    let n = keys.count
    guard n > 1 else { return }
    var other = [UInt64](repeating: 0, count: n)
    var shift: UInt64 = 0
    var counts = [Int](repeating: 0, count: 1 << 16)
    while Int(shift) < significantBits {
        for i in counts.indices { counts[i] = 0 }
        for k in keys { counts[Int((k >> shift) & 0xFFFF)] += 1 }
        var sum = 0
        for i in counts.indices {
            let c = counts[i]
            counts[i] = sum
            sum += c
        }
        for k in keys {
            let d = Int((k >> shift) & 0xFFFF)
            other[counts[d]] = k
            counts[d] += 1
        }
        swap(&keys, &other)
        shift += 16
    }
}

/// The number of distinct non-negative values (a bitmap over `0...max`).
func distinctCount(_ values: [Int32]) -> Int {
    guard let top = values.max(), top >= 0 else { return 0 }
    var seen = [Bool](repeating: false, count: Int(top) + 1)
    var count = 0
    for v in values where v >= 0 && !seen[Int(v)] {
        seen[Int(v)] = true
        count += 1
    }
    return count
}

/// Stable counting sort of `order` by `keys[row]` (keys ≥ 0): rows with equal keys keep their order.
func stableGrouped(_ order: [Int], by keys: [Int32]) -> [Int] {
    guard let top = keys.max() else { return order }
    var starts = [Int](repeating: 0, count: Int(top) + 2)
    for row in order { starts[Int(keys[row]) + 1] += 1 }
    for k in 0..<(starts.count - 1) { starts[k + 1] += starts[k] }
    var result = [Int](repeating: 0, count: order.count)
    for row in order {
        result[starts[Int(keys[row])]] = row
        starts[Int(keys[row])] += 1
    }
    return result
}

/// A count of rows a reader left out, with the reason in words.
public struct DroppedRows: Sendable, Equatable {
    public var reason: String
    public var count: Int
    public init(reason: String, count: Int) {
        self.reason = reason
        self.count = count
    }
}

extension Array where Element == DroppedRows {
    mutating func add(_ reason: String, _ count: Int) {
        guard count > 0 else { return }
        if let i = firstIndex(where: { $0.reason == reason }) { self[i].count += count } else {
            append(DroppedRows(reason: reason, count: count))
        }
    }
}

/// How rows are divided into train, validation and test.
public enum SplitMethod: Sendable, Equatable {
    /// By time: the earliest `train` share of rows, then `validation`, then `test` (ratios are
    /// normalised by their sum). With `wholeSessions`, each session goes entirely to the part where its
    /// first row would fall, so no session straddles a boundary (part sizes then differ slightly).
    case time(train: Double, validation: Double, test: Double, wholeSessions: Bool)
    /// By the values of a key column: `train`, `val`/`validation`/`valid`, `test` (any case) or 0/1/2.
    case column(String)
    /// The split the reader already fixed (the processed layout's three files).
    case preset

    /// The paper's 6:2:2 by time.
    public static let paper = SplitMethod.time(train: 0.6, validation: 0.2, test: 0.2, wholeSessions: false)
}

extension InteractionTable {
    /// Row indices of the three parts, each in time order (ties in reader order). Deterministic: no
    /// randomness is involved, so the same table and method always give the same parts.
    public func splitRows(_ method: SplitMethod) throws -> (train: [Int], validation: [Int], test: [Int]) {
        switch method {
        case let .time(a, b, c, wholeSessions):
            guard a >= 0, b >= 0, c >= 0, a + b + c > 0, a.isFinite, b.isFinite, c.isFinite else {
                throw DataError(
                    file: name, message: "split ratios must be non-negative with a positive sum, got \(a) \(b) \(c)")
            }
            let order = timeOrder()
            let n = order.count
            let total = a + b + c
            let trainEnd = Int((Double(n) * a / total).rounded())
            let validationEnd = min(n, trainEnd + Int((Double(n) * b / total).rounded()))
            guard wholeSessions, !sessions.isEmpty else {
                return (Array(order[..<trainEnd]), Array(order[trainEnd..<validationEnd]), Array(order[validationEnd...]))
            }
            // A session's part is decided by the position of its first row in time order.
            var partOfSession = [UInt8](repeating: 255, count: Int(sessions.max() ?? 0) + 1)
            var parts: ([Int], [Int], [Int]) = ([], [], [])
            for (position, row) in order.enumerated() {
                let s = sessions[row]
                let part: UInt8
                if partOfSession[Int(s)] != 255 {
                    part = partOfSession[Int(s)]
                } else {
                    part = position < trainEnd ? 0 : position < validationEnd ? 1 : 2
                    partOfSession[Int(s)] = part
                }
                switch part {
                case 0: parts.0.append(row)
                case 1: parts.1.append(row)
                default: parts.2.append(row)
                }
            }
            return parts
        case let .column(column):
            guard let k = keyColumnNames.firstIndex(of: column) else {
                throw DataError(
                    file: name, message: "no column '\(column)' to split by",
                    hint: unknownColumnHint(column, columns: keyColumnNames))
            }
            let vocabulary = keyVocabularies[k]
            var partOfToken = [UInt8](repeating: 0, count: vocabulary.count)
            for t in 0..<vocabulary.count {
                switch vocabulary.string(t).lowercased() {
                case "train", "0": partOfToken[t] = 0
                case "val", "valid", "validation", "1": partOfToken[t] = 1
                case "test", "2": partOfToken[t] = 2
                default:
                    throw DataError(
                        file: name, message: "split column '\(column)' holds '\(vocabulary.string(t))'",
                        hint: "use train, val or test (or 0, 1, 2)")
                }
            }
            return partition(timeOrder()) { partOfToken[Int(keyColumns[k][$0])] }
        case .preset:
            guard !presetSplit.isEmpty else {
                throw DataError(
                    file: name, message: "this data has no preset split",
                    hint: "use split time 0.6 0.2 0.2, or split by=<column>")
            }
            return partition(timeOrder()) { presetSplit[$0] }
        }
    }

    private func partition(_ order: [Int], _ part: (Int) -> UInt8) -> ([Int], [Int], [Int]) {
        var parts: ([Int], [Int], [Int]) = ([], [], [])
        for row in order {
            switch part(row) {
            case 0: parts.0.append(row)
            case 1: parts.1.append(row)
            default: parts.2.append(row)
            }
        }
        return parts
    }
}

/// Options for turning raw tokens into model ids.
public struct EncoderOptions: Sendable, Equatable {
    /// Where values never seen in the training split go.
    public enum Unseen: String, Sendable, Equatable {
        /// A reserved id after the training values: `cardinality - 1` (default). For a tail-merged field
        /// the reserved id is the shared tail id (an unseen value is as rare as it gets).
        case reserved
        /// Id 0, the most frequent value, as the authors' `Catemapper` does (rmtl-reference.md §1.3).
        case mostFrequent
    }

    /// Fields whose long tail is merged into one id (reference §1.3: `776` and `364` for RetailRocket).
    public var tailMergeFields: [String]
    /// The running-fraction threshold of the tail merge (the authors' 0.2).
    public var tailThreshold: Double
    public var unseen: Unseen

    public init(tailMergeFields: [String] = [], tailThreshold: Double = 0.2, unseen: Unseen = .reserved) {
        self.tailMergeFields = tailMergeFields
        self.tailThreshold = tailThreshold
        self.unseen = unseen
    }
}

/// A frequency-rank vocabulary for one categorical field, fitted on the training rows only.
///
/// Order: most frequent training value → id 0, then by descending count; ties are broken by the token's
/// bytes in lexicographic order, so ids do not depend on row order or hashing. With a tail merge the
/// authors' rule applies (rmtl-reference.md §1.3): walking that order with a running count, a value
/// keeps its own id while the running fraction stays ≤ threshold; the value that crosses it and every
/// later one share the next id. Counts are over training rows (the authors counted distinct item-feature
/// rows of `item_feadf.csv`; this project counts interactions, which is what a model sees).
public struct FieldEncoder: Sendable, Equatable {
    public var name: String
    /// `mapping[rawToken]`: the encoded id of every raw token of the column (unseen ones included).
    public var mapping: [Int32]
    /// Ids are `0..<cardinality`.
    public var cardinality: Int
    /// The id unseen values get.
    public var unseenID: Int32
    /// Distinct values in the training rows.
    public var trainDistinct: Int
    /// True when the tail merge was applied; `tailID` is then the shared id.
    public var isTailMerged: Bool
    /// How many distinct training values share the tail id (0 without a merge).
    public var tailMembers: Int

    /// Fits on `column[row]` for `row` in `trainRows`. `tokens` spell the raw ids (for tie-breaks).
    public init(
        name: String, column: [Int32], trainRows: [Int], tokens: TokenList, mergeTail: Bool,
        options: EncoderOptions
    ) {
        let vocabularySize = tokens.count
        var counts = [Int](repeating: 0, count: vocabularySize)
        for r in trainRows { counts[Int(column[r])] += 1 }
        var seen = (0..<vocabularySize).filter { counts[$0] > 0 }
        seen.sort { a, b in counts[a] != counts[b] ? counts[a] > counts[b] : tokens.precedes(a, b) }

        var mapping = [Int32](repeating: -1, count: vocabularySize)
        self.name = name
        trainDistinct = seen.count
        isTailMerged = mergeTail
        if mergeTail {
            let total = Double(trainRows.count)
            var running = 0, next: Int32 = 0, crossed = false, members = 0
            for token in seen {
                running += counts[token]
                if !crossed && Double(running) / total <= options.tailThreshold {
                    mapping[token] = next
                    next += 1
                } else {
                    crossed = true
                    mapping[token] = next
                    members += 1
                }
            }
            // `next` is the shared tail id (also for unseen values), even when no value crossed.
            tailMembers = members
            cardinality = Int(next) + 1
            unseenID = options.unseen == .mostFrequent ? 0 : next
        } else {
            for (rank, token) in seen.enumerated() { mapping[token] = Int32(rank) }
            tailMembers = 0
            switch options.unseen {
            case .reserved:
                cardinality = seen.count + 1
                unseenID = Int32(seen.count)
            case .mostFrequent:
                cardinality = max(seen.count, 1)
                unseenID = 0
            }
        }
        for k in 0..<vocabularySize where mapping[k] < 0 { mapping[k] = unseenID }
        self.mapping = mapping
    }

    /// Encodes `column[row]` for each row.
    public func encode(_ column: [Int32], rows: [Int]) -> [Int32] { rows.map { mapping[Int(column[$0])] } }
}

extension InteractionTable {
    /// Fits one encoder per categorical field on `trainRows` and encodes the three parts.
    ///
    /// Numeric columns pass through; a table with none gets one all-zero column named "zero", as the
    /// authors do (reference §1.3). Session indices are renumbered 0… within each part.
    public func encoded(
        train: [Int], validation: [Int], test: [Int], options: EncoderOptions
    ) throws -> (splits: DatasetSplits, encoders: [FieldEncoder]) {
        for field in options.tailMergeFields where !categoricalNames.contains(field) {
            throw DataError(
                file: name, message: "tail merge asks for field '\(field)', which is not a categorical field",
                hint: unknownColumnHint(field, columns: categoricalNames))
        }
        for (part, rows) in [("training", train), ("validation", validation), ("test", test)] where rows.isEmpty {
            throw DataError(
                file: name, message: "the \(part) split is empty (\(rowCount) rows in all)",
                hint: "use more data, or change the split ratios or the split column")
        }
        let encoders = categoricalNames.indices.map { f in
            FieldEncoder(
                name: categoricalNames[f], column: categorical[f], trainRows: train, tokens: vocabularies[f],
                mergeTail: options.tailMergeFields.contains(categoricalNames[f]), options: options)
        }
        func part(_ rows: [Int], _ suffix: String) -> Dataset {
            let hasNumeric = !numeric.isEmpty
            return Dataset(
                name: "\(name) [\(suffix)]", categoricalNames: categoricalNames,
                categorical: encoders.indices.map { encoders[$0].encode(categorical[$0], rows: rows) },
                cardinalities: encoders.map(\.cardinality),
                numericNames: hasNumeric ? numericNames : ["zero"],
                numeric: hasNumeric
                    ? numeric.map { column in rows.map { column[$0] } }
                    : [[Float](repeating: 0, count: rows.count)],
                taskNames: taskNames,
                labels: labels.map { column in rows.map { Float(column[$0]) } },
                sessions: sessions.isEmpty
                    ? [Int32](repeating: 0, count: rows.count)
                    : renumberedByFirstAppearance(rows.map { sessions[$0] }),
                timestamps: rows.map { timestamps[$0] })
        }
        let splits = DatasetSplits(
            train: part(train, "train"), validation: part(validation, "validation"), test: part(test, "test"))
        return (splits, encoders)
    }
}

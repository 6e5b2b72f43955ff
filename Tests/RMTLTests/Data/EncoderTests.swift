import RMTL
import Testing

/// A one-field table from token strings, with times 0, 1, 2, … and one label column.
func makeTable(
    _ fields: [String: [String]], order: [String]? = nil, labels: [UInt8]? = nil, times: [Int64]? = nil,
    users: [Int32]? = nil
) -> InteractionTable {
    let names = order ?? fields.keys.sorted()
    let n = fields[names[0]]!.count  // safe: tests pass at least one field
    var columns: [[Int32]] = [], vocabularies: [TokenList] = []
    for name in names {
        let interner = TokenInterner()
        columns.append(fields[name]!.map { interner.intern($0) })  // safe: name comes from the keys
        vocabularies.append(interner.frozen())
    }
    return InteractionTable(
        name: "test", categoricalNames: names, categorical: columns, vocabularies: vocabularies,
        taskNames: ["ctr"], labels: [labels ?? [UInt8](repeating: 0, count: n)], users: users ?? [],
        timestamps: times ?? (0..<Int64(n)).map { $0 })
}

@Suite struct DataEncoderTests {
    let options = EncoderOptions()

    func encoder(_ tokens: [String], train: [Int]? = nil, merge: Bool = false, options: EncoderOptions = .init()) -> (FieldEncoder, [Int32]) {
        let t = makeTable(["f": tokens])
        let e = FieldEncoder(
            name: "f", column: t.categorical[0], trainRows: train ?? Array(tokens.indices), tokens: t.vocabularies[0],
            mergeTail: merge, options: options)
        return (e, e.encode(t.categorical[0], rows: Array(tokens.indices)))
    }

    @Test func frequencyRankWithByteTieBreak() {
        // counts: b 3, a 2, c 2, d 1 → b 0, then a/c tie broken by bytes: a 1, c 2, d 3; unseen → 4.
        let (e, ids) = encoder(["c", "b", "a", "b", "c", "d", "b", "a"])
        #expect(ids == [2, 0, 1, 0, 2, 3, 0, 1])
        #expect(e.cardinality == 5)
        #expect(e.unseenID == 4)
        #expect(e.trainDistinct == 4)
    }

    @Test func rankDoesNotDependOnRowOrder() {
        let (_, a) = encoder(["x", "y", "y", "x", "z"])
        let (_, b) = encoder(["y", "x", "x", "y", "z"])
        // x and y tie at 2: x first by bytes in both orders.
        #expect(a == [0, 1, 1, 0, 2])
        #expect(b == [1, 0, 0, 1, 2])
    }

    @Test func builtOnTrainOnly() {
        // Train rows 0..<4: a a b a. Row 4 ('c') and row 5 ('b') are not training rows.
        let (e, ids) = encoder(["a", "a", "b", "a", "c", "b", "c", "c", "c"], train: [0, 1, 2, 3])
        #expect(e.trainDistinct == 2)
        #expect(e.cardinality == 3)
        #expect(ids == [0, 0, 1, 0, 2, 1, 2, 2, 2])  // c is unseen even though it is most frequent overall
    }

    @Test func unseenMostFrequentOption() {
        let (e, ids) = encoder(["a", "a", "b", "c"], train: [0, 1, 2], options: EncoderOptions(unseen: .mostFrequent))
        #expect(e.cardinality == 2)
        #expect(ids == [0, 0, 1, 0])
    }

    @Test func tailMergeKeepsHeadUpToThreshold() {
        // 10 rows: a 1, b 1, then c..j one each; fractions 0.1, 0.2 (≤ 0.2 keep), 0.3 crosses.
        let tokens = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
        let (e, ids) = encoder(tokens, merge: true)
        #expect(ids == [0, 1, 2, 2, 2, 2, 2, 2, 2, 2])
        #expect(e.cardinality == 3)
        #expect(e.unseenID == 2)
        #expect(e.tailMembers == 8)
    }

    @Test func tailMergeCollapsesWhenTopValueCoversMoreThanThreshold() {
        let (e, ids) = encoder(["a", "a", "a", "b", "c"], merge: true)
        #expect(ids == [0, 0, 0, 0, 0])
        #expect(e.cardinality == 1)
    }

    @Test func tailMergeUnseenGoesToTail() {
        let tokens = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "new"]
        let (e, ids) = encoder(tokens, train: Array(0..<10), merge: true)
        #expect(ids.last == 2)
        #expect(e.cardinality == 3)
    }

    @Test func encodedSplitsHaveIdsInRangeAndZeroNumeric() throws {
        let t = makeTable(["f": ["a", "b", "a", "c", "d", "a"]], labels: [1, 0, 1, 0, 0, 1])
        let (splits, encoders) = try t.encoded(train: [0, 1, 2], validation: [3], test: [4, 5], options: .init())
        #expect(encoders[0].cardinality == 3)
        for part in [splits.train, splits.validation, splits.test] {
            #expect(part.categorical[0].allSatisfy { $0 >= 0 && Int($0) < part.cardinalities[0] })
            #expect(part.numericNames == ["zero"])
            #expect(part.numeric == [[Float](repeating: 0, count: part.rowCount)])
        }
        #expect(splits.test.categorical[0] == [2, 0])
        #expect(splits.test.labels[0] == [0, 1])
    }

    @Test func emptySplitIsAnError() {
        let t = makeTable(["f": ["a", "b"]])
        #expect {
            _ = try t.encoded(train: [0, 1], validation: [], test: [1], options: .init())
        } throws: { e in
            (e as? DataError)?.message.contains("the validation split is empty") == true
        }
    }

    @Test func tailMergeOfUnknownFieldIsAnError() {
        let t = makeTable(["f": ["a", "b", "c"]])
        #expect(throws: DataError.self) {
            _ = try t.encoded(train: [0], validation: [1], test: [2], options: EncoderOptions(tailMergeFields: ["g"]))
        }
    }
}

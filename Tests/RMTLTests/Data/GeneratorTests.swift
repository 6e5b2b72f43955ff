import Foundation
import RMTL
import Testing

@Suite struct DataGeneratorTests {
    static let files = ["events.csv", "item_properties_part1.csv", "item_properties_part2.csv", "category_tree.csv"]

    @Test func sameSeedSameBytes() throws {
        let a = TemporaryFolder("a"), b = TemporaryFolder("b"), c = TemporaryFolder("c")
        defer { [a, b, c].forEach { $0.cleanup() } }
        try SyntheticRetailRocket.write(to: a.path, events: 2000, seed: 11)
        try SyntheticRetailRocket.write(to: b.path, events: 2000, seed: 11)
        try SyntheticRetailRocket.write(to: c.path, events: 2000, seed: 12)
        for file in Self.files {
            let x = try Data(contentsOf: URL(fileURLWithPath: a.path + "/" + file))
            #expect(x == (try Data(contentsOf: URL(fileURLWithPath: b.path + "/" + file))), "\(file)")
            if file == "events.csv" { #expect(x != (try Data(contentsOf: URL(fileURLWithPath: c.path + "/" + file)))) }
        }
    }

    @Test func shapesAreRoughlyRight() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let events = 40_000
        try SyntheticRetailRocket.write(to: folder.path, events: events, seed: 5)
        let shape = SyntheticRetailRocket.Shape(events: events)
        // Events: exact count, event mix, visitors, unsorted times.
        let reader = try CSVReader(path: folder.path + "/events.csv")
        let header = try CSVHeader(reading: reader)
        #expect(header.names == ["timestamp", "visitorid", "event", "itemid", "transactionid"])
        var counts: [String: Int] = [:], visitors = Set<Int64>(), items = Set<Int64>()
        var unsorted = false, previous: Int64 = 0, transactionIDs = 0
        while try reader.nextRecord() {
            try reader.requireFieldCount(5)
            let kind = reader.string(2)
            counts[kind, default: 0] += 1
            visitors.insert(try reader.int64(1, column: "visitorid"))
            items.insert(try reader.int64(3, column: "itemid"))
            let t = try reader.int64(0, column: "timestamp")
            if t < previous { unsorted = true }
            previous = t
            #expect(t >= SyntheticRetailRocket.startTime && t < SyntheticRetailRocket.endTime)
            if !reader.isEmpty(4) {
                transactionIDs += 1
                #expect(kind == "transaction")
            }
        }
        let total = Double(events)
        #expect(counts.values.reduce(0, +) == events)
        #expect((0.955...0.985).contains(Double(counts["view"] ?? 0) / total), "\(counts)")
        #expect((0.018...0.033).contains(Double(counts["addtocart"] ?? 0) / total), "\(counts)")
        #expect((0.005...0.012).contains(Double(counts["transaction"] ?? 0) / total), "\(counts)")
        #expect(transactionIDs == counts["transaction"])
        #expect(unsorted)
        #expect(Double(visitors.count) > 0.35 * Double(shape.visitors) && visitors.count <= shape.visitors)
        #expect(items.count > shape.items / 2)
        // Properties: about 48 rows per property item, weekly timestamps, n-prefixed and multi-token values.
        var propertyRows = 0, nPrefixed = 0, multiToken = 0
        var propertyItems = Set<Int64>(), names = Set<String>()
        for part in ["item_properties_part1.csv", "item_properties_part2.csv"] {
            let r = try CSVReader(path: folder.path + "/" + part)
            #expect(try CSVHeader(reading: r).names == ["timestamp", "itemid", "property", "value"])
            while try r.nextRecord() {
                try r.requireFieldCount(4)
                propertyRows += 1
                let t = try r.int64(0, column: "timestamp")
                #expect((t - SyntheticRetailRocket.firstSnapshot) % SyntheticRetailRocket.week == 0)
                propertyItems.insert(try r.int64(1, column: "itemid"))
                names.insert(r.string(2))
                let value = r.string(3)
                if value.hasPrefix("n") { nPrefixed += 1 }
                if value.contains(" ") { multiToken += 1 }
            }
        }
        #expect(propertyItems.count == shape.propertyItems)
        #expect((40.0...60.0).contains(Double(propertyRows) / Double(shape.propertyItems)))
        #expect(nPrefixed > propertyRows / 10 && multiToken > propertyRows / 10)
        for field in retailRocketFields { #expect(names.contains(field)) }
        #expect(names.count > 300)
        let tree = try readAllRecords(folder.path + "/category_tree.csv")
        #expect(tree.count == shape.categories + 1)
        #expect(tree.dropFirst().contains { $0[1].isEmpty })
    }

    @Test func plantedSignalIsLearnable() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        try SyntheticRetailRocket.write(to: folder.path, events: 60_000, seed: 9)
        var p = try DataPipeline.loadRetailRocket(directory: folder.path, cache: .disabled)
        try p.sessionize(gapMilliseconds: DataPipeline.defaultGap)
        let t = p.table
        // Sessions: multi-row sessions exist, and the 30-minute cut matches the generator's sessions.
        #expect(t.rowCount > 40_000)
        let sessionCount = (t.sessions.max() ?? 0) + 1
        #expect(Double(t.rowCount) / Double(sessionCount) > 1.3)

        // Click rate by the available flag (as of event time).
        let available = t.categoricalNames.firstIndex(of: "available")!  // safe: a default field
        var clicks: [String: (Int, Int)] = [:]
        for r in 0..<t.rowCount {
            let v = t.vocabularies[available].string(Int(t.categorical[available][r]))
            clicks[v, default: (0, 0)].0 += Int(t.labels[0][r])
            clicks[v, default: (0, 0)].1 += 1
        }
        let rate1 = Double(clicks["1"]!.0) / Double(clicks["1"]!.1)  // safe: both values occur at this size
        let rate0 = Double(clicks["0"]!.0) / Double(max(1, clicks["0"]!.1))
        #expect(rate1 > 4 * rate0, "available=1 \(rate1) vs 0 \(rate0)")

        // Click rate by position of the row in its session: later rows click more.
        var position = [Int32](repeating: 0, count: Int(sessionCount))
        var byPosition = [(Int, Int)](repeating: (0, 0), count: 2)
        for r in 0..<t.rowCount {
            let s = Int(t.sessions[r])
            let bucket = position[s] == 0 ? 0 : position[s] >= 3 ? 1 : -1
            position[s] += 1
            if bucket >= 0 {
                byPosition[bucket].0 += Int(t.labels[0][r])
                byPosition[bucket].1 += 1
            }
        }
        let first = Double(byPosition[0].0) / Double(byPosition[0].1)
        let later = Double(byPosition[1].0) / Double(byPosition[1].1)
        #expect(later > 1.8 * first, "position 0 \(first) vs ≥3 \(later)")

        // A model as simple as "click rate per (available, categoryid, 814) seen in training" ranks test rows
        // well above chance: the signal survives the as-of join, the encoders and the time split.
        let splits = try p.split(.paper)
        let fields = ["available", "categoryid", "814"].map { splits.train.categoricalNames.firstIndex(of: $0)! }  // safe: defaults
        func key(_ d: Dataset, _ r: Int) -> [Int32] { fields.map { d.categorical[$0][r] } }
        var stats: [[Int32]: (Double, Double)] = [:]
        for r in 0..<splits.train.rowCount {
            stats[key(splits.train, r), default: (0, 0)].0 += Double(splits.train.labels[0][r])
            stats[key(splits.train, r), default: (0, 0)].1 += 1
        }
        let prior = Double(splits.train.labels[0].reduce(0, +)) / Double(splits.train.rowCount)
        let scores = (0..<splits.test.rowCount).map { r -> Double in
            let (c, n) = stats[key(splits.test, r)] ?? (0, 0)
            return (c + 20 * prior) / (n + 20)
        }
        let auc = RMTL.auc(scores: scores.map(Float.init), labels: splits.test.labels[0])
        #expect(auc > 0.65, "ctr AUC \(auc)")
    }
}

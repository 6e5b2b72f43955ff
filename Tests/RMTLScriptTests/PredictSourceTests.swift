import Foundation
import RMTL
import Testing

/// Issue 16: `predict` reads a new file of every source kind `load` reads (RetailRocket events, the
/// processed layout, KuaiRand logs; `load csv` is ExportTests'). Scoring the loaded file itself must
/// give every row exactly what `export predictions` gave it in its split.
@Suite(.serialized) struct PredictSourceTests {
    static let folder = CLI.temporaryFolder("predict-sources")

    /// Trains a small ESMM after `load`, exports the three splits to `out-{train,val,test}.csv`, then
    /// runs `after`.
    static func run(load: String, out: String, after: String) -> CapturedSession {
        let c = CapturedSession()
        c.session.run(source: """
            seed 5
            threads 2
            \(load)
            actor esmm embed=4 bottom=[8] tower=[4]
            train actor epochs=1 batch=64
            export predictions "\(out)-train.csv" split=train
            export predictions "\(out)-val.csv" split=val
            export predictions "\(out)-test.csv" split=test
            \(after)
            """, file: "t.rmtl", mode: .run)
        return c
    }

    /// Rows of a CSV keyed by the values of `keys`, each row as column → value.
    static func keyedRows(_ paths: [String], keys: [String]) throws -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        for path in paths {
            let (header, rows) = try ExportTests.readCSV(path)
            for row in rows {
                let named = Dictionary(uniqueKeysWithValues: zip(header, row))
                let key = keys.map { named[$0] ?? "?" }.joined(separator: "|")
                #expect(result[key] == nil, "key \(key) twice")
                result[key] = named
            }
        }
        return result
    }

    /// Every row of `scored` has the exported row of the same keys, with the same value in every
    /// column the two files share (raw features, keys, sessions, labels; predictions to 1e-6, since a row
    /// can round differently in the last bit at another position in a batch); `rows` rows in all.
    static func expectSameAsExported(_ scored: String, exported: [String], keys: [String], rows: Int) throws {
        let want = try keyedRows(exported, keys: keys)
        let got = try keyedRows([scored], keys: keys)
        #expect(got.count == rows && want.count == rows, "\(got.count) scored, \(want.count) exported, \(rows) expected")
        var compared = 0
        for (key, row) in got {
            let exportedRow = try #require(want[key], "scored row \(key) is not among the exported rows")
            for (column, value) in row where exportedRow[column] != nil {
                if column.hasSuffix("_pred") {
                    let difference = abs(try #require(Double(value)) - (try #require(Double(exportedRow[column]!))))
                    #expect(difference <= 1e-6, "\(key) \(column): predict \(value), export \(exportedRow[column]!)")
                    compared += 1
                } else {
                    #expect(exportedRow[column] == value, "\(key) \(column): predict \(value), export \(exportedRow[column]!)")
                }
            }
        }
        #expect(compared == 2 * rows)
    }

    /// `path` without the columns `dropping` (a plain comma split: the files have no quoted fields).
    static func copy(_ path: String, to target: String, dropping: [String]) throws {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let keep = lines[0].indices.filter { !dropping.contains(String(lines[0][$0])) }
        try (lines.map { line in keep.map { String(line[$0]) }.joined(separator: ",") }.joined(separator: "\n") + "\n")
            .write(toFile: target, atomically: true, encoding: .utf8)
    }

    @Test func retailRocketEventsScoreAsTheirSplitRows() throws {
        let data = "\(Self.folder)/rr", out = "\(Self.folder)/rr-export"
        let scored = "\(Self.folder)/rr-scores.csv", unlabeled = "\(Self.folder)/rr-scores-views.csv"
        // the events without event kinds (every row a view), and without itemid
        let generate = CapturedSession()
        generate.session.run(source: "generate retailrocket \"\(data)\" events=4k seed=3\n", file: "g.rmtl", mode: .run)
        #expect(generate.diagnostics.isEmpty, "\(generate.diagnostics)")
        try Self.copy("\(data)/events.csv", to: "\(Self.folder)/views.csv", dropping: ["event", "transactionid"])
        try Self.copy("\(data)/events.csv", to: "\(Self.folder)/no-item.csv", dropping: ["itemid"])
        let c = Self.run(load: """
            load retailrocket "\(data)"
            sessionize gap=2m
            split time 0.6 0.2 0.2
            """, out: out, after: """
            predict "\(data)/events.csv" to "\(scored)"
            predict "\(Self.folder)/views.csv" to "\(unlabeled)"
            predict "\(Self.folder)/no-item.csv" to "\(Self.folder)/never.csv"
            """)
        let splits = ["train", "val", "test"].map { "\(out)-\($0).csv" }
        let keys = ["visitorid", "itemid", "time"]
        let rows = try Self.keyedRows(splits, keys: keys).count
        #expect(rows > 500)
        // one row per (session, item), sessions cut as at load (2 minutes: more sessions than the default 30
        // minutes, which 10 would not give on this data), features as of first touch, labels as in training
        try Self.expectSameAsExported(scored, exported: splits, keys: keys, rows: rows)
        let header = try ExportTests.readCSV(scored).header
        #expect(header.prefix(4) == ["session", "visitorid", "itemid", "time"] && header.contains("ctcvr_label"), "\(header)")
        #expect(c.stdout.contains { $0.contains("values not seen in training") }, "\(c.stdout)")
        // without the event column: the same rows and scores, no labels
        try Self.expectSameAsExported(unlabeled, exported: splits, keys: keys, rows: rows)
        #expect(!(try ExportTests.readCSV(unlabeled).header.contains { $0.hasSuffix("_label") }))
        let text = c.diagnostics.joined(separator: "\n")
        #expect(text.contains("\(Self.folder)/no-item.csv:1:1: no column 'itemid' in the header"), "\(text)")
        #expect(c.diagnostics.count == 1, "\(text)")
        #expect(!FileManager.default.fileExists(atPath: "\(Self.folder)/never.csv"))
    }

    /// The authors' processed layout: 60 items (10 of them only in validation and test rows, 3 rows
    /// with an item missing from item_feadf.csv), visitor sessions, unique times.
    static func writeProcessed(_ dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var features = ["itemid,785,591,814,available,categoryid,364,776"]
        for item in 0..<60 { features.append("\(item),\(item % 7),\(item % 5),\(item % 3),\(item % 2),\(100 + item % 11),\(item),\(item * 3)") }
        try (features.joined(separator: "\n") + "\n").write(toFile: "\(dir)/item_feadf.csv", atomically: true, encoding: .utf8)
        var state: UInt64 = 11
        func next(_ n: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) % n }
        var time = 1_600_000_000
        for (file, rows, items) in [("train.csv", 700, 50), ("val.csv", 200, 60), ("test.csv", 200, 60)] {
            var lines = ["timestamp,visitorid,itemid,click,pay"]
            for r in 0..<rows {
                time += 1 + next(50)
                let item = r % 97 == 5 ? 999 : next(items)  // 999: not in item_feadf.csv
                let click = item % 4 == 0 || next(5) == 0 ? 1 : 0
                lines.append("\(time),\(file.prefix(2))\(next(80)),\(item),\(click),\(click == 1 && next(3) == 0 ? 1 : 0)")
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: "\(dir)/\(file)", atomically: true, encoding: .utf8)
        }
    }

    @Test func processedLayoutRowsScoreAsTheirSplitRows() throws {
        let data = "\(Self.folder)/rt", out = "\(Self.folder)/rt-export"
        try Self.writeProcessed(data)
        try Self.copy("\(data)/test.csv", to: "\(Self.folder)/rt-unlabeled.csv", dropping: ["click", "pay"])
        let c = Self.run(load: "load rmtl \"\(data)\"", out: out, after: """
            predict "\(data)/train.csv" to "\(Self.folder)/rt-train-scores.csv"
            predict "\(Self.folder)/rt-unlabeled.csv" to "\(Self.folder)/rt-unlabeled-scores.csv"
            """)
        #expect(c.diagnostics.isEmpty, "\(c.diagnostics)")
        let keys = ["visitorid", "itemid", "time"]
        let train = try ExportTests.readCSV("\(out)-train.csv").rows.count
        try Self.expectSameAsExported("\(Self.folder)/rt-train-scores.csv", exported: ["\(out)-train.csv"], keys: keys, rows: train)
        // selection=test (the authors' code): test.csv is the validation split
        let validation = try ExportTests.readCSV("\(out)-val.csv").rows.count
        try Self.expectSameAsExported("\(Self.folder)/rt-unlabeled-scores.csv", exported: ["\(out)-val.csv"], keys: keys, rows: validation)
        #expect(c.stdout.contains { $0.contains("rows left out as at load") && $0.contains("itemid missing from item_feadf.csv") }, "\(c.stdout)")
        #expect(c.stdout.contains { $0.contains("values not seen in training") }, "\(c.stdout)")
        #expect(c.stdout.contains("no label columns in \(Self.folder)/rt-unlabeled.csv: predictions only"), "\(c.stdout)")
    }

    /// The real KuaiRand-Pure feature tables (shared/data/kuairand beside the repository).
    static let realKuaiRand = Fixtures.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/kuairand").path

    @Test func kuaiRandLogRowsScoreAsTheirSplitRows() throws {
        let data = "\(Self.folder)/kuairand", out = "\(Self.folder)/kr-export"
        try #require(FileManager.default.fileExists(atPath: "\(Self.realKuaiRand)/user_features_pure.csv"), "missing \(Self.realKuaiRand)")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for name in ["user_features_pure.csv", "video_features_basic_pure.csv"] where !FileManager.default.fileExists(atPath: "\(data)/\(name)") {
            try FileManager.default.createSymbolicLink(atPath: "\(data)/\(name)", withDestinationPath: "\(Self.realKuaiRand)/\(name)")
        }
        var state: UInt64 = 5
        func next(_ n: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) % n }
        var log = ["user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,is_hate,long_view,"
            + "play_time_ms,duration_ms,profile_stay_time,comment_stay_time,is_profile_enter,is_rand,tab"]
        var time: Int64 = 1_649_400_000_000
        for r in 0..<1500 {
            time += Int64(1000 + next(600_000))
            let user = r == 700 ? 99_999 : next(60) * 7  // user 99999 has no feature row
            let video = next(300), click = video % 5 == 0 || next(4) == 0 ? 1 : 0
            log.append("\(user),\(video),20220408,1200,\(time),\(click),0,0,0,0,0,\(click == 1 && next(2) == 0 ? 1 : 0),1000,30000,0,0,0,0,\(next(4))")
        }
        let logPath = "\(data)/log_standard_4_08_to_4_21_1k.csv"
        try (log.joined(separator: "\n") + "\n").write(toFile: logPath, atomically: true, encoding: .utf8)
        try Self.copy(logPath, to: "\(Self.folder)/kr-unlabeled.csv", dropping: ["is_click", "long_view"])
        try Self.copy(logPath, to: "\(Self.folder)/kr-no-tab.csv", dropping: ["tab"])
        let c = Self.run(load: "load kuairand \"\(data)\"\nsplit time 0.6 0.2 0.2", out: out, after: """
            predict "\(logPath)" to "\(Self.folder)/kr-scores.csv"
            predict "\(Self.folder)/kr-unlabeled.csv" to "\(Self.folder)/kr-unlabeled-scores.csv"
            predict "\(Self.folder)/kr-no-tab.csv" to "\(Self.folder)/never.csv"
            """)
        let splits = ["train", "val", "test"].map { "\(out)-\($0).csv" }
        let keys = ["user_id", "video_id", "time"]
        try Self.expectSameAsExported("\(Self.folder)/kr-scores.csv", exported: splits, keys: keys, rows: 1499)
        try Self.expectSameAsExported("\(Self.folder)/kr-unlabeled-scores.csv", exported: splits, keys: keys, rows: 1499)
        #expect(try ExportTests.readCSV("\(Self.folder)/kr-scores.csv").header.contains("ctcvr_label"))
        #expect(c.stdout.contains { $0.contains("rows left out as at load: 1 (user_id missing from user_features_pure.csv)") }, "\(c.stdout)")
        let text = c.diagnostics.joined(separator: "\n")
        #expect(text.contains("\(Self.folder)/kr-no-tab.csv:1:1: no categorical column 'tab' in the log, user or video tables"), "\(text)")
        #expect(c.diagnostics.count == 1, "\(text)")
    }
}

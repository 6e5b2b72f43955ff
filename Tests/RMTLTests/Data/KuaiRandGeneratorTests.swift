import Foundation
import RMTL
import Testing

/// `generate kuairand` (issue 15 item 5): the real files' names and columns, the asked sizes, and
/// `load kuairand` / `load csv` reading what it writes.
@Suite struct KuaiRandGeneratorTests {
    static let files = SyntheticKuaiRand.standardLogs + [SyntheticKuaiRand.randomLog, "user_features_1k.csv", "video_features_basic_1k.csv"]

    func header(_ path: String) throws -> [String] { try CSVHeader(reading: CSVReader(path: path)).names }

    @Test func realColumnsAndSizes() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        try SyntheticKuaiRand.write(to: folder.path, rows: 20_000, users: 40, videos: 5_000, seed: 3)
        // The feature tables have exactly the real tables' columns (the shared KuaiRand-Pure tables).
        let real = sharedKuaiRandFolder()
        #expect(try header(folder.path + "/user_features_1k.csv") == header(real + "/user_features_pure.csv"))
        #expect(try header(folder.path + "/video_features_basic_1k.csv") == header(real + "/video_features_basic_pure.csv"))
        for log in Self.files.prefix(3) {
            #expect(try header(folder.path + "/" + log).joined(separator: ",") + "\n" == kuaiRandLogHeader)
        }
        // Every standard row, user and video is there; each log is sorted by user, then time.
        var rows = 0, users = Set<Int64>(), videos = Set<Int64>(), clicks = 0, longViews = 0
        for log in SyntheticKuaiRand.standardLogs {
            let reader = try CSVReader(path: folder.path + "/" + log)
            _ = try CSVHeader(reading: reader)
            var previous: (Int64, Int64) = (-1, 0)
            while try reader.nextRecord() {
                try reader.requireFieldCount(19)
                let key = (try reader.int64(0, column: "user_id"), try reader.int64(4, column: "time_ms"))
                #expect(key >= previous)
                previous = key
                users.insert(key.0)
                videos.insert(try reader.int64(1, column: "video_id"))
                clicks += Int(try reader.label(5, column: "is_click"))
                longViews += Int(try reader.label(11, column: "long_view"))
                rows += 1
            }
        }
        #expect(rows == 20_000 && users.count == 40 && videos.count == 5_000)
        #expect((0.2...0.45).contains(Double(clicks) / Double(rows)), "click rate \(Double(clicks) / Double(rows))")
        #expect((0.1...0.5).contains(Double(longViews) / Double(rows)), "long-view rate \(Double(longViews) / Double(rows))")
    }

    @Test func loadsAsKuaiRandAndAsCSVDeterministically() throws {
        let a = TemporaryFolder("a"), b = TemporaryFolder("b")
        defer { [a, b].forEach { $0.cleanup() } }
        try SyntheticKuaiRand.write(to: a.path, rows: 6_000, users: 30, videos: 2_000, seed: 9)
        try SyntheticKuaiRand.write(to: b.path, rows: 6_000, users: 30, videos: 2_000, seed: 9)
        for file in Self.files {
            let x = try Data(contentsOf: URL(fileURLWithPath: a.path + "/" + file))
            #expect(x == (try Data(contentsOf: URL(fileURLWithPath: b.path + "/" + file))), "\(file)")
        }
        // load kuairand: the default fields, every row joined (no user or video missing), ~30% clicks.
        var pipeline = try DataPipeline.loadKuaiRand(directory: a.path, cache: .disabled)
        #expect(pipeline.source.rowCount == 6_000 && pipeline.source.dropped.isEmpty)
        #expect(pipeline.source.categoricalNames == KuaiRandLoadOptions.defaultUserFields + KuaiRandLoadOptions.defaultVideoFields)
        try pipeline.sessionize(gapMilliseconds: 30 * 60_000)
        let splits = try pipeline.split(.time(train: 0.6, validation: 0.2, test: 0.2, wholeSessions: false))
        #expect(splits.train.rowCount + splits.validation.rowCount + splits.test.rowCount == 6_000)
        // load csv of one log with video_id as a field: one id per training video, plus the unseen id.
        let options = CSVLoadOptions(
            categorical: ["user_id", "video_id", "tab"], numeric: ["duration_ms"],
            labels: [.init(task: "ctr", column: "is_click"), .init(task: "ctcvr", column: "long_view")],
            user: "user_id", time: "time_ms")
        var csv = try DataPipeline.loadCSV(path: a.path + "/" + SyntheticKuaiRand.standardLogs[0], options: options, cache: .disabled)
        try csv.sessionize(gapMilliseconds: 30 * 60_000)
        let csvSplits = try csv.split(.time(train: 0.6, validation: 0.2, test: 0.2, wholeSessions: false))
        let trainVideos = Set(csvSplits.train.categorical[1]).count
        #expect(csvSplits.train.cardinalities[1] == trainVideos + 1)
        #expect(trainVideos > 500)
    }
}

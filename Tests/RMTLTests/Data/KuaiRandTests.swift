import Foundation
import RMTL
import Testing

let kuaiRandLogHeader = "user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,"
    + "is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,comment_stay_time,is_profile_enter,is_rand,tab\n"

/// A log row in the 1K schema.
func kuaiRandLogRow(user: Int, video: Int, time: Int64, click: Int, longView: Int, tab: Int = 1) -> String {
    "\(user),\(video),20220408,1200,\(time),\(click),0,0,0,0,0,\(longView),1000,30000,0,0,0,0,\(tab)\n"
}

@Suite struct DataKuaiRandTests {
    /// The real KuaiRand-Pure feature tables beside the repository. Their absence is a failure, not a skip.
    func realFolder() throws -> String {
        let folder = sharedKuaiRandFolder()
        try #require(
            FileManager.default.fileExists(atPath: folder + "/user_features_pure.csv"),
            "the real KuaiRand rows are missing: expected \(folder) (shared/ beside the repository clone)")
        return folder
    }

    /// A temporary KuaiRand folder: a small log in the 1K schema plus links to the real feature tables.
    func makeFolder(_ rows: [String]) throws -> TemporaryFolder {
        let real = try realFolder()
        let folder = TemporaryFolder()
        folder.write("log_standard_4_08_to_4_21_1k.csv", kuaiRandLogHeader + rows.joined())
        for name in ["user_features_pure.csv", "video_features_basic_pure.csv"] {
            try FileManager.default.createSymbolicLink(atPath: folder.path + "/" + name, withDestinationPath: real + "/" + name)
        }
        return folder
    }

    @Test func realFeatureTablesParseCompletely() throws {
        let folder = try realFolder()
        for (file, rows) in [("user_features_pure.csv", 27285), ("video_features_basic_pure.csv", 7583), ("kuairand1k_joined_sample.csv", 200)] {
            let reader = try CSVReader(path: folder + "/" + file)
            let header = try CSVHeader(reading: reader)
            var count = 0
            while try reader.nextRecord() {
                try reader.requireFieldCount(header.names.count)
                count += 1
            }
            #expect(count == rows, "\(file)")
        }
    }

    @Test func joinsLogWithRealFeatures() throws {
        // Users 0, 1 (is_live_streamer -124), 4; videos 5 (tag "20,43"), 7 (empty video_duration), 8 (AD).
        // Times out of order; user 99999 is not in the user table.
        let folder = try makeFolder([
            kuaiRandLogRow(user: 0, video: 5, time: 1_649_400_000_000, click: 1, longView: 1),
            kuaiRandLogRow(user: 1, video: 7, time: 1_649_390_000_000, click: 0, longView: 0, tab: 4),
            kuaiRandLogRow(user: 4, video: 8, time: 1_649_410_000_000, click: 1, longView: 0),
            kuaiRandLogRow(user: 99999, video: 5, time: 1_649_410_000_001, click: 1, longView: 0),
            kuaiRandLogRow(user: 0, video: 7, time: 1_649_400_060_000, click: 0, longView: 1),
        ])
        defer { folder.cleanup() }
        let options = KuaiRandLoadOptions(numeric: ["video_duration", "follow_user_num"])
        var p = try DataPipeline.loadKuaiRand(directory: folder.path, options: options, cache: .disabled)
        let t = p.source
        #expect(t.rowCount == 4)
        #expect(t.dropped == [DroppedRows(reason: "user_id missing from user_features_pure.csv", count: 1)])
        #expect(t.taskNames == ["ctr", "ctcvr"])
        #expect(t.labels[0] == [1, 0, 1, 0])
        #expect(t.labels[1] == [1, 0, 0, 1])
        func token(_ name: String, _ row: Int) -> String {
            let f = t.categoricalNames.firstIndex(of: name)!  // safe: a default field
            return t.vocabularies[f].string(Int(t.categorical[f][row]))
        }
        #expect(token("tag", 0) == "20,43")
        #expect(token("fans_user_num_range", 0) == "[100,1k)")
        #expect(token("is_live_streamer", 1) == "-124")
        #expect(token("video_type", 2) == "AD")
        #expect(token("tab", 1) == "4")
        #expect(token("user_active_degree", 0) == "full_active")
        #expect(t.numeric[0][1] == 0)  // video 7: empty duration → 0
        #expect(t.numeric[0][0] == 358_016)
        #expect(t.numeric[1][0] == 514)
        try p.sessionize(gapMilliseconds: 30 * 60_000)
        // In time order: user 1, user 0 (two rows 60 s apart: one session), user 4.
        #expect(p.table.sessions == [0, 1, 1, 2])
        let splits = try p.split(.time(train: 0.5, validation: 0.25, test: 0.25, wholeSessions: false))
        #expect(splits.train.rowCount == 2 && splits.validation.rowCount == 1 && splits.test.rowCount == 1)
        #expect(splits.train.numericNames == ["video_duration", "follow_user_num"])
        #expect(p.summary.description.contains("empty or -124 numeric values read as 0"))
    }

    @Test func namingErrors() throws {
        let folder = try makeFolder([kuaiRandLogRow(user: 0, video: 5, time: 1, click: 1, longView: 1)])
        defer { folder.cleanup() }
        var o = KuaiRandLoadOptions(categorical: ["user_active_degre"])
        expectDataError("no categorical column 'user_active_degre'", hint: "did you mean 'user_active_degree'?") {
            _ = try KuaiRandReader.read(directory: folder.path, options: o)
        }
        o = KuaiRandLoadOptions(categorical: ["tab", "is_click"])
        expectDataError("label column 'is_click' is also listed as a feature") {
            _ = try KuaiRandReader.read(directory: folder.path, options: o)
        }
        o = KuaiRandLoadOptions(labels: [.init(task: "ctr", column: "is_clik")])
        expectDataError("no label column 'is_clik'", hint: "did you mean 'is_click'?") {
            _ = try KuaiRandReader.read(directory: folder.path, options: o)
        }
        o = KuaiRandLoadOptions(labels: [.init(task: "ctr", column: "play_time_ms")])
        expectDataError("label column 'play_time_ms' must hold 0 or 1, found '1000'", line: 2) {
            _ = try KuaiRandReader.read(directory: folder.path, options: o)
        }
        let empty = TemporaryFolder()
        defer { empty.cleanup() }
        expectDataError("no KuaiRand log files") { _ = try KuaiRandReader.read(directory: empty.path, options: .init()) }
    }

    @Test func joinedSampleThroughGenericCSV() throws {
        let folder = try realFolder()
        let options = CSVLoadOptions(
            categorical: ["user_active_degree", "is_live_streamer", "fans_user_num_range", "video_type", "tab"],
            numeric: ["play_time_ms", "duration_ms", "server_width"],
            labels: [.init(task: "ctr", column: "is_click")], user: "user_id")
        var p = try DataPipeline.loadCSV(path: folder + "/kuairand1k_joined_sample.csv", options: options, cache: .disabled)
        #expect(p.source.rowCount == 200)
        let splits = try p.split(.paper)
        #expect(splits.train.rowCount + splits.validation.rowCount + splits.test.rowCount == 200)
        #expect(splits.train.numeric[2].allSatisfy { $0 > 0 })
    }
}

import Foundation

/// Options for the raw KuaiRand-1K files (data-formats.md §3).
public struct KuaiRandLoadOptions: Sendable, Equatable {
    /// Interaction logs to read, by file name. Empty: every `log_standard_*.csv` in the folder (sorted by
    /// name), plus `log_random_*.csv` when `includeRandom`.
    public var logs: [String]
    public var includeRandom: Bool
    /// User and video feature tables. nil: `user_features_1k.csv` / `video_features_basic_1k.csv`, or the
    /// `_pure` tables when the 1K ones are absent.
    public var userFeatures: String?
    public var videoFeatures: String?
    /// Categorical fields; each is looked up in the log, then the user table, then the video table.
    public var categorical: [String]
    /// Numeric fields (same lookup). Empty values and the `-124` missing marker read as 0 (counted).
    public var numeric: [String]
    /// Tasks and their 0/1 log columns. Default: ctr = is_click, ctcvr = long_view.
    public var labels: [CSVLoadOptions.Label]

    /// User-side fields: the id, activity, flags and bucketed counts. The 18 anonymous `onehot_feat*`
    /// columns are left out by default (they would double the row width of an 11.7M-row table); name them
    /// in `categorical` to use them.
    public static let defaultUserFields = ["user_id", "user_active_degree", "is_lowactive_period", "is_live_streamer",
        "is_video_author", "follow_user_num_range", "fans_user_num_range", "friend_user_num_range",
        "register_days_range"]
    /// Video-side and context fields (no video_id: 4.4M ids would dwarf everything else). `tag` is kept
    /// whole as one token (e.g. "20,43").
    public static let defaultVideoFields = ["video_type", "upload_type", "visible_status", "music_type", "tag", "tab"]

    public init(
        logs: [String] = [], includeRandom: Bool = false, userFeatures: String? = nil, videoFeatures: String? = nil,
        categorical: [String] = KuaiRandLoadOptions.defaultUserFields + KuaiRandLoadOptions.defaultVideoFields,
        numeric: [String] = [],
        labels: [CSVLoadOptions.Label] = [.init(task: "ctr", column: "is_click"), .init(task: "ctcvr", column: "long_view")]
    ) {
        self.logs = logs
        self.includeRandom = includeRandom
        self.userFeatures = userFeatures
        self.videoFeatures = videoFeatures
        self.categorical = categorical
        self.numeric = numeric
        self.labels = labels
    }

    /// `keys=`: caches written before the video_id key column existed are not served.
    var fingerprint: String {
        "keys=user_id,video_id logs=\(logs) random=\(includeRandom) user=\(userFeatures ?? "") video=\(videoFeatures ?? "") cat=\(categorical) "
            + "num=\(numeric) labels=\(labels.map { "\($0.task)=\($0.column)" })"
    }
}

/// Reads KuaiRand logs joined with the user and basic video feature tables.
///
/// One row per log row, user = `user_id`, time = `time_ms`; sessions are cut later (default: 30-minute
/// gap per user). Feature-table rows with a repeated id are ignored (first kept). A log row whose user or
/// video is missing from its feature table is dropped and counted.
///
/// `logFile` (scoring new data, `predict`) reads that one log, in the log layout, with the folder's
/// feature tables; without `labelsRequired` its label columns may be missing (those label columns are
/// then empty).
public enum KuaiRandReader {
    struct Files {
        var logs: [String]
        var user: String
        var video: String
    }

    static func files(directory: String, options: KuaiRandLoadOptions, logFile: String? = nil) throws -> Files {
        let manager = FileManager.default
        let names = ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        guard manager.fileExists(atPath: directory) else {
            throw DataError(file: directory, message: "no such folder", hint: "download KuaiRand-1K from kuairand.com")
        }
        var logs = options.logs
        if logFile != nil {
            logs = []
        } else if logs.isEmpty {
            logs = names.filter { $0.hasPrefix("log_standard_") && $0.hasSuffix(".csv") }
            if options.includeRandom { logs += names.filter { $0.hasPrefix("log_random_") && $0.hasSuffix(".csv") } }
        }
        guard !logs.isEmpty || logFile != nil else {
            throw DataError(
                file: directory, message: "no KuaiRand log files (log_standard_*.csv) in the folder",
                hint: "expected log_standard_4_08_to_4_21_1k.csv and log_standard_4_22_to_5_08_1k.csv")
        }
        func pick(_ given: String?, _ candidates: [String]) -> String {
            if let given { return directory + "/" + given }
            return directory + "/" + (candidates.first { names.contains($0) } ?? candidates[0])
        }
        return Files(
            logs: logFile.map { [$0] } ?? logs.map { directory + "/" + $0 },
            user: pick(options.userFeatures, ["user_features_1k.csv", "user_features_pure.csv"]),
            video: pick(options.videoFeatures, ["video_features_basic_1k.csv", "video_features_basic_pure.csv"]))
    }

    /// The files a load reads (for the cache key).
    static func sourceFiles(directory: String, options: KuaiRandLoadOptions) throws -> [String] {
        let f = try files(directory: directory, options: options)
        return f.logs + [f.user, f.video]
    }

    /// Where one feature comes from.
    enum Origin { case log(Int), user(Int), video(Int) }

    public static func read(
        directory: String, options o: KuaiRandLoadOptions, logFile: String? = nil, labelsRequired: Bool = true
    ) throws -> InteractionTable {
        let f = try files(directory: directory, options: o, logFile: logFile)
        // Headers first, so every naming error comes before any long read.
        let userReader = try CSVReader(path: f.user)
        let userHeader = try CSVHeader(reading: userReader)
        let videoReader = try CSVReader(path: f.video)
        let videoHeader = try CSVHeader(reading: videoReader)
        let logReaders = try f.logs.map { try CSVReader(path: $0) }
        let logHeaders = try logReaders.map { try CSVHeader(reading: $0) }
        let logHeader = logHeaders[0]
        for (k, h) in logHeaders.enumerated() where h.names != logHeader.names {
            throw DataError(file: f.logs[k], line: h.line, column: 1, message: "its columns differ from \(f.logs[0])")
        }
        for label in o.labels where o.categorical.contains(label.column) || o.numeric.contains(label.column) {
            throw DataError(
                file: f.logs[0],
                message: "label column '\(label.column)' is also listed as a feature (the model would see the answer)",
                hint: "remove '\(label.column)' from the feature list")
        }
        let allNames = logHeader.names + userHeader.names.filter { $0 != "user_id" } + videoHeader.names.filter { $0 != "video_id" }
        func origin(_ name: String, role: String) throws -> Origin {
            if let i = logHeader.names.firstIndex(of: name) { return .log(i) }
            if let i = userHeader.names.firstIndex(of: name) { return .user(i) }
            if let i = videoHeader.names.firstIndex(of: name) { return .video(i) }
            // a new log to score is one file: point at its header
            throw DataError(
                file: logFile ?? directory, line: logFile == nil ? 0 : logHeader.line, column: logFile == nil ? 0 : 1,
                message: "no \(role) '\(name)' in the log, user or video tables",
                hint: unknownColumnHint(name, columns: allNames))
        }
        let catOrigins = try o.categorical.map { try origin($0, role: "categorical column") }
        let numOrigins = try o.numeric.map { try origin($0, role: "numeric column") }
        let labelIndex = try o.labels.map { try logHeader.index(of: $0.column, role: "label column", required: labelsRequired) }
        let userIndex = try logHeader.index(of: "user_id"), videoIndex = try logHeader.index(of: "video_id")
        let timeIndex = try logHeader.index(of: "time_ms")

        // MARK: logs
        let interners = o.categorical.map { _ in TokenInterner() }
        var users = KeyInterner(expectedCount: 4096), videos = KeyInterner(expectedCount: 1 << 16)
        var rowUser: [Int32] = [], rowVideo: [Int32] = [], times: [Int64] = []
        var labels = o.labels.map { _ in [UInt8]() }
        var logCats = o.categorical.map { _ in [Int32]() }  // only filled for log-origin fields
        var numeric = o.numeric.map { _ in [Float]() }
        var missingNumeric = 0
        let logCatFields = catOrigins.enumerated().compactMap { k, origin -> (Int, Int)? in
            if case .log(let i) = origin { return (k, i) } else { return nil }
        }
        let logNumFields = numOrigins.enumerated().compactMap { k, origin -> (Int, Int)? in
            if case .log(let i) = origin { return (k, i) } else { return nil }
        }
        for (reader, header) in zip(logReaders, logHeaders) {
            while try reader.nextRecord() {
                try reader.requireFieldCount(header.names.count)
                rowUser.append(users.intern(try reader.int64(userIndex, column: "user_id")))
                rowVideo.append(videos.intern(try reader.int64(videoIndex, column: "video_id")))
                times.append(try reader.int64(timeIndex, column: "time_ms"))
                for (k, i) in labelIndex.enumerated() {
                    if let i { labels[k].append(try reader.label(i, column: o.labels[k].column)) }
                }
                for (k, i) in logCatFields { logCats[k].append(interners[k].intern(reader.field(i))) }
                for (k, i) in logNumFields { numeric[k].append(try numericValue(reader, i, o.numeric[k], &missingNumeric)) }
            }
        }

        // MARK: feature tables (only the ids the logs touch)
        func readTable(
            _ reader: CSVReader, _ header: CSVHeader, idColumn: String, keys: KeyInterner,
            pick: (Origin) -> Int?
        ) throws -> (cats: [[Int32]], nums: [[Float]], seen: [Bool]) {
            let idIndex = try header.index(of: idColumn)
            var cats = o.categorical.map { _ in [Int32](repeating: -1, count: keys.count) }
            var nums = o.numeric.map { _ in [Float](repeating: .nan, count: keys.count) }
            let catColumns = catOrigins.map(pick), numColumns = numOrigins.map(pick)
            var seen = [Bool](repeating: false, count: keys.count)
            while try reader.nextRecord() {
                try reader.requireFieldCount(header.names.count)
                guard let row = keys.id(of: try reader.int64(idIndex, column: idColumn)).map(Int.init), !seen[row] else { continue }
                seen[row] = true
                for (k, c) in catColumns.enumerated() { if let c { cats[k][row] = interners[k].intern(reader.field(c)) } }
                for (k, c) in numColumns.enumerated() {
                    if let c { nums[k][row] = try numericValue(reader, c, o.numeric[k], &missingNumeric) }
                }
            }
            return (cats, nums, seen)
        }
        let userTable = try readTable(userReader, userHeader, idColumn: "user_id", keys: users) {
            if case .user(let i) = $0 { return i } else { return nil }
        }
        let videoTable = try readTable(videoReader, videoHeader, idColumn: "video_id", keys: videos) {
            if case .video(let i) = $0 { return i } else { return nil }
        }

        // MARK: join
        var table = InteractionTable(
            name: directory, categoricalNames: o.categorical, categorical: o.categorical.map { _ in [] },
            numericNames: o.numeric, numeric: o.numeric.map { _ in [] }, taskNames: o.labels.map(\.task),
            labels: o.labels.map { _ in [] })
        let hasUserFields = catOrigins.contains { if case .user = $0 { true } else { false } }
            || numOrigins.contains { if case .user = $0 { true } else { false } }
        let hasVideoFields = catOrigins.contains { if case .video = $0 { true } else { false } }
            || numOrigins.contains { if case .video = $0 { true } else { false } }
        // A log row needs its user (video) in the feature table only when a field comes from that table.
        let userKnown = hasUserFields ? userTable.seen : [Bool](repeating: true, count: users.count)
        let videoKnown = hasVideoFields ? videoTable.seen : [Bool](repeating: true, count: videos.count)
        var droppedUser = 0, droppedVideo = 0
        var kept: [Int] = []
        kept.reserveCapacity(times.count)
        for r in 0..<times.count {
            if !userKnown[Int(rowUser[r])] { droppedUser += 1; continue }
            if !videoKnown[Int(rowVideo[r])] { droppedVideo += 1; continue }
            kept.append(r)
        }
        let userRows = kept.map { Int(rowUser[$0]) }, videoRows = kept.map { Int(rowVideo[$0]) }
        for (k, origin) in catOrigins.enumerated() {
            switch origin {
            case .log: table.categorical[k] = gather(logCats[k], kept)
            case .user: table.categorical[k] = gather(userTable.cats[k], userRows)
            case .video: table.categorical[k] = gather(videoTable.cats[k], videoRows)
            }
        }
        for (k, origin) in numOrigins.enumerated() {
            switch origin {
            case .log: table.numeric[k] = gather(numeric[k], kept)
            case .user: table.numeric[k] = gather(userTable.nums[k], userRows)
            case .video: table.numeric[k] = gather(videoTable.nums[k], videoRows)
            }
        }
        table.labels = labels.map { $0.isEmpty ? [] : gather($0, kept) }
        table.users = gather(rowUser, kept)
        table.items = gather(rowVideo, kept)
        table.timestamps = gather(times, kept)
        table.vocabularies = interners.map { $0.frozen() }
        // video_id as a key: the raw video ids of per-row exports (`export predictions`, `predict`)
        table.keyColumnNames = ["user_id", "video_id"]
        table.keyColumns = [table.users, table.items]
        table.keyVocabularies = [RetailRocketReader.numericTokens(users.keys), RetailRocketReader.numericTokens(videos.keys)]
        table.dropped.add("user_id missing from \((f.user as NSString).lastPathComponent)", droppedUser)
        table.dropped.add("video_id missing from \((f.video as NSString).lastPathComponent)", droppedVideo)
        guard table.rowCount > 0 else {
            throw DataError(file: directory, message: "no log rows left after joining the feature tables")
        }
        table.notes.append("logs: \(f.logs.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))")
        table.notes.append("labels: \(o.labels.map { "\($0.task) = \($0.column)" }.joined(separator: ", "))")
        if missingNumeric > 0 { table.notes.append("\(missingNumeric) empty or -124 numeric values read as 0") }
        return table
    }

    /// A numeric feature: empty and the `-124` marker are missing (0, counted); anything else must parse.
    static func numericValue(_ reader: CSVReader, _ i: Int, _ name: String, _ missing: inout Int) throws -> Float {
        if reader.isEmpty(i) {
            missing += 1
            return 0
        }
        let v = try reader.float(i, column: name)
        if v == -124 {
            missing += 1
            return 0
        }
        return v
    }
}

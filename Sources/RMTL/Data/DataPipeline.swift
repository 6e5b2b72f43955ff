/// The data commands of a script, one function per command (language.md):
///
/// ```
/// load retailrocket "dir"            → DataPipeline.loadRetailRocket(directory:options:cache:)
/// load rmtl "dir"                    → DataPipeline.loadProcessed(directory:options:cache:)
/// load kuairand "dir"                → DataPipeline.loadKuaiRand(directory:options:cache:)
/// load csv "file" cat=[..] num=[..] labels=[ctr=is_click] session=user_id time=time_ms sep=tab
///                                    → DataPipeline.loadCSV(path:options:cache:)
/// sessionize gap=30m                 → pipeline.sessionize(gapMilliseconds:)
/// sessionize by=visitorid            → pipeline.sessionize(byColumn:)
/// split time 0.6 0.2 0.2 [whole_sessions=true] | split by=column | split preset
///                                    → pipeline.split(_:)  (returns DatasetSplits)
/// ```
/// Every step updates `summary`, which the caller prints. `sessionize` always starts again from the
/// loaded table, so calling it twice does not cut twice.
///
/// Defaults when a step is skipped: `split` on data without sessions first sessionizes (RetailRocket and
/// KuaiRand: per user with a 30-minute gap; CSV: by its session column, or one session per row). A
/// table loaded with a session column is put in time order and its sessions numbered by first row.
public struct DataPipeline: Sendable {
    /// The table as loaded (for RetailRocket: one row per event).
    public private(set) var source: InteractionTable
    /// The table after sessionizing (rows in time order; RetailRocket collapsed per session and item).
    public private(set) var table: InteractionTable
    public private(set) var isSessionized = false
    /// How categorical values are encoded at `split` (RetailRocket and the processed layout default to the
    /// authors' tail merge of `776` and `364`).
    public var encoderOptions: EncoderOptions
    /// Encoders and splits of the last `split`.
    public private(set) var encoders: [FieldEncoder] = []
    public private(set) var splits: DatasetSplits?
    /// Rows of `table` behind each part of the last `split`: row `i` of `splits.test` is
    /// `table` row `splitRows.test[i]` (per-row exports write the raw values from there).
    public private(set) var splitRows: (train: [Int], validation: [Int], test: [Int])?
    /// What was loaded and with which options: `predict` reads new files the same way.
    public private(set) var origin: Origin
    /// How the rows were last cut into sessions (nil before any): `predict` cuts new RetailRocket events
    /// the same way, since its rows are (session, item) pairs.
    public private(set) var sessionCut: SessionCut?
    /// A loader and its options.
    public enum Origin: Sendable {
        case retailRocket(directory: String, options: RetailRocketLoadOptions)
        case processed(directory: String, options: ProcessedLoadOptions)
        case kuaiRand(directory: String, options: KuaiRandLoadOptions)
        case csv(path: String, options: CSVLoadOptions)
    }
    /// `sessionize gap=` or `sessionize by=`.
    public enum SessionCut: Sendable, Equatable {
        case gap(milliseconds: Int64)
        case column(String)
    }
    /// Where the table came from a cache ("hit"), was read and cached ("miss"), or read without one.
    public private(set) var cacheStatus: DataCache.Status = .disabled

    /// Default inactivity gap: 30 minutes.
    public static let defaultGap: Int64 = 30 * 60 * 1000

    /// The cache entry of `source`, so sessionized event tables can be cached next to it.
    var cacheEntry: DataCache.Entry?
    /// Older cache files of the same source that the load removed (only the newest is kept).
    public private(set) var cacheRemoved: [DataCache.RemovedFile] = []

    init(
        source: InteractionTable, origin: Origin, encoderOptions: EncoderOptions, cacheStatus: DataCache.Status,
        cacheEntry: DataCache.Entry? = nil, cacheRemoved: [DataCache.RemovedFile] = []
    ) {
        self.source = source
        self.origin = origin
        self.table = source
        self.encoderOptions = encoderOptions
        self.cacheStatus = cacheStatus
        self.cacheEntry = cacheEntry
        self.cacheRemoved = cacheRemoved
    }

    /// The summary of the current state (after the last load, sessionize or split).
    public var summary: DataSummary {
        var s = DataSummary(table: table, encoders: splits == nil ? nil : encoders, splits: splits)
        switch cacheStatus {
        case .disabled: break
        case .received: s.notes.append("data: received from MPI rank 0")
        case .hit(let path): s.notes.append("cache: loaded from \(path)")
        case .miss(let path, let written, let reason):
            s.notes.append(written ? "cache: read the sources (\(reason)); wrote \(path)" : "cache: read the sources (\(reason)); could not write \(path)")
        }
        if !cacheRemoved.isEmpty {
            let bytes = cacheRemoved.reduce(Int64(0)) { $0 + $1.bytes }
            let files = cacheRemoved.count == 1 ? "1 older cache file" : "\(cacheRemoved.count) older cache files"
            s.notes.append("cache: removed \(files) of these sources (\(ByteCount.format(bytes))): "
                + cacheRemoved.map { $0.path.split(separator: "/").last.map(String.init) ?? $0.path }.joined(separator: ", "))
        }
        return s
    }

    // MARK: - load

    /// `load retailrocket "dir"`: the raw Kaggle files.
    public static func loadRetailRocket(
        directory: String, options: RetailRocketLoadOptions = .init(), cache: CacheOptions = .init()
    ) throws -> DataPipeline {
        let files = ["events.csv", "item_properties_part1.csv", "item_properties_part2.csv", "category_tree.csv"]
            .map { directory + "/" + $0 }
        let (table, status, entry, removed) = try DataCache.cached(
            kind: "retailrocket", sources: files, optional: [files[3]], options: options.fingerprint,
            cache: cache, directory: directory
        ) { try RetailRocketReader.read(directory: directory, options: options) }
        var loaded = table
        loaded.eventLabels = options.labels
        return DataPipeline(
            source: loaded, origin: .retailRocket(directory: directory, options: options),
            encoderOptions: EncoderOptions(tailMergeFields: retailRocketTailFields.filter(options.fields.contains)),
            cacheStatus: status, cacheEntry: entry, cacheRemoved: removed)
    }

    /// `load rmtl "dir"`: the authors' processed layout (train/val/test.csv + item_feadf.csv).
    public static func loadProcessed(
        directory: String, options: ProcessedLoadOptions = .init(), cache: CacheOptions = .init()
    ) throws -> DataPipeline {
        let files = ["train.csv", "val.csv", "test.csv", "item_feadf.csv"].map { directory + "/" + $0 }
        let (table, status, entry, removed) = try DataCache.cached(
            kind: "rmtl", sources: files, optional: [], options: options.fingerprint, cache: cache,
            directory: directory
        ) { try ProcessedReader.read(directory: directory, options: options) }
        var pipeline = DataPipeline(
            source: table, origin: .processed(directory: directory, options: options),
            encoderOptions: EncoderOptions(tailMergeFields: retailRocketTailFields.filter(options.fields.contains)),
            cacheStatus: status, cacheEntry: entry, cacheRemoved: removed)
        try pipeline.sessionize(byColumn: "visitorid")
        return pipeline
    }

    /// `load kuairand "dir"`: the raw KuaiRand-1K files.
    public static func loadKuaiRand(
        directory: String, options: KuaiRandLoadOptions = .init(), cache: CacheOptions = .init()
    ) throws -> DataPipeline {
        let files = try KuaiRandReader.sourceFiles(directory: directory, options: options)
        let (table, status, entry, removed) = try DataCache.cached(
            kind: "kuairand", sources: files, optional: [], options: options.fingerprint, cache: cache,
            directory: directory
        ) { try KuaiRandReader.read(directory: directory, options: options) }
        return DataPipeline(
            source: table, origin: .kuaiRand(directory: directory, options: options), encoderOptions: EncoderOptions(), cacheStatus: status, cacheEntry: entry, cacheRemoved: removed)
    }

    /// `load csv "file" ...`: any CSV/TSV with the columns named by the caller.
    public static func loadCSV(
        path: String, options: CSVLoadOptions, cache: CacheOptions = .init()
    ) throws -> DataPipeline {
        try GenericCSVReader.validate(options, file: path)
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let (table, status, entry, removed) = try DataCache.cached(
            kind: "csv", sources: [path], optional: [], options: options.fingerprint, cache: cache,
            directory: folder.isEmpty ? "." : folder
        ) { try GenericCSVReader.read(path: path, options: options) }
        var pipeline = DataPipeline(
            source: table, origin: .csv(path: path, options: options), encoderOptions: EncoderOptions(), cacheStatus: status,
            cacheEntry: entry, cacheRemoved: removed)
        if !table.sessions.isEmpty { try pipeline.sessionize(byColumn: options.session ?? "") }
        return pipeline
    }

    // MARK: - sessionize

    /// `sessionize gap=30m`: cut each user's time-ordered rows where consecutive rows are more than
    /// `gapMilliseconds` apart.
    ///
    /// For an event table (RetailRocket) the sessionized, collapsed table is cached beside the loaded one
    /// (keyed by the gap and the label mapping), since collapsing 2.7M events costs more than reading.
    public mutating func sessionize(gapMilliseconds: Int64) throws {
        let source = self.source
        let entry = source.rowUnit == .event
            ? cacheEntry?.derived("sessionize gap=\(gapMilliseconds) labels=\(source.eventLabels)") : nil
        table = try DataCache.derived(entry) { try source.sessionized(gapMilliseconds: gapMilliseconds) }
        isSessionized = true
        sessionCut = .gap(milliseconds: gapMilliseconds)
        splits = nil
        splitRows = nil
    }

    /// `sessionize by=column`: rows sharing the column's value form one session.
    public mutating func sessionize(byColumn column: String) throws {
        table = try source.sessionized(byColumn: column)
        isSessionized = true
        sessionCut = .column(column)
        splits = nil
        splitRows = nil
    }

    // MARK: - split

    /// `split ...`: divides the rows, fits the encoders on the training part and encodes all three.
    /// `.preset` is the processed layout's own files.
    @discardableResult
    public mutating func split(_ method: SplitMethod) throws -> DatasetSplits {
        if !isSessionized {
            if source.users.isEmpty {
                // No user key: one session per row.
                var t = source
                t.sessions = (0..<Int32(t.rowCount)).map { $0 }
                table = t.withSessions(t.sessions)
                table.notes.append("sessions: none in the data; one session per row")
            } else {
                try sessionize(gapMilliseconds: Self.defaultGap)
            }
            isSessionized = true
        }
        let parts = try table.splitRows(method)
        let result = try table.encoded(
            train: parts.train, validation: parts.validation, test: parts.test, options: encoderOptions)
        encoders = result.encoders
        splits = result.splits
        splitRows = parts
        return result.splits
    }
}

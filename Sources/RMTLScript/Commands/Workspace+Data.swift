import Foundation
import RMTL

// MARK: - generate, load, sessionize, split, show data
//
// The data pipeline (Sources/RMTL/Data, `DataPipeline`) plugs in here: `load` sets `data`,
// `sessionize` cuts its sessions, `split` fits the encoders on train and sets `splits`.
extension Workspace {
    /// `generate retailrocket DIR events= seed=`.
    public func generateRetailRocket(directory: String, events: Int, seed: UInt64?) throws {
        let start = Date()
        try rankZeroFirst {
            guard Workspace.writesFiles else { return }
            try engineStep { try SyntheticRetailRocket.write(to: directory, events: events, seed: seed ?? self.seed) }
        }
        recorder?.artifactWritten(kind: "data", path: directory)
        say("wrote synthetic RetailRocket (\(events) events) to \(directory) in \(Value.formatElapsed(Date().timeIntervalSince(start)))")
    }

    /// `generate kuairand DIR rows= users= videos= seed=`: synthetic raw KuaiRand-1K files.
    public func generateKuaiRand(directory: String, rows: Int, users: Int, videos: Int, seed: UInt64?) throws {
        let start = Date()
        try rankZeroFirst {
            guard Workspace.writesFiles else { return }
            try engineStep {
                try SyntheticKuaiRand.write(to: directory, rows: rows, users: users, videos: videos, seed: seed ?? self.seed)
            }
        }
        recorder?.artifactWritten(kind: "data", path: directory)
        say("wrote synthetic KuaiRand-1K (\(rows) rows, \(users) users, \(videos) videos) to \(directory) "
            + "in \(Value.formatElapsed(Date().timeIntervalSince(start)))")
    }

    /// Under mpirun, `body` runs on rank 0 first and on the other ranks once it is done, so files
    /// it writes (generated data, load caches) are complete and the same whoever reads them; every
    /// rank runs the command that calls this. Without mpirun it just runs `body`.
    func rankZeroFirst<T>(_ body: () throws -> T) rethrows -> T {
        guard let ranks else { return try body() }
        if ranks.rank != 0 { ranks.waitForRankZero() }
        defer { ranks.releaseOthers() }
        return try body()
    }

    /// Under mpirun, rank 0 reads the sources (or its cache) and sends the table to the other
    /// ranks, which build the same pipeline around it without touching any file, so the data need
    /// only be on rank 0's machine (docs/scaling.md measures this against every rank reading, which
    /// `RMTL_MPI_LOAD=each` selects: rank 0 first, writing the cache, then the others).
    func loadOnRankZero(_ read: (CacheOptions) throws -> DataPipeline) throws -> DataPipeline {
        guard let ranks, ranks.size > 1, ProcessInfo.processInfo.environment["RMTL_MPI_LOAD"] != "each" else {
            return try rankZeroFirst { try read(CacheOptions()) }
        }
        guard ranks.rank != 0 else {
            let loaded = Result { try read(CacheOptions()) }
            // An empty message tells the others that rank 0 failed (its own error ends the job).
            let bytes = (try? loaded.get()).map { DataCache.encoded($0.source) } ?? []
            for r in 1..<ranks.size { ranks.send(bytes, to: r) }
            return try loaded.get()
        }
        let bytes = ranks.receive(from: 0)
        guard !bytes.isEmpty else { throw WorkspaceError.failed("rank 0 could not load the data") }
        return try read(CacheOptions(received: try DataCache.decoded(bytes)))
    }

    /// `load FORMAT PATH …`; `format` is retailrocket, rmtl, kuairand or csv.
    public func load(format: String, path: String, csv: CSVLoadOptions? = nil) throws {
        let start = Date()
        let loaded: DataPipeline = try engineStep { try loadOnRankZero { cache in
            switch format {
            case "retailrocket": return try DataPipeline.loadRetailRocket(directory: path, cache: cache)
            case "rmtl": return try DataPipeline.loadProcessed(directory: path, cache: cache)
            case "kuairand": return try DataPipeline.loadKuaiRand(directory: path, cache: cache)
            default:
                guard let csv else { throw WorkspaceError.failed("load csv needs its column options") }
                return try DataPipeline.loadCSV(path: path, options: csv, cache: cache)
            }
        } }
        data = loaded
        splits = nil
        dropModels()
        dataSource = "\(format) \"\(path)\""
        setConfig("data", dataSource!)
        if format == "rmtl" { try split(mode: "preset", train: 0.6, validation: 0.2, test: 0.2, keepSessions: true, byColumn: nil) }
        say("loaded \(format) in \(Value.formatElapsed(Date().timeIntervalSince(start)))")
        say(loaded.summary.description)
    }

    /// `sessionize gap=30m` or `sessionize by=COLUMN` (`gap` in seconds).
    public func sessionize(gap: Double = Double(DataPipeline.defaultGap) / 1000, byColumn: String?) throws {
        guard var pipeline = data else { throw WorkspaceError.failed("no dataset is loaded") }
        try rankZeroFirst { try engineStep {
            if let byColumn { try pipeline.sessionize(byColumn: byColumn) } else {
                try pipeline.sessionize(gapMilliseconds: Int64((gap * 1000).rounded()))
            }
        } }
        data = pipeline
        splits = nil
        dropModels()
        setConfig("sessions", byColumn.map { "by \($0)" } ?? "gap \(Value.formatDuration(gap))")
        say(pipeline.summary.description)
    }

    /// `split time TRAIN VAL TEST keep_sessions=`, `split by=COLUMN` or `split preset`.
    public func split(mode: String, train: Double, validation: Double, test: Double, keepSessions: Bool, byColumn: String? = nil) throws {
        guard var pipeline = data else { throw WorkspaceError.failed("no dataset is loaded") }
        let method: SplitMethod = byColumn.map { .column($0) }
            ?? (mode == "preset" ? .preset : .time(train: train, validation: validation, test: test, wholeSessions: keepSessions))
        let parts = try engineStep { try pipeline.split(method) }
        data = pipeline
        splits = parts
        dropModels()
        setConfig("split", byColumn.map { "by \($0)" } ?? (mode == "preset" ? "preset" : "time \(train) \(validation) \(test)"))
        let rows = [parts.train.rowCount, parts.validation.rowCount, parts.test.rowCount]
        let rowCount = max(rows.reduce(0, +), 1)
        let achieved = rows.map { Double($0) / Double(rowCount) }
        func part(_ name: String, _ i: Int) -> String { "\(name) \(rows[i]) (\(Workspace.percent(achieved[i])))" }
        say("split: \(part("train", 0)), \(part("val", 1)), \(part("test", 2)) rows; "
            + "field sizes \(parts.train.cardinalities.map(String.init).joined(separator: " "))")
        // a part far from what was asked, or nearly empty, makes every later number misleading
        let asked = byColumn == nil && mode == "time" ? [train, validation, test] : nil
        let names = ["train", "val", "test"]
        let off = names.indices.filter { i in
            achieved[i] < Workspace.smallestSplitPart && (asked?[i] ?? 1) > 0
                || asked.map { abs(achieved[i] - $0[i]) > Workspace.splitTolerance } ?? false
        }
        if !off.isEmpty {
            let (message, hint) = Diagnostic.lopsidedSplit(parts: off.map { names[$0] }, asked: asked, achieved: achieved,
                                                           keptSessions: keepSessions && asked != nil)
            warn(message, hint: hint)
        }
    }

    /// `split` warns when a part is further than this from its asked fraction…
    static let splitTolerance = 0.05
    /// …or holds less than this fraction of the rows.
    static let smallestSplitPart = 0.01

    /// `99.3%`, `0.06%` (two significant digits below 1%).
    static func percent(_ f: Double) -> String {
        let p = 100 * f
        return (p > 0 && p < 1 ? String(format: "%.2g", p) : String(format: "%.1f", p)) + "%"
    }

    /// `show data`: sizes, tasks and label rates of what is loaded.
    public func showData() {
        func describe(_ name: String, _ d: Dataset) -> [String] {
            var row = [name, String(d.rowCount), String(Set(d.sessions).count)]
            row += d.labels.map { col in
                col.isEmpty ? "-" : String(format: "%.4f", col.reduce(0, +) / Float(col.count))
            }
            return row
        }
        guard let any = splits?.train else {
            say(data.map { $0.summary.description } ?? "no data loaded")
            return
        }
        let rows = splits.map { s in [describe("train", s.train), describe("val", s.validation), describe("test", s.test)] } ?? []
        say("\(dataSource ?? any.name): \(any.fieldCount) categorical, \(any.numericCount) numeric fields; "
            + "tasks \(any.taskNames.joined(separator: ", "))")
        let header = ["part", "rows", "sessions"] + any.taskNames.map { "\($0) rate" }
        emit(.table(Table(header: header, rows: rows, rightAligned: Set(1..<header.count))))
    }

    /// FNV-1a 64 over the shapes, encoders' sizes, labels, sessions and ids of the loaded data:
    /// the fingerprint stored with exports and checkpoints. Nil when nothing is loaded.
    public var dataFingerprint: String? {
        let parts: [Dataset]
        if let s = splits { parts = [s.train, s.validation, s.test] } else { return nil }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ v: UInt64) {
            var x = v
            for _ in 0..<8 {
                h ^= x & 0xFF
                h = h &* 0x0000_0100_0000_01B3
                x >>= 8
            }
        }
        for d in parts {
            mix(UInt64(d.rowCount))
            for c in d.cardinalities { mix(UInt64(c)) }
            for column in d.categorical { for v in column { mix(UInt64(UInt32(bitPattern: v))) } }
            for column in d.numeric { for v in column { mix(UInt64(v.bitPattern)) } }
            for column in d.labels { for v in column { mix(UInt64(v.bitPattern)) } }
            for s in d.sessions { mix(UInt64(UInt32(bitPattern: s))) }
        }
        return "fnv1a64:" + String(h, radix: 16)
    }
}

import Foundation
import GRDB
import RMTL

/// Why the run registry could not be opened, written or read.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var hint: String?
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
    public var description: String { message + (hint.map { "; \($0)" } ?? "") }
}

/// The local record of every run (language-guide.md, "The run registry"): one SQLite database per
/// project, `.rmtl/runs.sqlite` by default. WAL journal, a 10 s busy timeout and one IMMEDIATE write
/// transaction per event, so several `rmtl` processes can write at once and a killed one leaves
/// the file valid (SQLite rolls back its unfinished transaction on the next open).
///
/// Schema (migration "v1"):
/// - `run`: id, status (running|finished|failed|interrupted), kind (run|prompt|kernel|notebook), pid, host,
///   started_at / ended_at (Unix seconds), duration (s), script_path, script_text, command_line (JSON
///   array), settings (`--set` values, JSON object), version, error.
/// - `result`: id, run_id → run, name (`esmm[3]`), base, idx, seed, split, model, data_source,
///   data_fingerprint, config (JSON: actor, training, critic settings, threads, settings),
///   recorded_at; unique (run_id, name): re-storing a name replaces it, as in the workspace.
/// - `metric`: result_id → result, position, task, auc, logloss, slogloss, rows, positives.
/// - `artifact`: id, run_id → run, kind (report|results|checkpoint|chart|data|table), path, recorded_at.
public final class RunRegistry: Sendable {
    /// `.rmtl/runs.sqlite`, relative to the current directory.
    public static let defaultPath = ".rmtl/runs.sqlite"
    /// How long a writer waits for another process's transaction.
    public static let busyTimeout: TimeInterval = 10

    /// As given (relative paths stay relative, for messages).
    public let path: String
    let db: DatabaseQueue

    /// Opens (creating the file and its folder if needed) and migrates the database.
    public init(path: String) throws(RegistryError) {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw RegistryError("cannot create the folder \(folder) for the run registry",
                                    hint: "set RMTL_REGISTRY or --registry to a writable place, or --no-registry")
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(RunRegistry.busyTimeout)
        config.journalMode = .wal
        config.label = "rmtl-registry"
        // Switching a new file to WAL takes a lock that SQLite does not wait for: retry while
        // another process is creating the same database.
        var attempt = 0
        var opened: DatabaseQueue?
        while opened == nil {
            do {
                let queue = try DatabaseQueue(path: path, configuration: config)
                try RunRegistry.migrator.migrate(queue)
                opened = queue
            } catch let error as DatabaseError where
                (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && attempt < 200 {
                attempt += 1
                usleep(50_000)
            } catch {
                // Two processes creating the same file can both start the first migration; the
                // loser's CREATE TABLE fails and rolls back. The winner's schema is then complete.
                if let queue = try? DatabaseQueue(path: path, configuration: config),
                   (try? queue.read({ try RunRegistry.migrator.hasCompletedMigrations($0) })) == true {
                    opened = queue
                    continue
                }
                throw RegistryError("cannot open the run registry \(path): \(RunRegistry.describe(error))",
                                    hint: "set RMTL_REGISTRY or --registry to another file, or run with --no-registry")
            }
        }
        db = opened!
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "SQLite error \(e.resultCode.rawValue)" }
        return String(describing: error)
    }

    static let migrator: DatabaseMigrator = {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("status", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("pid", .integer).notNull()
                t.column("host", .text).notNull()
                t.column("started_at", .double).notNull()
                t.column("ended_at", .double)
                t.column("duration", .double)
                t.column("script_path", .text)
                t.column("script_text", .text).notNull().defaults(to: "")
                t.column("command_line", .text).notNull().defaults(to: "[]")
                t.column("settings", .text).notNull().defaults(to: "{}")
                t.column("version", .text).notNull()
                t.column("error", .text)
            }
            try db.create(table: "result") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("run_id", .integer).notNull().indexed().references("run", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("base", .text).notNull()
                t.column("idx", .text)
                t.column("seed", .integer).notNull()
                t.column("split", .text).notNull()
                t.column("model", .text)
                t.column("data_source", .text)
                t.column("data_fingerprint", .text)
                t.column("config", .text).notNull().defaults(to: "{}")
                t.column("recorded_at", .double).notNull()
                t.uniqueKey(["run_id", "name"])
            }
            try db.create(table: "metric") { t in
                t.column("result_id", .integer).notNull().references("result", onDelete: .cascade)
                t.column("position", .integer).notNull()
                t.column("task", .text).notNull()
                t.column("auc", .double)
                t.column("logloss", .double)
                t.column("slogloss", .double)
                t.column("rows", .integer)
                t.column("positives", .integer)
                t.primaryKey(["result_id", "task"])
            }
            try db.create(table: "artifact") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("run_id", .integer).notNull().indexed().references("run", onDelete: .cascade)
                t.column("kind", .text).notNull()
                t.column("path", .text).notNull()
                t.column("recorded_at", .double).notNull()
            }
        }
        return m
    }()

    /// The migrations applied to this file, oldest first.
    public func appliedMigrations() throws(RegistryError) -> [String] {
        try read { db in try RunRegistry.migrator.appliedMigrations(db) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(RegistryError) -> T {
        do { return try db.write(body) } catch {
            throw RegistryError("cannot write to the run registry \(path): \(RunRegistry.describe(error))")
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(RegistryError) -> T {
        do { return try db.read(body) } catch {
            throw RegistryError("cannot read the run registry \(path): \(RunRegistry.describe(error))")
        }
    }

    /// The tables of the schema, sorted.
    public func tables() throws(RegistryError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        }
    }

    /// `PRAGMA integrity_check`: "ok" for a sound file.
    public func integrityCheck() throws(RegistryError) -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }

    // MARK: - Writing

    /// What is known when a run starts.
    public struct RunStart: Sendable {
        public var kind: String
        public var scriptPath: String?
        public var scriptText: String
        public var commandLine: [String]
        public var settings: [String: String]
        public init(kind: String, scriptPath: String?, scriptText: String, commandLine: [String],
                    settings: [String: String] = [:]) {
            self.kind = kind
            self.scriptPath = scriptPath
            self.scriptText = scriptText
            self.commandLine = commandLine
            self.settings = settings
        }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    static var hostName: String { ProcessInfo.processInfo.hostName }

    /// Inserts a `running` row for this process; returns the run's id.
    public func begin(_ start: RunStart, at time: Date = Date()) throws(RegistryError) -> Int64 {
        try write { db in
            try db.execute(sql: """
                INSERT INTO run (status, kind, pid, host, started_at, script_path, script_text, command_line, settings, version)
                VALUES ('running', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [start.kind, Int64(getpid()), RunRegistry.hostName, time.timeIntervalSince1970,
                                 start.scriptPath, start.scriptText, RunRegistry.json(start.commandLine),
                                 RunRegistry.json(start.settings), rmtlVersion])
            return db.lastInsertedRowID
        }
    }

    /// Appends text to a run's script (the prompt records each entry as it is run).
    public func appendScript(run: Int64, _ text: String) throws(RegistryError) {
        try write { db in
            try db.execute(sql: "UPDATE run SET script_text = script_text || ? WHERE id = ?", arguments: [text, run])
        }
    }

    /// What a result is recorded with besides its metrics.
    public struct ResultContext: Sendable {
        public var dataSource: String?
        public var dataFingerprint: String?
        /// JSON object: actor, training, critic settings, threads, settings.
        public var configJSON: String
        public init(dataSource: String?, dataFingerprint: String?, configJSON: String) {
            self.dataSource = dataSource
            self.dataFingerprint = dataFingerprint
            self.configJSON = configJSON
        }
    }

    /// Records (or replaces, for a re-used name) one named result with its metrics, in one transaction.
    public func recordResult(run: Int64, _ r: EvalResult, context: ResultContext, at time: Date = Date()) throws(RegistryError) {
        try write { db in
            let values: StatementArguments = [r.base, r.index, Int64(bitPattern: r.seed), r.split, r.model, context.dataSource,
                                              context.dataFingerprint, context.configJSON, time.timeIntervalSince1970]
            let id: Int64
            if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM result WHERE run_id = ? AND name = ?",
                                                 arguments: [run, r.name]) {
                // a re-used name replaces the result in place, as in the workspace
                id = existing
                try db.execute(sql: """
                    UPDATE result SET base = ?, idx = ?, seed = ?, split = ?, model = ?, data_source = ?, data_fingerprint = ?,
                    config = ?, recorded_at = ? WHERE id = ?
                    """, arguments: values + [id])
                try db.execute(sql: "DELETE FROM metric WHERE result_id = ?", arguments: [id])
            } else {
                try db.execute(sql: """
                    INSERT INTO result (base, idx, seed, split, model, data_source, data_fingerprint, config, recorded_at, run_id, name)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: values + [run, r.name])
                id = db.lastInsertedRowID
            }
            for (k, t) in r.tasks.enumerated() {
                try db.execute(sql: """
                    INSERT INTO metric (result_id, position, task, auc, logloss, slogloss, rows, positives)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, k, t.task, RunRegistry.finite(t.auc), RunRegistry.finite(t.logLoss),
                                     RunRegistry.finite(t.sessionLogLoss), t.rows, t.positives])
            }
        }
    }

    /// SQLite stores NaN as NULL; keep that explicit.
    static func finite(_ v: Double) -> Double? { v.isNaN ? nil : v }

    /// Records a file the run wrote.
    public func recordArtifact(run: Int64, kind: String, path: String, at time: Date = Date()) throws(RegistryError) {
        try write { db in
            try db.execute(sql: "INSERT INTO artifact (run_id, kind, path, recorded_at) VALUES (?, ?, ?, ?)",
                           arguments: [run, kind, path, time.timeIntervalSince1970])
        }
    }

    /// Closes a run: `finished`, `failed` (with the error) or `interrupted`.
    public func finish(run: Int64, status: String, error: String? = nil, at time: Date = Date()) throws(RegistryError) {
        try write { db in
            try db.execute(sql: """
                UPDATE run SET status = ?, error = ?, ended_at = ?, duration = ? - started_at WHERE id = ?
                """, arguments: [status, error, time.timeIntervalSince1970, time.timeIntervalSince1970, run])
        }
    }

    // MARK: - Reading

    /// One line of `runs`.
    public struct RunSummary: Sendable, Equatable {
        public var id: Int64
        /// As stored, except a `running` row whose process (on this host) is gone reads `killed`.
        public var status: String
        public var kind: String
        public var startedAt: Date
        public var duration: Double?
        public var scriptPath: String?
        /// Result names in recording order.
        public var results: [String]
        /// The result with the highest mean AUC over its tasks, and that mean.
        public var best: (name: String, auc: Double)?

        public static func == (a: RunSummary, b: RunSummary) -> Bool {
            a.id == b.id && a.status == b.status && a.results == b.results && a.scriptPath == b.scriptPath
        }
    }

    /// `runs` filters; nil means any.
    public struct Filter: Sendable {
        public var last: Int?
        /// Substring of the script path (`<prompt>` for prompt sessions).
        public var script: String?
        public var status: String?
        /// A result name or group base the run stored.
        public var result: String?
        public init(last: Int? = nil, script: String? = nil, status: String? = nil, result: String? = nil) {
            self.last = last
            self.script = script
            self.status = status
            self.result = result
        }
    }

    /// Statuses `runs status=` accepts.
    public static let statuses = ["running", "finished", "failed", "interrupted", "killed"]

    /// `running` rows of processes that no longer exist on this host read `killed`.
    static func displayStatus(_ status: String, pid: Int64, host: String) -> String {
        guard status == "running", host == hostName, pid > 0 else { return status }
        if pid == Int64(getpid()) { return status }
        if kill(pid_t(pid), 0) == 0 { return status }
        return errno == EPERM ? status : "killed"
    }

    /// Runs matching `filter`, newest first.
    public func runs(_ filter: Filter = Filter()) throws(RegistryError) -> [RunSummary] {
        try read { db in
            var clauses: [String] = []
            var args: [(any DatabaseValueConvertible)?] = []
            if let s = filter.script {
                clauses.append("instr(coalesce(script_path, '<prompt>'), ?) > 0")
                args.append(s)
            }
            if let r = filter.result {
                clauses.append("EXISTS (SELECT 1 FROM result WHERE result.run_id = run.id AND (result.name = ? OR result.base = ?))")
                args.append(r)
                args.append(r)
            }
            // killed/running are told apart only by looking at the process: filter those afterwards
            if let st = filter.status {
                if st == "killed" || st == "running" { clauses.append("status = 'running'") } else {
                    clauses.append("status = ?")
                    args.append(st)
                }
            }
            let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, status, kind, pid, host, started_at, duration, script_path FROM run \(whereSQL) ORDER BY id DESC
                """, arguments: StatementArguments(args))
            var out: [RunSummary] = []
            for row in rows {
                let status = RunRegistry.displayStatus(row["status"], pid: row["pid"], host: row["host"])
                if let st = filter.status, st != status { continue }
                let id: Int64 = row["id"]
                let results = try Row.fetchAll(db, sql: """
                    SELECT r.name AS name, avg(m.auc) AS auc FROM result r LEFT JOIN metric m ON m.result_id = r.id
                    WHERE r.run_id = ? GROUP BY r.id ORDER BY r.id
                    """, arguments: [id])
                var best: (name: String, auc: Double)?
                for r in results {
                    if let auc: Double = r["auc"], best == nil || auc > best!.auc { best = (r["name"], auc) }
                }
                out.append(RunSummary(id: id, status: status, kind: row["kind"],
                                      startedAt: Date(timeIntervalSince1970: row["started_at"]),
                                      duration: row["duration"], scriptPath: row["script_path"],
                                      results: results.map { $0["name"] }, best: best))
                if let last = filter.last, out.count >= last { break }
            }
            return out
        }
    }

    /// Everything about one run (`show run N`).
    public struct RunDetail: Sendable {
        public var summary: RunSummary
        public var pid: Int64
        public var host: String
        public var endedAt: Date?
        public var scriptText: String
        public var commandLine: [String]
        public var settings: [String: String]
        public var version: String
        public var error: String?
        public var results: [StoredResult]
        public var artifacts: [(kind: String, path: String, at: Date)]
    }

    /// A result as stored, with what it was computed from.
    public struct StoredResult: Sendable {
        public var result: EvalResult
        public var dataSource: String?
        public var dataFingerprint: String?
        public var configJSON: String
        public var recordedAt: Date
    }

    public func run(_ id: Int64) throws(RegistryError) -> RunDetail? {
        try read { db -> RunDetail? in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [id]) else { return nil }
            let results = try RunRegistry.storedResults(db, run: id, name: nil)
            var best: (name: String, auc: Double)?
            for r in results {
                let aucs = r.result.tasks.map(\.auc).filter { !$0.isNaN }
                guard !aucs.isEmpty else { continue }
                let mean = aucs.reduce(0, +) / Double(aucs.count)
                if best == nil || mean > best!.auc { best = (r.result.name, mean) }
            }
            let status = RunRegistry.displayStatus(row["status"], pid: row["pid"], host: row["host"])
            let summary = RunSummary(id: id, status: status, kind: row["kind"],
                                     startedAt: Date(timeIntervalSince1970: row["started_at"]), duration: row["duration"],
                                     scriptPath: row["script_path"], results: results.map(\.result.name), best: best)
            let artifacts = try Row.fetchAll(db, sql: "SELECT kind, path, recorded_at FROM artifact WHERE run_id = ? ORDER BY id",
                                             arguments: [id]).map { a in
                (kind: a["kind"] as String, path: a["path"] as String, at: Date(timeIntervalSince1970: a["recorded_at"]))
            }
            let decoder = JSONDecoder()
            let commandLine = (try? decoder.decode([String].self, from: Data((row["command_line"] as String).utf8))) ?? []
            let settings = (try? decoder.decode([String: String].self, from: Data((row["settings"] as String).utf8))) ?? [:]
            let ended: Double? = row["ended_at"]
            return RunDetail(summary: summary, pid: row["pid"], host: row["host"],
                             endedAt: ended.map { Date(timeIntervalSince1970: $0) }, scriptText: row["script_text"],
                             commandLine: commandLine, settings: settings, version: row["version"], error: row["error"],
                             results: results, artifacts: artifacts)
        }
    }

    /// A run's results: all of them (`name` nil), or those a name refers to, as in the workspace:
    /// `esmm[2]` one result; `esmm` the result of that exact name, else every result of the group.
    public func results(run: Int64, base: String, index: String?) throws(RegistryError) -> [EvalResult] {
        try read { db in
            let all = try RunRegistry.storedResults(db, run: run, name: nil).map(\.result)
            if let index { return all.filter { $0.base == base && $0.index == index } }
            if let exact = all.first(where: { $0.base == base && $0.index == nil }) { return [exact] }
            return all.filter { $0.base == base }
        }
    }

    /// True when run `id` exists.
    public func hasRun(_ id: Int64) throws(RegistryError) -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM run WHERE id = ?)", arguments: [id]) ?? false }
    }

    static func storedResults(_ db: Database, run: Int64, name: String?) throws -> [StoredResult] {
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM result WHERE run_id = ? ORDER BY id", arguments: [run])
        return try rows.map { row in
            let id: Int64 = row["id"]
            let metrics = try Row.fetchAll(db, sql: "SELECT * FROM metric WHERE result_id = ? ORDER BY position",
                                           arguments: [id]).map { m in
                TaskMetrics(task: m["task"], auc: m["auc"] ?? .nan, logLoss: m["logloss"] ?? .nan,
                            sessionLogLoss: m["slogloss"] ?? .nan, rows: m["rows"], positives: m["positives"])
            }
            let seed: Int64 = row["seed"]
            let r = EvalResult(base: row["base"], index: row["idx"], seed: UInt64(bitPattern: seed), split: row["split"],
                               model: row["model"], tasks: metrics)
            return StoredResult(result: r, dataSource: row["data_source"], dataFingerprint: row["data_fingerprint"],
                                configJSON: row["config"], recordedAt: Date(timeIntervalSince1970: row["recorded_at"]))
        }
    }
}

import RMTL
import Foundation

// MARK: - record (hidden), compare, show results, export results
extension Workspace {
    /// `record result as NAME TASK=[auc, logloss, slogloss] …` (hidden; tests and hand-entered numbers).
    public func record(_ result: EvalResult) {
        store(result)
        say("stored \(result.name)")
    }

    /// `record epoch phase= loss= q= TASK=auc …` (hidden; tests of plots).
    public func record(_ epoch: EpochRecord) {
        history.append(epoch)
    }

    static func metricHeader(_ m: String) -> String {
        switch m {
        case "auc": return "AUC"
        case "logloss": return "Logloss"
        default: return "s-Logloss"
        }
    }

    /// Task names over `results`, in first-seen order.
    static func taskOrder(_ results: [EvalResult]) -> [String] {
        var tasks: [String] = []
        for r in results { for t in r.tasks where !tasks.contains(t.task) { tasks.append(t.task) } }
        return tasks
    }

    /// How `compare` tests and marks differences.
    public struct CompareOptions: Sendable {
        /// `test=paired`: pair results by their index (`esmm[3]` with `rmtl_esmm[3]`, i.e. by seed)
        /// and use the paired t-test; otherwise Welch's unequal-variance test.
        public var paired = false
        /// `best=[…]`: among these columns, the best mean per task and metric is marked †.
        public var best: [String] = []
        /// `star=[[X, A, B], …]`: X is marked * where it beats every one of A, B … at p < 0.05.
        public var star: [[String]] = []
        /// `markdown="file.md"`: also write the tables as Markdown (atomically).
        public var markdownPath: String?
        public init() {}
    }

    /// `compare A B …`. Up to three names: one column per name, rows per task and metric, and a
    /// p-value of each column against the first. More names (a results table such as the paper's
    /// Table 1): one row per name, columns per task and metric, and a second table of the
    /// differences that `star` tests. A name that is a group of results repeated over seeds shows
    /// mean ± std (n).
    public func compare(_ names: [ResultReference], metrics: [String], options: CompareOptions = CompareOptions()) throws {
        let groups = try names.map(resolve)
        let comparison = try Comparison(groups: groups, metrics: metrics, options: options)
        let tables = groups.count > 3 ? comparison.byResult() : [comparison.byMetric()]
        let legend = comparison.legend()
        for t in tables { emit(.table(t)) }
        for line in legend { say(line) }
        if let path = options.markdownPath {
            var text = tables.map(\.markdown).joined(separator: "\n\n") + "\n"
            if !legend.isEmpty { text += "\n" + legend.joined(separator: "  \n") + "\n" }
            try Workspace.writeAtomically(Data(text.utf8), to: path)
            recorder?.artifactWritten(kind: "table", path: path)
            say("wrote the comparison to \(path)")
        }
    }

    /// `0.7282` for one value, `0.7282 ± 0.0011` for several, `-` for none.
    static func summary(_ values: [Double]) -> String {
        switch values.count {
        case 0: return "-"
        case 1: return String(format: "%.4f", values[0])
        default:
            return String(format: "%.4f ± %.4f", Statistics.mean(values), Statistics.standardDeviation(values))
        }
    }

    static func formatP(_ p: Double) -> String {
        if p.isNaN { return "p=n/a" }
        if p < 0.001 { return "p<0.001" }
        return String(format: "p=%.3f", p)
    }

    /// `show results`: every stored result, one row per result and task.
    public func showResults() {
        guard !results.isEmpty else {
            say("no results yet: store one with 'eval test as NAME'")
            return
        }
        emit(.table(resultTable(results)))
    }

    /// `show NAME` for a result or group.
    public func showResult(base: String, index: String?) throws {
        let rs = results(named: base, index: index)
        guard !rs.isEmpty else { throw WorkspaceError.failed("no result named '\(base)'") }
        emit(.table(resultTable(rs)))
        if rs.count > 1 { try compare([ResultReference(base: base, index: index)], metrics: metricNames) }
    }

    func resultTable(_ rs: [EvalResult]) -> Table {
        var rows: [[String]] = []
        for r in rs {
            for (k, t) in r.tasks.enumerated() {
                rows.append([k == 0 ? r.name : "", k == 0 ? String(r.seed) : "", t.task,
                             String(format: "%.4f", t.auc), String(format: "%.4f", t.logLoss),
                             String(format: "%.4f", t.sessionLogLoss)])
            }
        }
        return Table(header: ["result", "seed", "task", "AUC", "Logloss", "s-Logloss"], rows: rows,
                     rightAligned: [1, 3, 4, 5])
    }

    /// The JSON document `export results` writes.
    public struct ResultsExport: Encodable {
        public var rmtlVersion: String
        public var seed: UInt64
        public var threads: Int
        public var config: [String: String]
        public var dataSource: String?
        public var dataFingerprint: String?
        public var actor: ActorSettings?
        public var training: TrainConfig?
        /// The effective RL settings (every paper/code switch), when a critic was built.
        public var critic: RMTLSettings?
        public var results: [ExportedResult]
        public var groups: [ExportedGroup]

        enum CodingKeys: String, CodingKey {
            case rmtlVersion, seed, threads, config, dataSource, dataFingerprint, actor, training, critic, results, groups
        }

        /// Every key is always present; unknown values are `null` (not left out).
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(rmtlVersion, forKey: .rmtlVersion)
            try c.encode(seed, forKey: .seed)
            try c.encode(threads, forKey: .threads)
            try c.encode(config, forKey: .config)
            try c.encode(dataSource, forKey: .dataSource)
            try c.encode(dataFingerprint, forKey: .dataFingerprint)
            try c.encode(actor, forKey: .actor)
            try c.encode(training, forKey: .training)
            try c.encode(critic, forKey: .critic)
            try c.encode(results, forKey: .results)
            try c.encode(groups, forKey: .groups)
        }
    }

    public struct ExportedResult: Codable {
        public var name: String
        public var group: String
        public var index: String?
        public var seed: UInt64
        public var split: String
        public var model: String?
        /// Task names in the loader's order (`metrics` is keyed by them).
        public var tasks: [String]?
        /// task → metric → value
        public var metrics: [String: [String: Double]]
    }

    public struct ExportedGroup: Encodable {
        public var name: String
        public var count: Int
        /// task → metric → {mean, std}
        public var metrics: [String: [String: [String: Double]]]
    }

    /// Builds the export document (also used by tests).
    public func makeExport() -> ResultsExport {
        let exported = results.map { r in
            ExportedResult(name: r.name, group: r.base, index: r.index, seed: r.seed, split: r.split, model: r.model,
                           tasks: r.tasks.map(\.task), metrics: Dictionary(r.tasks.map { t in
                               (t.task, ["auc": t.auc, "logloss": t.logLoss, "slogloss": t.sessionLogLoss])
                           }, uniquingKeysWith: { $1 }))
        }
        let groups = resultGroups.map { base -> ExportedGroup in
            let rs = results.filter { $0.base == base }
            var metrics: [String: [String: [String: Double]]] = [:]
            for task in Workspace.taskOrder(rs) {
                for m in metricNames {
                    let v = rs.compactMap { $0.metrics(task)?.value(m) }
                    metrics[task, default: [:]][m] = ["mean": Statistics.mean(v), "std": Statistics.standardDeviation(v)]
                }
            }
            return ExportedGroup(name: base, count: rs.count, metrics: metrics)
        }
        return ResultsExport(rmtlVersion: rmtlVersion, seed: seed, threads: threads,
                             config: Dictionary(config, uniquingKeysWith: { $1 }), dataSource: dataSource,
                             dataFingerprint: dataFingerprint, actor: actorSettings, training: lastTraining,
                             critic: agent?.settings, results: exported, groups: groups)
    }

    /// `export results "file.json"`: written atomically (temporary file, then rename).
    public func exportResults(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data: Data
        do { data = try encoder.encode(makeExport()) } catch { throw WorkspaceError.failed("cannot encode results: \(error)") }
        try Workspace.writeAtomically(data, to: path)
        recorder?.artifactWritten(kind: "results", path: path)
        say("wrote \(results.count) result\(results.count == 1 ? "" : "s") to \(path)")
    }

    /// `import results "file.json"`: every result of an export, stored under its own name (a
    /// result of the same name is replaced, as `eval` does).
    public func importResults(from path: String) throws {
        struct Document: Decodable { var results: [ExportedResult] }
        guard let data = FileManager.default.contents(atPath: path) else { throw WorkspaceError.io("read", path: path) }
        let document: Document
        do { document = try JSONDecoder().decode(Document.self, from: data) } catch {
            throw WorkspaceError.rejected("\(path) is not a results file", hint: "write one with 'export results' or 'rmtl run … --results'")
        }
        for r in document.results {
            let order = r.tasks ?? r.metrics.keys.sorted()
            let tasks = try order.map { task -> TaskMetrics in
                guard let m = r.metrics[task], let auc = m["auc"], let logLoss = m["logloss"], let sLogLoss = m["slogloss"] else {
                    throw WorkspaceError.rejected("\(path): result '\(r.name)' lacks auc, logloss or slogloss for task '\(task)'",
                                                  hint: "write the file with 'export results'")
                }
                return TaskMetrics(task: task, auc: auc, logLoss: logLoss, sessionLogLoss: sLogLoss)
            }
            store(EvalResult(base: r.group, index: r.index, seed: r.seed, split: r.split, model: r.model, tasks: tasks))
        }
        say("imported \(document.results.count) result\(document.results.count == 1 ? "" : "s") from \(path)")
    }

    /// Every file the language writes goes through `AtomicFile`: a regular file is replaced
    /// atomically, a link is written through, a device or FIFO is written in place.
    static func writeAtomically(_ data: Data, to path: String) throws {
        guard writesFiles else { return }
        do { try AtomicFile.write([[UInt8](data)], to: path) } catch {
            throw WorkspaceError.rejected(Diagnostic.saveFailed(error), hint: Diagnostic.saveFailedHint(error))
        }
    }
}

import Foundation
import RMTL

/// A result a command refers to: `esmm`, `esmm[3]`, or `@12.esmm` (result `esmm` of past run 12).
public struct ResultReference: Sendable, Equatable {
    public var base: String
    public var index: String?
    /// A run in the registry; nil for this session's results.
    public var run: Int64?

    public init(base: String, index: String? = nil, run: Int64? = nil) {
        self.base = base
        self.index = index
        self.run = run
    }

    /// `esmm`, `esmm[3]`, `@12.esmm`.
    public var label: String {
        let name = index.map { "\(base)[\($0)]" } ?? base
        return run.map { "@\($0).\(name)" } ?? name
    }
}

// MARK: - runs, show run, and past results for compare
extension Workspace {
    /// The one lookup from a reference to results: this session's (a name or group), or a past
    /// run's from the registry. `compare` goes through here.
    public func resolve(_ ref: ResultReference) throws -> (label: String, results: [EvalResult]) {
        guard let run = ref.run else {
            let rs = results(named: ref.base, index: ref.index)
            guard !rs.isEmpty else { throw WorkspaceError.failed("no result named '\(ref.label)'") }
            return (ref.label, rs)
        }
        let registry = try requireRegistry()
        do {
            guard try registry.hasRun(run) else {
                throw WorkspaceError.rejected("no run \(run) in \(registry.path)", hint: "'runs' lists them")
            }
            let rs = try registry.results(run: run, base: ref.base, index: ref.index)
            if rs.isEmpty {
                let stored = try registry.run(run)?.summary.results ?? []
                throw WorkspaceError.rejected(
                    "run \(run) has no result named '\(ref.index.map { "\(ref.base)[\($0)]" } ?? ref.base)'",
                    hint: stored.isEmpty ? "it stored no results ('show run \(run)')"
                        : "it stored " + stored.joined(separator: ", "))
            }
            return (ref.label, rs)
        } catch let error as RegistryError {
            throw WorkspaceError.rejected(error.message, hint: error.hint)
        }
    }

    func requireRegistry() throws -> RunRegistry {
        guard let registry else {
            throw WorkspaceError.rejected("the run registry is off",
                                          hint: "it is turned off by --no-registry or an empty RMTL_REGISTRY")
        }
        return registry
    }

    static func formatDate(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: d)
    }

    /// `12.3s`, `4m05s`, `2h03m`.
    static func formatElapsed(_ s: Double) -> String {
        if s < 60 { return String(format: "%.1fs", s) }
        let whole = Int(s.rounded())
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }

    /// `runs [last=20] [script="…"] [status=…] [result=NAME]`: newest first.
    public func listRuns(_ filter: RunRegistry.Filter) throws {
        let registry = try requireRegistry()
        let runs: [RunRegistry.RunSummary]
        do { runs = try registry.runs(filter) } catch { throw WorkspaceError.rejected(error.message, hint: error.hint) }
        guard !runs.isEmpty else {
            let any = filter.script != nil || filter.status != nil || filter.result != nil
            return say(any ? "no runs match in \(registry.path)" : "no runs recorded in \(registry.path) yet")
        }
        emit(.table(Workspace.runsTable(runs)))
    }

    /// The `runs` table (also printed by `rmtl runs`).
    public static func runsTable(_ runs: [RunRegistry.RunSummary]) -> Table {
        let rows = runs.map { r -> [String] in
            var names = r.results.joined(separator: ", ")
            if names.count > 40 { names = String(names.prefix(37)) + "… (\(r.results.count))" }
            return [String(r.id), r.status, formatDate(r.startedAt), r.duration.map(formatElapsed) ?? "-",
                    r.scriptPath ?? "<\(r.kind)>", names.isEmpty ? "-" : names,
                    r.best.map { "\($0.name) \(String(format: "%.4f", $0.auc))" } ?? "-"]
        }
        return Table(header: ["run", "status", "started", "duration", "script", "results", "best mean AUC"],
                     rows: rows, rightAligned: [0, 3])
    }

    /// `show run N`: everything the registry holds about run N.
    public func showRun(_ id: Int64) throws {
        let registry = try requireRegistry()
        let found: RunRegistry.RunDetail?
        do { found = try registry.run(id) } catch { throw WorkspaceError.rejected(error.message, hint: error.hint) }
        guard let run = found else {
            throw WorkspaceError.rejected("no run \(id) in \(registry.path)", hint: "'runs' lists them")
        }
        let s = run.summary
        var rows: [[String]] = [
            ["status", s.status], ["script", s.scriptPath ?? "<\(s.kind)>"],
            ["command", run.commandLine.joined(separator: " ")],
        ]
        if !run.settings.isEmpty {
            rows.append(["--set", run.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")])
        }
        rows += [["started", Workspace.formatDate(s.startedAt)],
                 ["ended", run.endedAt.map(Workspace.formatDate) ?? "-"],
                 ["duration", s.duration.map(Workspace.formatElapsed) ?? "-"],
                 ["process", "pid \(run.pid) on \(run.host)"], ["version", "rmtl \(run.version)"]]
        if let error = run.error { rows.append(["error", error]) }
        say("run \(id)")
        emit(.table(Table(header: ["field", "value"], rows: rows)))
        if run.results.isEmpty {
            say("no results")
        } else {
            var metricRows: [[String]] = []
            for stored in run.results {
                let r = stored.result
                for (k, t) in r.tasks.enumerated() {
                    metricRows.append([k == 0 ? r.name : "", k == 0 ? String(r.seed) : "", k == 0 ? r.split : "", t.task,
                                       String(format: "%.4f", t.auc), String(format: "%.4f", t.logLoss),
                                       String(format: "%.4f", t.sessionLogLoss),
                                       t.rows.map(String.init) ?? "-", t.positives.map(String.init) ?? "-"])
                }
            }
            emit(.table(Table(header: ["result", "seed", "split", "task", "AUC", "Logloss", "s-Logloss", "rows", "positives"],
                              rows: metricRows, rightAligned: [1, 4, 5, 6, 7, 8])))
            for stored in run.results {
                let at = Workspace.formatElapsed(stored.recordedAt.timeIntervalSince(s.startedAt))
                say("\(stored.result.name): model \(stored.result.model ?? "-"), at +\(at), data \(stored.dataSource ?? "-")"
                    + " (\(stored.dataFingerprint ?? "no fingerprint"))")
                say("  config \(stored.configJSON)")
            }
        }
        if !run.artifacts.isEmpty {
            emit(.table(Table(header: ["artifact", "path", "written"],
                              rows: run.artifacts.map { [$0.kind, $0.path, Workspace.formatDate($0.at)] })))
        }
        say("script:")
        let text = run.scriptText.hasSuffix("\n") ? String(run.scriptText.dropLast()) : run.scriptText
        say(text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
    }
}

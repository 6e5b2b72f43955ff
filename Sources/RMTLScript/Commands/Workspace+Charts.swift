import Foundation

// MARK: - plot loss | auc | q
extension Workspace {
    /// One chart `plot` draws: a title, the y axis and one series per training run.
    struct ChartSpec {
        var title: String
        var yLabel: String
        var series: [SVGChart.Series]
    }

    /// The epoch history as runs (one per training command, in order), each with its records.
    /// Records saved before runs were numbered are grouped by phase, as they were then.
    var historyRuns: [[EpochRecord]] {
        var keys: [String] = []
        var groups: [String: [EpochRecord]] = [:]
        for r in history {
            let key = r.run.map { "run \($0)" } ?? "phase \(r.phase)"
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(r)
        }
        return keys.map { groups[$0]! }
    }

    /// The charts of `plot KIND`: the actor's training loss and the critics' TD loss apart (they
    /// measure different things), one series per run, x restarting at each run's first epoch.
    func charts(_ kind: String) -> [ChartSpec] {
        let runs = historyRuns
        let actorPhases: Set = ["actor", "rmtl"]
        func series(_ phases: Set<String>?, _ value: (EpochRecord) -> Double?) -> [SVGChart.Series] {
            runs.compactMap { rs in
                guard let first = rs.first, phases?.contains(first.phase) ?? true else { return nil }
                let pts = rs.compactMap { r in value(r).map { (Double(r.epoch), $0) } }
                return pts.isEmpty ? nil : SVGChart.Series(name: first.seriesLabel, points: pts)
            }
        }
        let specs: [ChartSpec]
        switch kind {
        case "loss":
            specs = [ChartSpec(title: "Training loss (actor)", yLabel: "loss", series: series(actorPhases, \.loss)),
                     ChartSpec(title: "Critic TD loss", yLabel: "TD loss", series: series(["critic", "ddpg"], \.loss))]
        case "auc":
            let perTask = runs.flatMap { rs -> [SVGChart.Series] in
                let tasks = rs.reduce(into: [String]()) { acc, r in for t in r.taskOrder where !acc.contains(t) { acc.append(t) } }
                return tasks.compactMap { task in
                    let pts = rs.compactMap { r in r.auc[task].map { (Double(r.epoch), $0) } }
                    return pts.isEmpty ? nil : SVGChart.Series(name: "\(rs[0].seriesLabel) \(task)", points: pts)
                }
            }
            specs = [ChartSpec(title: "Validation AUC", yLabel: "AUC", series: perTask)]
        default:
            specs = [ChartSpec(title: "Critic mean Q", yLabel: "Q", series: series(nil, \.q))]
        }
        return specs.filter { !$0.series.isEmpty }
    }

    /// `plot loss|auc|q ["file.svg"]`: SVG charts from the recorded epoch history, emitted as
    /// charts (embedded in reports) and written to `file` when given. `plot loss` after RL stages
    /// draws a second chart of the critics' TD loss, written next to `file` as `NAME-td.svg`.
    public func plot(_ kind: String, file: String?) throws {
        let charts = charts(kind)
        guard !charts.isEmpty else {
            let what = kind == "q" ? "'train critic'" : "'train actor'"
            throw WorkspaceError.failed("nothing to plot: no epoch has recorded '\(kind)' yet (run \(what) first)")
        }
        var written: [String] = []
        for (i, chart) in charts.enumerated() {
            let svg = SVGChart(title: chart.title, xLabel: "epoch", yLabel: chart.yLabel, series: chart.series).render()
            if let file {
                let path = i == 0 ? file : Workspace.siblingPath(file, suffix: "-td")
                try Workspace.writeAtomically(Data(svg.utf8), to: path)
                recorder?.artifactWritten(kind: "chart", path: path)
                written.append(path)
            }
            emit(.chart(title: chart.title, svg: svg))
        }
        let series = charts.flatMap(\.series)
        let points = series.map(\.points.count).reduce(0, +)
        say("plot \(kind): \(series.count) series, \(points) point\(points == 1 ? "" : "s")"
            + (charts.count > 1 ? " in \(charts.count) charts" : "")
            + (written.isEmpty ? "" : ", wrote \(written.joined(separator: " and "))"))
    }

    /// `out/loss.svg` → `out/loss-td.svg`.
    static func siblingPath(_ path: String, suffix: String) -> String {
        let ns = path as NSString
        let ext = ns.pathExtension
        return ext.isEmpty ? path + suffix : ns.deletingPathExtension + suffix + "." + ext
    }
}

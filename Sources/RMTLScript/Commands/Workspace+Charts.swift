import Foundation

// MARK: - plot loss | auc | q
extension Workspace {
    /// `plot loss|auc|q ["file.svg"]`: an SVG chart from the recorded epoch history, emitted as a
    /// chart (embedded in reports) and written to `file` when given.
    public func plot(_ kind: String, file: String?) throws {
        var series: [SVGChart.Series] = []
        let phases = history.reduce(into: [String]()) { if !$0.contains($1.phase) { $0.append($1.phase) } }
        let title: String, yLabel: String
        switch kind {
        case "loss":
            title = "Training loss"; yLabel = "loss"
            for phase in phases {
                let pts = history.filter { $0.phase == phase }.compactMap { r in r.loss.map { (Double(r.epoch), $0) } }
                if !pts.isEmpty { series.append(.init(name: phase, points: pts)) }
            }
        case "auc":
            title = "Validation AUC"; yLabel = "AUC"
            for phase in phases {
                let rs = history.filter { $0.phase == phase }
                let tasks = rs.reduce(into: [String]()) { acc, r in for t in r.taskOrder where !acc.contains(t) { acc.append(t) } }
                for task in tasks {
                    let pts = rs.compactMap { r in r.auc[task].map { (Double(r.epoch), $0) } }
                    if !pts.isEmpty { series.append(.init(name: "\(phase) \(task)", points: pts)) }
                }
            }
        default:
            title = "Critic mean Q"; yLabel = "Q"
            for phase in phases {
                let pts = history.filter { $0.phase == phase }.compactMap { r in r.q.map { (Double(r.epoch), $0) } }
                if !pts.isEmpty { series.append(.init(name: phase, points: pts)) }
            }
        }
        guard !series.isEmpty else {
            let what = kind == "q" ? "'train critic'" : "'train actor'"
            throw WorkspaceError.failed("nothing to plot: no epoch has recorded '\(kind)' yet (run \(what) first)")
        }
        let svg = SVGChart(title: title, xLabel: "epoch", yLabel: yLabel, series: series).render()
        if let file {
            try Workspace.writeAtomically(Data(svg.utf8), to: file)
            recorder?.artifactWritten(kind: "chart", path: file)
        }
        emit(.chart(title: title, svg: svg))
        let points = series.map(\.points.count).reduce(0, +)
        say("plot \(kind): \(series.count) series, \(points) point\(points == 1 ? "" : "s")" + (file.map { ", wrote \($0)" } ?? ""))
    }
}

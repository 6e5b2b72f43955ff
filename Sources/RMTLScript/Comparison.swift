/// The tables `compare` prints: per-column summaries over seeds, tests of differences, and the
/// marks of a results table (best baseline †, significant win *).
struct Comparison {
    let groups: [(label: String, results: [EvalResult])]
    let tasks: [String]
    let metrics: [String]
    let options: Workspace.CompareOptions

    init(groups: [(String, [EvalResult])], metrics: [String], options: Workspace.CompareOptions) throws {
        self.groups = groups.map { (label: $0.0, results: $0.1) }
        self.tasks = Workspace.taskOrder(groups.flatMap(\.1))
        self.metrics = metrics
        self.options = options
        let labels = groups.map(\.0)
        for name in options.best + options.star.flatMap({ $0 }) where !labels.contains(name) {
            throw WorkspaceError.rejected("'\(name)' is not one of the compared results",
                                          hint: "best= and star= name columns of this compare: " + labels.joined(separator: ", "))
        }
        if let short = options.star.first(where: { $0.count < 2 }) {
            throw WorkspaceError.rejected("star=[\(short.joined(separator: ", "))] needs a result and what it must beat",
                                          hint: "e.g. star=[[rmtl_esmm, esmm, control_esmm]]")
        }
        if options.paired { try checkPairable() }
    }

    static func higherIsBetter(_ metric: String) -> Bool { metric == "auc" }

    /// Every tested pair must share its indices (seeds), or pairing is meaningless.
    private func checkPairable() throws {
        var pairs: [(Int, Int)] = groups.count <= 3 ? (1..<max(groups.count, 1)).map { (0, $0) } : []
        for triple in options.star {
            let x = column(triple[0])
            for other in triple.dropFirst() { pairs.append((x, column(other))) }
        }
        for (a, b) in pairs {
            let ia = groups[a].results.map { $0.index ?? "" }, ib = groups[b].results.map { $0.index ?? "" }
            if Set(ia) != Set(ib) || Set(ia).count != ia.count {
                throw WorkspaceError.rejected(
                    "test=paired pairs results by index, but \(groups[a].label) has [\(ia.joined(separator: ", "))] "
                        + "and \(groups[b].label) has [\(ib.joined(separator: ", "))]",
                    hint: "store both over the same seeds, e.g. 'eval test as esmm[$s]' inside 'for s in …'")
            }
        }
    }

    private func column(_ label: String) -> Int { groups.firstIndex { $0.label == label }! }

    /// Values of one column, ordered by index so paired columns line up.
    func values(_ g: Int, _ task: String, _ metric: String) -> [Double] {
        groups[g].results.sorted { ($0.index ?? "").localizedStandardCompare($1.index ?? "") == .orderedAscending }
            .compactMap { $0.metrics(task)?.value(metric) }
    }

    /// Two-sided p-value of column a against column b, or nil with fewer than 2 values a side.
    func pValue(_ a: Int, _ b: Int, _ task: String, _ metric: String) -> Double? {
        let x = values(a, task, metric), y = values(b, task, metric)
        if options.paired { return x.count == y.count ? Statistics.pairedT(x, y)?.p : nil }
        return Statistics.welch(x, y)?.p
    }

    /// Up to three columns: rows per task and metric, p of each column against the first.
    func byMetric() -> Table {
        var rows: [[String]] = []
        for task in tasks {
            for metric in metrics {
                var row = [task, Workspace.metricHeader(metric)]
                for g in groups.indices {
                    var cell = Workspace.summary(values(g, task, metric))
                    if g > 0, let p = pValue(g, 0, task, metric) { cell += "  " + Workspace.formatP(p) }
                    row.append(cell + marks(g, task, metric))
                }
                rows.append(row)
            }
        }
        let header = ["task", "metric"] + groups.map { $0.results.count > 1 ? "\($0.label) (n=\($0.results.count))" : $0.label }
        return Table(header: header, rows: rows, rightAligned: Set(2..<header.count))
    }

    /// More columns: one row per result, and a table of the differences `star` tests.
    func byResult() -> [Table] {
        let columns = tasks.flatMap { t in metrics.map { (t, $0) } }
        let header = ["result", "n"] + columns.map { "\($0.0) \(Workspace.metricHeader($0.1))" }
        let rows = groups.indices.map { g in
            [groups[g].label, String(groups[g].results.count)]
                + columns.map { Workspace.summary(values(g, $0.0, $0.1)) + marks(g, $0.0, $0.1) }
        }
        var tables = [Table(header: header, rows: rows, rightAligned: Set(1..<header.count))]
        var differences: [[String]] = []
        for triple in options.star {
            let x = column(triple[0])
            for other in triple.dropFirst() {
                let o = column(other)
                differences.append(["\(triple[0]) − \(other)"] + columns.map { task, metric in
                    let d = Statistics.mean(values(x, task, metric)) - Statistics.mean(values(o, task, metric))
                    return String(format: "%+.4f", d) + (pValue(x, o, task, metric).map { "  " + Workspace.formatP($0) } ?? "")
                })
            }
        }
        if !differences.isEmpty {
            tables.append(Table(header: ["difference of means"] + header.dropFirst(2), rows: differences,
                                rightAligned: Set(1..<header.count - 1)))
        }
        return tables
    }

    /// † on the best `best` column, * where `star` holds.
    private func marks(_ g: Int, _ task: String, _ metric: String) -> String {
        var m = ""
        let label = groups[g].label
        if options.best.contains(label) {
            let better = Comparison.higherIsBetter(metric)
            let means = options.best.map { Statistics.mean(values(column($0), task, metric)) }
            let mine = Statistics.mean(values(g, task, metric))
            if let top = better ? means.max() : means.min(), mine == top { m += " †" }
        }
        if let triple = options.star.first(where: { $0[0] == label }), beatsAll(g, triple.dropFirst().map(column), task, metric) {
            m += " *"
        }
        return m
    }

    /// Better mean than every other column, each at two-sided p < 0.05.
    func beatsAll(_ g: Int, _ others: [Int], _ task: String, _ metric: String) -> Bool {
        let better = Comparison.higherIsBetter(metric)
        let mine = Statistics.mean(values(g, task, metric))
        return others.allSatisfy { o in
            let theirs = Statistics.mean(values(o, task, metric))
            guard better ? mine > theirs : mine < theirs, let p = pValue(g, o, task, metric) else { return false }
            return p < 0.05
        }
    }

    func legend() -> [String] {
        var lines: [String] = []
        let repeated = groups.contains { $0.results.count > 1 }
        let test = options.paired ? "paired t-test over seeds" : "Welch t-test"
        if repeated { lines.append("mean ± sample std over runs" + (groups.count <= 3 && groups.count > 1 ? "; p: two-sided \(test) against \(groups[0].label)" : "")) }
        if !options.best.isEmpty { lines.append("†: best of " + options.best.joined(separator: ", ") + " (AUC higher, Logloss lower is better)") }
        if !options.star.isEmpty {
            lines.append("*: better than " + options.star.map { "\($0.dropFirst().joined(separator: " and ")) for \($0[0])" }.joined(separator: "; ")
                         + " at p < 0.05 (two-sided \(test))")
        }
        return lines
    }
}

extension Table {
    /// A GitHub-flavoured Markdown table (pipes in cells escaped).
    var markdown: String {
        func line(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
        }
        let rule = "|" + header.indices.map { rightAligned.contains($0) ? " ---: |" : " --- |" }.joined()
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}

extension CommandSpec {
    static let compare = CommandSpec(
        "compare",
        params: [
            ParamSpec("metric", .choice(["all"] + metricNames), default: .word("all"), "Which metrics to show."),
            ParamSpec("test", .choice(["welch", "paired"]), default: .word("welch"),
                      "Welch's t-test, or the paired t-test over results sharing their index (seed)."),
            ParamSpec("best", .resultList, "Mark the best of these columns per metric with †, e.g. the baselines."),
            ParamSpec("star", .resultList, "[[X, A, B], …]: mark X with * where it beats A and B at p < 0.05."),
            ParamSpec("markdown", .path, "Also write the table(s) to this Markdown file."),
        ],
        variadic: ParamSpec("results", .result, positional: true, required: true,
                            "Results or result groups; @N.NAME is result NAME of past run N ('runs' lists them)."),
        summary: "Side-by-side table; over several seeds: mean ± std and a two-sided t-test (Welch, or paired by seed)."
    ) { a in
        let names = try a.bound.rest.map(a.session.resultReference)
        let metric = try a.word("metric")!
        var options = Workspace.CompareOptions()
        options.paired = try a.word("test")! == "paired"
        options.best = try a.resultNames("best")?.flatMap { $0 } ?? []
        options.star = try a.resultNames("star") ?? []
        options.markdownPath = try a.string("markdown")
        try a.workspace.compare(names, metrics: metric == "all" ? metricNames : [metric], options: options)
    }
}

extension Session {
    /// A `compare` argument as a reference: `esmm`, `esmm[$s]`, or `@12.esmm` (checked against the
    /// registry here, so a bad run or name is reported at the argument).
    func resultReference(_ e: Expr) throws -> ResultReference {
        var run: Int64?
        var nameExpr = e
        if case .runResult(let id, let inner, _) = e { (run, nameExpr) = (id, inner) }
        let v = try evaluate(nameExpr)
        guard let r = Arguments.resultName(v) else {
            throw ScriptError.wrongType(argument: "results", expected: "a result name", found: v.typeName, at: e.range)
        }
        let ref = ResultReference(base: r.base, index: r.index, run: run)
        if run != nil {
            do { _ = try workspace.resolve(ref) } catch let error as WorkspaceError {
                throw Session.scriptError(error, command: "compare", at: e.range)
            }
        }
        return ref
    }
}

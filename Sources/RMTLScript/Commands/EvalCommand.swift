import RMTL

extension CommandSpec {
    static let eval = CommandSpec(
        "eval",
        params: [
            ParamSpec("split", .choice(["test", "val"]), default: .word("test"), positional: true, "Which part to score."),
            ParamSpec("as", .newResult, required: true, keyword: "as", "Name to store the result under."),
        ],
        needs: [.trainedActor, .splits],
        summary: "AUC, Logloss and s-Logloss per task, stored under a name.",
        details: TaskMetrics.definitions,
        effect: storesResult
    ) { a in
        let r = try a.result("as")!
        try a.workspace.evaluate(split: try a.word("split")!, base: r.base, index: r.index)
    }

    /// The checker learns the result name given with `as`.
    static let storesResult: @Sendable (inout Checker, BoundCommand) -> Void = { checker, b in
        if let e = b.values["as"] { checker.addResult(named: e) }
    }
}

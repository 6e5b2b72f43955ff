import RMTL

/// `export predictions FILE [split=test] [as NAME]`.
extension CommandSpec {
    static let exportPredictions = CommandSpec(
        "export", "predictions",
        params: [
            ParamSpec("file", .path, positional: true, required: true, "The CSV file to write."),
            ParamSpec("split", .choice(["test", "val", "train"]), default: .word("test"), "Which part to score."),
            ParamSpec("as", .newResult, keyword: "as", "Also store the metrics of these predictions under this name, as 'eval' does."),
        ],
        needs: [.trainedActor, .splits],
        summary: "Write one CSV row per example of the split, in the split's order: session, raw keys, time, raw "
            + "categorical values, then per task TASK_label and TASK_pred (the predicted probability).",
        details: ["Recomputed from the file, the metrics equal 'eval' (to 1e-6; scripts/test-export checks it with scikit-learn):"]
            + TaskMetrics.definitions,
        effect: storesResult
    ) { a in
        let r = try a.result("as")
        try a.workspace.exportPredictions(to: try a.string("file")!, split: try a.word("split")!, base: r?.base, index: r?.index)
    }
}

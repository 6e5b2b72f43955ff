/// `plot loss|auc|q [FILE]` and `plot calibration [FILE] [split=test]`.
extension CommandSpec {
    static let plotLoss = plot("loss", "Chart the training loss per epoch (SVG).")
    static let plotAUC = plot("auc", "Chart the validation AUC per task per epoch (SVG).")
    static let plotQ = plot("q", "Chart the critics' mean Q per epoch (SVG).")

    private static func plot(_ what: String, _ summary: String) -> CommandSpec {
        CommandSpec("plot", what, params: [ParamSpec("file", .path, positional: true, "Also write the SVG here.")],
                    summary: summary) { a in try a.workspace.plot(what, file: try a.string("file")) }
    }

    static let plotCalibration = CommandSpec(
        "plot", "calibration",
        params: [ParamSpec("file", .path, positional: true, "Also write the SVG here."),
                 ParamSpec("split", .choice(["test", "val", "train"]), default: .word("test"), "Which part to score.")],
        needs: [.trainedActor, .splits],
        summary: "Chart the actor's calibration per task (reliability diagram, SVG): observed positive rate against mean "
            + "predicted probability over 10 equal-count bins, with each task's expected calibration error (ECE).",
        details: ["ECE = Σ over bins (rows in bin / rows) · |observed rate − mean prediction|. Bins are equal-count "
            + "(deciles of the predictions, as sklearn.calibration.calibration_curve(strategy=\"quantile\")): CTR "
            + "predictions crowd near 0, where equal-width bins would leave the chart empty."]
    ) { a in try a.workspace.plotCalibration(split: try a.word("split")!, file: try a.string("file")) }
}

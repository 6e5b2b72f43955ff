/// `plot loss|auc|q [FILE]`.
extension CommandSpec {
    static let plotLoss = plot("loss", "Chart the training loss per epoch (SVG).")
    static let plotAUC = plot("auc", "Chart the validation AUC per task per epoch (SVG).")
    static let plotQ = plot("q", "Chart the critics' mean Q per epoch (SVG).")

    private static func plot(_ what: String, _ summary: String) -> CommandSpec {
        CommandSpec("plot", what, params: [ParamSpec("file", .path, positional: true, "Also write the SVG here.")],
                    summary: summary) { a in try a.workspace.plot(what, file: try a.string("file")) }
    }
}

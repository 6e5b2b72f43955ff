/// `predict FILE to OUT`.
extension CommandSpec {
    static let predict = CommandSpec(
        "predict",
        params: [
            ParamSpec("file", .path, positional: true, required: true,
                      "A CSV with the loaded source's feature columns (labels, session and time may be missing)."),
            ParamSpec("to", .path, required: true, keyword: "to", "The CSV file to write."),
        ],
        needs: [.trainedActor, .splits],
        summary: "Score a new file with the trained encoders and actor: its raw keys and features, then TASK_pred per task.",
        details: ["Values never seen in training get the field's unseen id, exactly as validation and test rows do, "
            + "and are counted in a note. A missing feature column is an error at the file's header line. "
            + "Only data loaded with 'load csv' can be scored this way."]
    ) { a in try a.workspace.predict(file: try a.string("file")!, to: try a.string("to")!) }
}

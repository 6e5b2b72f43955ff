/// `predict FILE to OUT`.
extension CommandSpec {
    static let predict = CommandSpec(
        "predict",
        params: [
            ParamSpec("file", .path, positional: true, required: true,
                      "A file of the loaded source's shape: a CSV with the feature columns (load csv), an events file "
                      + "(retailrocket), a file like train.csv (rmtl), a log (kuairand); labels may be missing."),
            ParamSpec("to", .path, required: true, keyword: "to", "The CSV file to write."),
        ],
        needs: [.trainedActor, .splits],
        summary: "Score a new file with the trained encoders and actor: its raw keys and features, then TASK_pred per task.",
        details: ["Values never seen in training get the field's unseen id, exactly as validation and test rows do, "
            + "and are counted in a note. A missing feature column is an error at the file's header line.",
            "retailrocket: events (timestamp, visitorid, itemid; event optional, every row a view without it) with the "
            + "loaded folder's item properties, cut into sessions as at load and collapsed to one row per (session, item). "
            + "rmtl: rows like train.csv (click, pay optional) with the folder's item_feadf.csv. kuairand: a log "
            + "(labels optional) joined with the folder's user and video tables; for these two, rows whose item, user or "
            + "video has no feature row are left out as at load, and counted in a note."]
    ) { a in try a.workspace.predict(file: try a.string("file")!, to: try a.string("to")!) }
}

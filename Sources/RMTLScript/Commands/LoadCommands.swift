import RMTL

/// `load retailrocket|rmtl|kuairand DIR` and `load csv FILE …`.
extension CommandSpec {
    static let loadRetailRocket = loadFolder(
        "retailrocket", "Folder with events.csv and item properties.", produces: [.data],
        tasks: ["ctr", "ctcvr"], summary: "Load raw RetailRocket Kaggle files (tasks ctr, ctcvr).")
    static let loadProcessed = loadFolder(
        "rmtl", "Folder with train/val/test.csv and item_feadf.csv.", produces: [.data, .sessions, .splits],
        tasks: ["ctr", "ctcvr"], summary: "Load the authors' processed layout (tasks ctr, ctcvr; already split).")
    static let loadKuaiRand = loadFolder(
        "kuairand", "Folder with the KuaiRand-1K files.", produces: [.data], tasks: nil,
        summary: "Load raw KuaiRand-1K files.")

    /// What new data invalidates: sessions, splits and every model built over them.
    static let dataDependents: [StateFlag] = [.sessions, .splits, .actor, .trainedActor, .critic, .trainedCritic]

    private static func loadFolder(_ format: String, _ help: String, produces: [StateFlag], tasks: [String]?,
                                   summary: String) -> CommandSpec {
        CommandSpec(
            "load", format, params: [ParamSpec("dir", .path, positional: true, required: true, help)],
            produces: produces, removes: dataDependents, summary: summary, effect: { checker, _ in checker.state.taskNames = tasks }
        ) { a in try a.workspace.load(format: format, path: try a.string("dir")!) }
    }

    static let loadCSV = CommandSpec(
        "load", "csv",
        params: [
            ParamSpec("file", .path, positional: true, required: true, "The table."),
            ParamSpec("cat", .nameList, default: .list([]), "Categorical columns."),
            ParamSpec("num", .nameList, default: .list([]), "Numeric columns."),
            ParamSpec("labels", .labelMap, required: true, "Task name = 0/1 label column."),
            ParamSpec("session", .any, "Session column."),
            ParamSpec("time", .any, "Time column (Unix milliseconds)."),
            ParamSpec("sep", .choice(CSVLoadOptions.separatorNames), default: .word("comma"), "Field separator."),
            ParamSpec("scale", .choice(["none", "log"]), default: .word("none"),
                      "Numeric columns as read, or sign(x)·log(1 + |x|) for counts and durations."),
        ],
        produces: [.data], removes: dataDependents, summary: "Load any CSV/TSV table.",
        effect: { checker, b in
            if case .list(let items, _)? = b.values["labels"] {
                checker.state.taskNames = items.compactMap { if case .pair(let n, _, _) = $0 { return n.text } else { return nil } }
            } else {
                checker.state.taskNames = nil
            }
        }
    ) { a in
        // the checker admitted only the separators `sep` declares
        var options = CSVLoadOptions(
            categorical: try a.nameList("cat") ?? [], numeric: try a.nameList("num") ?? [],
            labels: (try a.pairs("labels") ?? []).map { CSVLoadOptions.Label(task: $0.0, column: $0.1) },
            session: try a.value("session")?.text, time: try a.value("time")?.text,
            separator: CSVLoadOptions.separator(named: try a.word("sep")!)!)
        options.logNumeric = try a.word("scale")! == "log"
        try a.workspace.load(format: "csv", path: try a.string("file")!, csv: options)
    }
}

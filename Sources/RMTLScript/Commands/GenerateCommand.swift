import RMTL

extension CommandSpec {
    static let generateRetailRocket = CommandSpec(
        "generate", "retailrocket",
        params: [
            ParamSpec("dir", .path, positional: true, required: true, "Folder to write the raw files to."),
            ParamSpec("events", .setting(.integer(1...SyntheticRetailRocket.maximumEvents)), default: .number(2_700_000), "Number of events."),
            ParamSpec("seed", .integer(min: 0), "Generator seed (default: the workspace seed)."),
        ],
        summary: "Write synthetic raw RetailRocket files (Kaggle format) with learnable signal."
    ) { a in
        try a.workspace.generateRetailRocket(directory: try a.string("dir")!, events: try a.integer("events")!,
                                             seed: try a.integer("seed").map(UInt64.init))
    }
}

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

extension CommandSpec {
    static let generateKuaiRand = CommandSpec(
        "generate", "kuairand",
        params: [
            ParamSpec("dir", .path, positional: true, required: true, "Folder to write the raw files to."),
            ParamSpec("rows", .setting(.integer(1...SyntheticKuaiRand.maximumRows)), default: .number(Double(SyntheticKuaiRand.realRows)),
                      "Rows of the two standard logs together (the random log gets 0.37% as many)."),
            ParamSpec("users", .setting(.integer(1...SyntheticKuaiRand.maximumUsers)), default: .number(Double(SyntheticKuaiRand.realUsers)), "Users."),
            ParamSpec("videos", .setting(.integer(1...SyntheticKuaiRand.maximumVideos)), default: .number(Double(SyntheticKuaiRand.realVideos)), "Videos."),
            ParamSpec("seed", .integer(min: 0), "Generator seed (default: the workspace seed)."),
        ],
        summary: "Write synthetic raw KuaiRand-1K files (its logs and feature tables) with learnable signal."
    ) { a in
        try a.workspace.generateKuaiRand(directory: try a.string("dir")!, rows: try a.integer("rows")!, users: try a.integer("users")!,
                                         videos: try a.integer("videos")!, seed: try a.integer("seed").map(UInt64.init))
    }
}

extension CommandSpec {
    static let split = CommandSpec(
        "split",
        params: [
            ParamSpec("mode", .choice(["time", "preset"]), default: .word("time"), positional: true,
                      "By time, or the parts the source already has (the processed layout's files)."),
            ParamSpec("train", .fraction, default: .number(0.6), positional: true, "Training fraction."),
            ParamSpec("val", .fraction, default: .number(0.2), positional: true, "Validation fraction."),
            ParamSpec("test", .fraction, default: .number(0.2), positional: true, "Test fraction."),
            ParamSpec("keep_sessions", .bool, default: .bool(true), "Keep each session in one part."),
            ParamSpec("by", .any, "Split by this column's values (train/val/test or 0/1/2) instead."),
        ],
        needs: [.data], produces: [.sessions, .splits], removes: [.actor, .trainedActor, .critic, .trainedCritic], rules: [.sumsToOne(["train", "val", "test"], as: "split")],
        summary: "Split into train/val/test (fractions sum to 1); encoders are fit on train."
    ) { a in
        try a.workspace.split(mode: try a.word("mode")!, train: try a.number("train")!, validation: try a.number("val")!,
                              test: try a.number("test")!, keepSessions: try a.bool("keep_sessions")!,
                              byColumn: try a.value("by")?.text)
    }
}

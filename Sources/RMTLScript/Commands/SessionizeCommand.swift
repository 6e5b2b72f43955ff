import RMTL

extension CommandSpec {
    static let sessionize = CommandSpec(
        "sessionize",
        params: [
            ParamSpec("gap", .duration, default: .duration(Double(DataPipeline.defaultGap) / 1000), "Inactivity gap that ends a session."),
            ParamSpec("by", .any, "Take sessions from this column instead."),
        ],
        needs: [.data], produces: [.sessions], removes: [.splits, .actor, .trainedActor, .critic, .trainedCritic], rules: [.exclusive("gap", "by")],
        summary: "Cut sessions by an inactivity gap, or take a column."
    ) { a in
        try a.workspace.sessionize(gap: try a.duration("gap")!, byColumn: try a.value("by")?.text)
    }
}

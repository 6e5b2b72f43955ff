extension CommandSpec {
    static let runs = CommandSpec(
        "runs",
        params: [
            ParamSpec("last", .integer(min: 1), default: .number(20), "Show at most this many runs, newest first."),
            ParamSpec("script", .path, "Only runs whose script path contains this text (\"<prompt>\" for prompt sessions)."),
            ParamSpec("status", .choice(RunRegistry.statuses), "Only runs with this status."),
            ParamSpec("result", .any, "Only runs that stored a result of this name or group."),
        ],
        summary: "List past runs from the run registry (.rmtl/runs.sqlite): status, time, script, results."
    ) { a in
        try a.workspace.listRuns(RunRegistry.Filter(last: try a.integer("last"), script: try a.string("script"),
                                                    status: try a.word("status"), result: try a.value("result")?.text))
    }
}

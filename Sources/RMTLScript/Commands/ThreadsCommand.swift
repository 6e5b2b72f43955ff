extension CommandSpec {
    static let threads = CommandSpec(
        "threads",
        params: [ParamSpec("count", .integer(min: 1), positional: true, required: true, "Worker threads.")],
        summary: "Set the number of worker threads (default: all cores)."
    ) { a in a.workspace.setThreads(try a.integer("count")!) }
}

extension CommandSpec {
    static let report = CommandSpec(
        "report", params: [ParamSpec("file", .path, positional: true, required: true, "The HTML file to write.")],
        summary: "Write a self-contained page: every command, its output, tables and charts."
    ) { a in try a.session.writeReport(to: try a.string("file")!) }
}

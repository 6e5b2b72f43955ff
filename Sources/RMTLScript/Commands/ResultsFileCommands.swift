/// `export results FILE` and `import results FILE`.
extension CommandSpec {
    static let exportResults = CommandSpec(
        "export", "results",
        params: [ParamSpec("file", .path, positional: true, required: true, "The JSON file to write.")],
        summary: "Write every named result with seed, config and data fingerprint as JSON."
    ) { a in try a.workspace.exportResults(to: try a.string("file")!) }

    static let importResults = CommandSpec(
        "import", "results",
        params: [ParamSpec("file", .path, positional: true, required: true, "A JSON file written by 'export results' or --results.")],
        summary: "Read named results from an 'export results' file (another run, machine or CI job), to compare with.",
        effect: { checker, _ in checker.state.resultsUnknown = true }
    ) { a in try a.workspace.importResults(from: try a.string("file")!) }
}

extension CommandSpec {
    static let seed = CommandSpec(
        "seed",
        params: [ParamSpec("value", .integer(min: 0), positional: true, required: true, "The seed.")],
        summary: "Seed data order, initialisation, dropout and replay sampling (default 2022)."
    ) { a in a.workspace.setSeed(UInt64(try a.integer("value")!)) }
}

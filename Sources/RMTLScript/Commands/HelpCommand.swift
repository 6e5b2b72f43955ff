extension CommandSpec {
    static let help = CommandSpec(
        "help",
        params: [
            ParamSpec("topic", .any, positional: true, "A command."),
            ParamSpec("sub", .any, positional: true, "Its second word (help train actor)."),
        ],
        summary: "List the commands, or describe one."
    ) { a in a.session.write(Help.text(topic: try a.value("topic")?.text, sub: try a.value("sub")?.text)) }

    static let quit = CommandSpec("quit", summary: "Leave the prompt (Ctrl-D also does).") { a in a.session.requestQuit() }
}

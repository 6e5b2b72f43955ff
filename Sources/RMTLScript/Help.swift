/// `help` and `help COMMAND`, generated from `commandTable`.
public enum Help {
    static let keywordHelp: [(String, String, String)] = [
        ("let", "let NAME = VALUE", "Bind a variable; use it as $NAME. A --set NAME=VALUE on the command line wins."),
        ("for", "for NAME in [A, B, …] { … }", "Run the block once per value, with $NAME bound to it; "
            + "a count runs 1…n: for s in $seeds { … }. Name results from it: eval test as rmtl_$m[$s]."),
        ("if", "if EXPR { … } else if EXPR { … } else { … }", "Run the first block whose condition holds; "
            + "'else' goes on the line of the closing '}'. rmtl check checks every branch."),
        ("include", "include \"file.rmtl\"", "Run another script here (path relative to this file, then stdlib/)."),
        ("assert", "assert EXPR", "Fail the run unless EXPR holds: < <= > >= == !=, and, or, + - * /, (…), "
            + "result paths such as esmm.ctr.auc (a group gives its mean)."),
    ]

    public static func text(topic: String?, sub: String?) -> String {
        guard let topic else { return overview() }
        if let k = keywordHelp.first(where: { $0.0 == topic }) { return "\(k.1)\n  \(k.2)" }
        var specs = commandTable.filter { $0.verb == topic && !$0.isHidden }
        if specs.isEmpty { specs = commandTable.filter { $0.sub == topic && !$0.isHidden } }
        if let sub { specs = specs.filter { $0.sub == sub } }
        if specs.isEmpty { return "no command '\(topic)\(sub.map { " " + $0 } ?? "")'; type 'help' for the list" }
        return specs.map(describe).joined(separator: "\n\n")
    }

    static func overview() -> String {
        var lines = ["commands:"]
        let visible = commandTable.filter { !$0.isHidden }
        let width = visible.map(\.id.count).max() ?? 0
        for c in visible {
            lines.append("  " + c.id.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + c.summary)
        }
        lines.append("statements:")
        for k in keywordHelp { lines.append("  " + k.1) }
        lines.append("type 'help COMMAND' for its arguments and defaults; Ctrl-C stops a command, Ctrl-D leaves")
        return lines.joined(separator: "\n")
    }

    static func describe(_ c: CommandSpec) -> String {
        var lines = [c.usage, "  " + c.summary]
        let params = c.params + (c.variadic.map { [$0] } ?? [])
        if !params.isEmpty {
            let width = params.map(\.name.count).max() ?? 0
            for p in params {
                var line = "  " + p.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + p.type.summary
                if let d = p.defaultValue { line += ", default \(d)" } else if p.isRequired { line += ", required" }
                line += ". " + p.help
                lines.append(line)
            }
        }
        if !c.needs.isEmpty { lines.append("  needs: " + c.needs.map { Diagnostic.describe($0) }.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}

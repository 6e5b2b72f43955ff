/// `help` and `help COMMAND`, generated from the command declarations and `Statement.Keyword`.
public enum Help {
    public static func text(topic: String?, sub: String?) -> String {
        guard let topic else { return overview() }
        return entry(topic: topic, sub: sub) ?? "no command '\(topic)\(sub.map { " " + $0 } ?? "")'; type 'help' for the list"
    }

    /// What `help TOPIC [SUB]` explains, or nil when no command or statement has that name.
    public static func entry(topic: String, sub: String?) -> String? {
        if let k = Statement.Keyword(rawValue: topic), sub == nil { return "\(k.usage)\n  \(k.help)" }
        var specs = commandTable.filter { $0.verb == topic && !$0.isHidden }
        if specs.isEmpty { specs = commandTable.filter { $0.sub == topic && !$0.isHidden } }
        if let sub { specs = specs.filter { $0.sub == sub } }
        return specs.isEmpty ? nil : specs.map(describe).joined(separator: "\n\n")
    }

    /// Every word `help` explains: the visible commands' verbs and the statements.
    public static var topics: [String] {
        var out: [String] = []
        for c in commandTable where !c.isHidden && !out.contains(c.verb) { out.append(c.verb) }
        return out + Statement.Keyword.allCases.map(\.rawValue)
    }

    static func overview() -> String {
        var lines = ["commands:"]
        let visible = commandTable.filter { !$0.isHidden }
        let width = visible.map(\.id.count).max() ?? 0
        for c in visible {
            lines.append("  " + c.id.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + c.summary)
        }
        lines.append("statements:")
        for k in Statement.Keyword.allCases { lines.append("  " + k.usage) }
        lines.append("type 'help COMMAND' for its arguments and defaults; Ctrl-C stops a command, Ctrl-D leaves")
        return lines.joined(separator: "\n")
    }

    /// The usage line, the summary, then one line per argument: its type and range (and unit),
    /// its default, and what it does.
    static func describe(_ c: CommandSpec) -> String {
        var lines = [c.usage, "  " + c.summary]
        let params = c.params + (c.variadic.map { [$0] } ?? [])
        if !params.isEmpty {
            let width = params.map(\.name.count).max() ?? 0
            for p in params {
                let type = if case .setting(let d) = p.type { d.summary } else { p.type.summary }
                var line = "  " + p.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + type
                if let unit = p.unit { line += " (\(unit))" }
                if let d = p.defaultValue { line += ", default \(d)" }
                else if let note = p.defaultNote { line += ", default: \(note)" }
                else if p.isRequired { line += ", required" }
                line += ". " + p.help
                lines.append(line)
            }
        }
        if !c.needs.isEmpty { lines.append("  needs: " + c.needs.map { Diagnostic.describe($0) }.joined(separator: ", ")) }
        lines += c.details.map { "  " + $0 }
        return lines.joined(separator: "\n")
    }

    /// docs/commands.md: every visible command with each argument's type, range, default and
    /// meaning, from the same declarations as `help` (a test keeps the file in step).
    public static func markdown() -> String {
        var lines = ["# Command reference", "",
                     "Generated from the command declarations in `Sources/RMTLScript/Commands/` (the same text as `help COMMAND`);",
                     "`RMTL_UPDATE_DOCS=1 scripts/test --filter commandReference` rewrites it.", ""]
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        for c in commandTable where !c.isHidden {
            lines += ["## `\(c.id)`", "", "`\(c.usage)`", "", c.summary, ""]
            let params = c.params + (c.variadic.map { [$0] } ?? [])
            if !params.isEmpty {
                lines += ["| argument | accepts | default | meaning |", "|---|---|---|---|"]
                for p in params {
                    var type = if case .setting(let d) = p.type { d.summary } else { p.type.summary }
                    if let unit = p.unit { type += " (\(unit))" }
                    let given = p.defaultValue.map { "`\($0)`" } ?? p.defaultNote ?? (p.isRequired ? "required" : "unset")
                    lines.append("| `\(p.name)` | \(cell(type)) | \(cell(given)) | \(cell(p.help)) |")
                }
                lines.append("")
            }
            if !c.needs.isEmpty { lines += ["Needs " + c.needs.map { Diagnostic.describe($0) }.joined(separator: ", ") + ".", ""] }
            for d in c.details { lines += [d, ""] }
        }
        return lines.joined(separator: "\n")
    }
}

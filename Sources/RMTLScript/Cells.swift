/// A script cut into cells by `# %%` markers, the percent format that Jupytext, VS Code and
/// Spyder read: `# %%` starts a code cell, `# %% [markdown]` a cell of `#` comment lines that are
/// Markdown prose. To the language the markers and the prose are comments.
public struct ScriptCell: Sendable, Equatable {
    public enum Kind: String, Sendable { case code, markdown }
    public var kind: Kind
    /// Code as written; Markdown without the comment's `# `.
    public var text: String
    /// The script line of the cell's first line.
    public var firstLine: Int

    public init(kind: Kind, text: String, firstLine: Int = 1) {
        self.kind = kind
        self.text = text
        self.firstLine = firstLine
    }

    /// Cells of `script`. Text before the first marker is a code cell; leading and trailing blank
    /// lines are not part of a cell, and blank cells are left out.
    public static func split(_ script: String) -> [ScriptCell] {
        var cells: [ScriptCell] = []
        var kind = Kind.code, lines: [Substring] = [], first = 1
        func flush() {
            var start = 0, end = lines.count
            while start < end, lines[start].allSatisfy(\.isWhitespace) { start += 1 }
            while end > start, lines[end - 1].allSatisfy(\.isWhitespace) { end -= 1 }
            let body = lines[start..<end].map { kind == .markdown ? uncomment($0) : String($0) }
            if !body.isEmpty { cells.append(ScriptCell(kind: kind, text: body.joined(separator: "\n"), firstLine: first + start)) }
        }
        for (i, raw) in script.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.last == "\r" ? raw.dropLast() : raw
            if let markerKind = marker(line) {
                flush()
                kind = markerKind
                lines = []
                first = i + 2
            } else {
                lines.append(line)
            }
        }
        flush()
        return cells
    }

    /// `.code` or `.markdown` when `line` is a cell marker (`# %%`, `# %% title`, `# %% [markdown]`).
    static func marker(_ line: Substring) -> Kind? {
        let t = line.drop { $0 == " " || $0 == "\t" }
        guard t.hasPrefix("# %%") || t.hasPrefix("#%%") else { return nil }
        let rest = t.drop { $0 != "%" }.dropFirst(2)
        if let next = rest.first, next == "%" { return nil }  // `# %%%` is not a marker
        return rest.contains("[markdown]") || rest.contains("[md]") ? .markdown : .code
    }

    static func uncomment(_ line: Substring) -> String {
        if line.hasPrefix("# ") { return String(line.dropFirst(2)) }
        if line.hasPrefix("#") { return String(line.dropFirst()) }
        return String(line)
    }

    /// The script of `cells`: each behind its marker, Markdown as `# ` comment lines, a blank
    /// line between cells.
    public static func join(_ cells: [ScriptCell]) -> String {
        cells.map { c in
            switch c.kind {
            case .code: return "# %%\n" + c.text
            case .markdown:
                let lines = c.text.split(separator: "\n", omittingEmptySubsequences: false)
                return "# %% [markdown]\n" + lines.map { $0.isEmpty ? "#" : "# " + $0 }.joined(separator: "\n")
            }
        }.joined(separator: "\n\n") + "\n"
    }
}

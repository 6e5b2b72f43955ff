import Foundation
import RMTLScript

/// The pure parts of the shell requests: completion, inspection and `is_complete`. Cursor
/// positions are counted in Unicode code points, as the messaging protocol (5.2+) says.
public enum KernelRequests {
    /// Where the prompt's readline breaks words (see `Completion.candidates`).
    static let wordBreaks: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r", "\"", "=", "$", "(", "[", ",", "{"]

    static func text(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars)
        return String(s)
    }

    /// The prompt's candidates for the word that ends at `cursor`; `start...end` is the code-point
    /// range the client replaces with a match.
    public static func complete(code: String, cursor: Int, context: Completion.Context,
                                directory: String = FileManager.default.currentDirectoryPath)
        -> (matches: [String], start: Int, end: Int) {
        let scalars = Array(code.unicodeScalars)
        let end = max(0, min(cursor, scalars.count))
        var start = end
        while start > 0, !wordBreaks.contains(scalars[start - 1]) { start -= 1 }
        let prefix = text(scalars[start..<end])
        let before = text(scalars[..<start])
        switch Completion.candidates(line: before, start: before.utf8.count, prefix: prefix, context: context) {
        case .words(let words): return (words, start, end)
        case .files: return (files(prefix, in: directory), start, end)
        }
    }

    /// What a completion is, for the front end's icon (JupyterLab's `_jupyter_types_experimental`).
    public static func kind(of match: String, context: Completion.Context) -> String {
        if match.hasSuffix("=") { return "param" }
        if match.hasSuffix("/") || match.contains(".") && !context.results.contains(match) { return "path" }
        if keywords.contains(match) { return "keyword" }
        if Commands.verbs().contains(match) || Commands.verbs().contains(where: { Commands.subs(of: $0).contains(match) }) {
            return "function"
        }
        if context.variables.contains(match) || context.results.contains(match) { return "variable" }
        return "text"
    }

    /// File and folder names (folders with a trailing `/`) that start with `prefix`, a path
    /// relative to `directory` or absolute.
    static func files(_ prefix: String, in directory: String) -> [String] {
        let slash = prefix.lastIndex(of: "/")
        let folder = slash.map { String(prefix[...$0]) } ?? ""
        let stem = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        let path = folder.hasPrefix("/") ? folder : (directory as NSString).appendingPathComponent(folder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path.isEmpty ? "." : path) else { return [] }
        return names.filter { $0.hasPrefix(stem) && (stem.hasPrefix(".") || !$0.hasPrefix(".")) }.sorted().map { name in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(name), isDirectory: &isDirectory)
            return folder + name + (exists && isDirectory.boolValue ? "/" : "")
        }
    }

    /// What the word under the cursor is: a command's help (`train` in `help train`, `train
    /// actor` with the cursor on either word), a variable's value (`$lambda`), or a result's metrics.
    public static func inspect(code: String, cursor: Int, session: Session) -> String? {
        let scalars = Array(code.unicodeScalars)
        let at = max(0, min(cursor, scalars.count))
        var start = at, end = at
        let breaks = wordBreaks.union(["]", ")", "}"])
        while start > 0, !breaks.contains(scalars[start - 1]) { start -= 1 }
        while end < scalars.count, !breaks.contains(scalars[end]) { end += 1 }
        if start == end, start > 0 {  // cursor just after a word's end, e.g. `help train|`
            end = start - 1
            start = end
        }
        let word = text(scalars[start..<end])
        let base = String(word.split(separator: ".").first ?? "")
        if start > 0, scalars[start - 1] == "$" {
            guard let v = session.variables[word] else { return nil }
            return "$\(word) = \(v.description)  (\(v.typeName))"
        }
        // the statement's words before the cursor's, on its line
        var lineStart = start
        while lineStart > 0, scalars[lineStart - 1] != "\n" { lineStart -= 1 }
        let head = text(scalars[lineStart..<start]).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let verb = head.first.map { $0 == "help" ? head.dropFirst().first ?? word : $0 } ?? word
        if verb != word, let help = Help.entry(topic: verb, sub: word) { return help }
        if let help = Help.entry(topic: word, sub: nil) {
            // `train` with a following sub-command word (`train actor`): that one's help
            let after = text(scalars[end...])
            let next = after.split(whereSeparator: { $0 == " " || $0 == "\n" }).first.map(String.init)
            if let next, let sub = Help.entry(topic: word, sub: next) { return sub }
            return help
        }
        if let v = session.variables[word] { return "$\(word) = \(v.description)  (\(v.typeName))" }
        let results = session.workspace.results(named: base)
        if !results.isEmpty { return summary(results) }
        return nil
    }

    static func summary(_ results: [EvalResult]) -> String {
        var rows: [[String]] = []
        for r in results {
            for t in r.tasks {
                rows.append([r.name, r.model ?? "", String(r.seed), r.split, t.task,
                             String(format: "%.4f", t.auc), String(format: "%.4f", t.logLoss), String(format: "%.4f", t.sessionLogLoss)])
            }
        }
        return Table(header: ["result", "model", "seed", "split", "task", "auc", "logloss", "s-logloss"],
                     rows: rows, rightAligned: [2, 5, 6, 7]).rendered()
    }

    /// `complete`, `incomplete` with the indent for the next line (an open `{` block, a string or
    /// a `\` continuation), or `invalid` (a syntax error more input cannot fix).
    public static func isComplete(_ code: String) -> (status: String, indent: String?) {
        let file = SourceFile(name: "cell", text: code)
        let (_, errors) = Parser.parse(file)
        let tokens = Lexer.lex(file).tokens
        if errors.contains(where: \.isIncompleteInput) {
            var depth = 0
            for t in tokens {
                if t.kind == .leftBrace { depth += 1 } else if t.kind == .rightBrace { depth = max(0, depth - 1) }
            }
            return ("incomplete", String(repeating: "    ", count: depth))
        }
        return (errors.isEmpty ? "complete" : "invalid", nil)
    }
}

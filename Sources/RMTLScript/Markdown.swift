import Foundation

/// Markdown to HTML for the prose cells of a report: headings, paragraphs, `-`/`*`/`1.` lists,
/// fenced code, and inline `code`, **bold**, *emphasis* and [links](url). Enough for notes
/// between experiments; anything else shows as text, escaped.
public enum Markdown {
    public static func html(_ text: String) -> String {
        var out: [String] = []
        var paragraph: [String] = [], list: [String] = [], listTag = "ul"
        var code: [String]?
        func flushParagraph() {
            if !paragraph.isEmpty { out.append("<p>" + inline(paragraph.joined(separator: " ")) + "</p>") }
            paragraph = []
        }
        func flushList() {
            if !list.isEmpty { out.append("<\(listTag)>" + list.map { "<li>\(inline($0))</li>" }.joined() + "</\(listTag)>") }
            list = []
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                if let lines = code {
                    out.append("<pre><code>" + Session.escape(lines.joined(separator: "\n")) + "</code></pre>")
                    code = nil
                } else {
                    flushParagraph(); flushList()
                    code = []
                }
                continue
            }
            if code != nil { code?.append(line); continue }
            if trimmed.isEmpty { flushParagraph(); flushList(); continue }
            let hashes = trimmed.prefix { $0 == "#" }.count
            if (1...6).contains(hashes), trimmed.dropFirst(hashes).first == " " {
                flushParagraph(); flushList()
                out.append("<h\(hashes)>" + inline(String(trimmed.dropFirst(hashes + 1))) + "</h\(hashes)>")
            } else if trimmed.hasPrefix("- ") || trimmed.hasPrefix("* ") {
                flushParagraph()
                if listTag != "ul" { flushList() }
                listTag = "ul"
                list.append(String(trimmed.dropFirst(2)))
            } else if let dot = trimmed.firstIndex(of: "."), dot > trimmed.startIndex,
                      trimmed[..<dot].allSatisfy(\.isNumber), trimmed[dot...].hasPrefix(". ") {
                flushParagraph()
                if listTag != "ol" { flushList() }
                listTag = "ol"
                list.append(String(trimmed[trimmed.index(dot, offsetBy: 2)...]))
            } else if !list.isEmpty, line.hasPrefix("  ") {
                list[list.count - 1] += " " + trimmed  // a list item's continuation line
            } else {
                flushList()
                paragraph.append(trimmed)
            }
        }
        if let lines = code { out.append("<pre><code>" + Session.escape(lines.joined(separator: "\n")) + "</code></pre>") }
        flushParagraph(); flushList()
        return out.joined(separator: "\n")
    }

    /// Escapes, then marks up code spans (left as they are inside), bold, emphasis and links.
    static func inline(_ text: String) -> String {
        var out = "", rest = Substring(text)
        while let tick = rest.firstIndex(of: "`") {
            out += spans(Session.escape(String(rest[..<tick])))
            let after = rest[rest.index(after: tick)...]
            guard let close = after.firstIndex(of: "`") else { rest = rest[tick...]; break }
            out += "<code>" + Session.escape(String(after[..<close])) + "</code>"
            rest = after[after.index(after: close)...]
        }
        return out + spans(Session.escape(String(rest)))
    }

    private static func spans(_ s: String) -> String {
        var s = replace(s, open: "**", close: "**") { "<strong>\($0)</strong>" }
        s = replace(s, open: "*", close: "*") { "<em>\($0)</em>" }
        // [text](url): only http(s) and relative links, never javascript:
        var out = "", rest = Substring(s)
        while let open = rest.firstIndex(of: "["), let mid = rest[open...].range(of: "]("),
              let close = rest[mid.upperBound...].firstIndex(of: ")") {
            let label = rest[rest.index(after: open)..<mid.lowerBound]
            let url = String(rest[mid.upperBound..<close])
            out += rest[..<open]
            if url.lowercased().hasPrefix("javascript:") || url.contains("\"") {
                out += rest[open...close]
            } else {
                out += "<a href=\"\(url)\">\(label)</a>"
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    private static func replace(_ s: String, open: String, close: String, _ wrap: (String) -> String) -> String {
        var out = "", rest = Substring(s)
        while let a = rest.range(of: open), let b = rest[a.upperBound...].range(of: close), b.lowerBound > a.upperBound {
            out += rest[..<a.lowerBound] + wrap(String(rest[a.upperBound..<b.lowerBound]))
            rest = rest[b.upperBound...]
        }
        return out + rest
    }
}

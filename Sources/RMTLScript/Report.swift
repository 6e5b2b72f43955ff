import Foundation

/// `report "file.html"`: a self-contained, notebook-like page of the session so far: every
/// command, its output, tables as HTML tables, charts as inline SVG. No scripts, no external files.
extension Session {
    public func writeReport(to path: String) throws {
        let html = Session.renderReport(transcript, prose: prose, workspace: workspace)
        try Workspace.writeAtomically(Data(html.utf8), to: path)
        workspace.recorder?.artifactWritten(kind: "report", path: path)
        write("wrote report to \(path) (\(transcript.count) entries)")
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    public static func renderReport(_ entries: [Entry], prose: [ReportProse] = [], workspace w: Workspace) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <title>rmtl report</title>
        <style>
        body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
        .cell{border-left:3px solid #ccc;margin:1.2em 0;padding-left:.8em}
        .cell.failed{border-left-color:#c33}
        pre{margin:.3em 0;white-space:pre-wrap}
        pre.src{background:#f4f4f4;padding:.4em .6em;border-radius:4px}
        pre.err{color:#a00}
        .where{color:#888;font-size:.8em}
        .prose{margin:1.6em 0 .4em}
        .prose code{background:#f4f4f4;padding:0 .2em;border-radius:3px}
        table{border-collapse:collapse;margin:.4em 0;font-variant-numeric:tabular-nums}
        th,td{border-bottom:1px solid #ddd;padding:.2em .7em;text-align:left}
        td.num{text-align:right}
        </style></head><body>
        <h1>rmtl report</h1>

        """
        h += "<p>rmtl \(escape(rmtlVersion)) · seed \(w.seed) · threads \(w.threads)"
        if let fp = w.dataFingerprint { h += " · data \(escape(fp))" }
        h += "</p>\n"
        var pending = prose[...]
        func emitProse(_ p: ReportProse) { h += "<div class=\"prose\">\(Markdown.html(p.markdown))</div>\n" }
        for e in entries {
            while let p = pending.first, p.file == e.file, p.line <= e.line { emitProse(p); pending.removeFirst() }
            h += "<div class=\"cell\(e.error == nil ? "" : " failed")\">"
            h += "<div class=\"where\">\(escape(e.file)):\(e.line)</div>"
            h += "<pre class=\"src\">\(escape(e.source))</pre>\n"
            var text: [String] = []
            func flush() {
                if !text.isEmpty { h += "<pre>\(escape(text.joined(separator: "\n")))</pre>\n" }
                text = []
            }
            for item in e.output {
                switch item {
                case .text(let s): text.append(s)
                case .table(let t):
                    flush()
                    h += t.html() + "\n"
                case .chart(_, let svg):
                    flush()
                    h += "<figure>\(svg)</figure>\n"
                }
            }
            flush()
            if let err = e.error { h += "<pre class=\"err\">\(escape(err))</pre>\n" }
            h += "</div>\n"
        }
        pending.forEach(emitProse)
        h += "</body></html>\n"
        return h
    }
}

/// A Markdown cell shown in a report before the first entry of `file` at or after `line`
/// (notebook cells: line 0 of the next code cell); prose with no such entry closes the report.
public struct ReportProse: Sendable, Equatable {
    public var file: String
    public var line: Int
    public var markdown: String
    public init(file: String, line: Int, markdown: String) {
        self.file = file
        self.line = line
        self.markdown = markdown
    }
}

extension Table {
    /// `<table>` with a header row, aligned as in the terminal: numbers right (class `num`), text
    /// left. Inline styles, because notebook front ends right-align every cell by default.
    public func html() -> String {
        func align(_ i: Int) -> String {
            rightAligned.contains(i) ? " class=\"num\" style=\"text-align:right\"" : " style=\"text-align:left\""
        }
        var h = "<table><tr>" + header.enumerated().map { i, c in "<th\(align(i))>\(Session.escape(c))</th>" }.joined() + "</tr>"
        for row in rows {
            h += "<tr>" + row.enumerated().map { i, c in "<td\(align(i))>\(Session.escape(c))</td>" }.joined() + "</tr>"
        }
        return h + "</table>"
    }
}

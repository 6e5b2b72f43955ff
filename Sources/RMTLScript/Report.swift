import Foundation

/// `report "file.html"`: a self-contained, notebook-like page of the session so far: every
/// command, its output, tables as HTML tables, charts as inline SVG. No scripts, no external files.
extension Session {
    public func writeReport(to path: String) throws {
        let html = Session.renderReport(transcript, workspace: workspace)
        try Workspace.writeAtomically(Data(html.utf8), to: path)
        workspace.recorder?.artifactWritten(kind: "report", path: path)
        write("wrote report to \(path) (\(transcript.count) entries)")
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    public static func renderReport(_ entries: [Entry], workspace w: Workspace) -> String {
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
        table{border-collapse:collapse;margin:.4em 0;font-variant-numeric:tabular-nums}
        th,td{border-bottom:1px solid #ddd;padding:.2em .7em;text-align:left}
        td.num{text-align:right}
        </style></head><body>
        <h1>rmtl report</h1>

        """
        h += "<p>rmtl \(escape(rmtlVersion)) · seed \(w.seed) · threads \(w.threads)"
        if let fp = w.dataFingerprint { h += " · data \(escape(fp))" }
        h += "</p>\n"
        for e in entries {
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
                    h += "<table><tr>" + t.header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
                    for row in t.rows {
                        h += "<tr>" + row.enumerated().map { i, c in
                            "<td\(t.rightAligned.contains(i) ? " class=\"num\"" : "")>\(escape(c))</td>"
                        }.joined() + "</tr>"
                    }
                    h += "</table>\n"
                case .chart(_, let svg):
                    flush()
                    h += "<figure>\(svg)</figure>\n"
                }
            }
            flush()
            if let err = e.error { h += "<pre class=\"err\">\(escape(err))</pre>\n" }
            h += "</div>\n"
        }
        h += "</body></html>\n"
        return h
    }
}

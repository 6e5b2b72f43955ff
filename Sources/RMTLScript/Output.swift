/// A table of text cells; rendered aligned in the terminal and as `<table>` in reports.
public struct Table: Sendable, Equatable, Codable {
    public var header: [String]
    public var rows: [[String]]
    /// Columns whose cells are right-aligned (numbers).
    public var rightAligned: Set<Int>

    public init(header: [String], rows: [[String]], rightAligned: Set<Int> = []) {
        self.header = header
        self.rows = rows
        self.rightAligned = rightAligned
    }

    /// Two spaces between columns, a dashed rule under the header, no trailing spaces.
    public func rendered() -> String {
        let columns = max(header.count, rows.map(\.count).max() ?? 0)
        var widths = [Int](repeating: 0, count: columns)
        for row in [header] + rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for i in 0..<columns {
                let cell = i < cells.count ? cells[i] : ""
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                parts.append(rightAligned.contains(i) ? pad + cell : cell + pad)
            }
            var s = parts.joined(separator: "  ")
            while s.last == " " { s.removeLast() }
            return s
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}

/// One piece of command output. The terminal gets text; reports keep tables and charts as such.
public enum OutputItem: Sendable, Equatable, Codable {
    case text(String)
    case table(Table)
    case chart(title: String, svg: String)

    /// How it reads in a terminal or log.
    public var plainText: String {
        switch self {
        case .text(let s): return s
        case .table(let t): return t.rendered()
        case .chart(let title, let svg): return "chart '\(title)' (\(svg.utf8.count) bytes of SVG, embedded in the report)"
        }
    }
}

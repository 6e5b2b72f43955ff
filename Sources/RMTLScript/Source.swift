/// One script's text, kept as UTF-8 bytes, with the byte offset of every line start.
///
/// Tokens and syntax nodes point into it by byte range (`SourceRange`), never by copies, so
/// positions are exact and cheap. Lines end at `\n`, `\r\n` or a lone `\r`; columns count Unicode
/// scalars (a malformed byte counts as one), starting at 1.
public final class SourceFile: Sendable {
    /// The name shown in diagnostics (the path as given, or `<prompt>`).
    public let name: String
    public let bytes: [UInt8]
    /// `lineStarts[i]`: byte offset where line `firstLine + i` begins.
    public let lineStarts: [Int]
    /// The number of the first line: 1, or where this piece starts in a longer input (piped
    /// input runs entry by entry, each a `SourceFile`, and its errors show the line in the whole).
    public let firstLine: Int

    public convenience init(name: String, text: String, firstLine: Int = 1) {
        self.init(name: name, bytes: Array(text.utf8), firstLine: firstLine)
    }

    public init(name: String, bytes: [UInt8], firstLine: Int = 1) {
        self.name = name
        self.bytes = bytes
        self.firstLine = firstLine
        var starts = [0]
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x0A {
                starts.append(i + 1)
            } else if b == 0x0D {
                if i + 1 < n, bytes[i + 1] == 0x0A { i += 1 }
                starts.append(i + 1)
            }
            i += 1
        }
        self.lineStarts = starts
    }

    /// The line holding byte `offset`, counted from `firstLine` (offsets past the end belong to the last line).
    public func line(of offset: Int) -> Int {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo + firstLine
    }

    /// The 1-based column of byte `offset`: Unicode scalars from the line start, plus one.
    public func column(of offset: Int) -> Int {
        let start = lineStarts[line(of: offset) - firstLine]
        var column = 1
        var i = start
        let end = min(offset, bytes.count)
        while i < end {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return column
    }

    /// Byte range of line `line` without its terminator.
    public func lineRange(_ line: Int) -> Range<Int> {
        let index = line - firstLine
        let start = lineStarts[index]
        var end = index + 1 < lineStarts.count ? lineStarts[index + 1] : bytes.count
        while end > start, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        return start..<end
    }

    public func text(_ range: Range<Int>) -> String {
        let lo = max(0, min(range.lowerBound, bytes.count))
        let hi = max(lo, min(range.upperBound, bytes.count))
        return String(decoding: bytes[lo..<hi], as: UTF8.self)
    }
}

/// A byte range in one source file. Every token and syntax node carries one.
public struct SourceRange: Sendable, Equatable, CustomStringConvertible {
    public let file: SourceFile
    public let start: Int
    public let end: Int

    public init(file: SourceFile, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    public static func == (a: SourceRange, b: SourceRange) -> Bool {
        a.file === b.file && a.start == b.start && a.end == b.end
    }

    /// The smallest range covering both.
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(file: file, start: min(start, other.start), end: max(end, other.end))
    }

    public var line: Int { file.line(of: start) }
    public var column: Int { file.column(of: start) }
    public var text: String { file.text(start..<end) }
    public var description: String { "\(file.name):\(line):\(column)" }
}

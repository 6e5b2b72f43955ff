#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming, byte-level CSV/TSV reader (RFC 4180).
///
/// Goals, in priority order:
/// 1. Never give a wrong table: every malformed input is a `DataError` with file, physical line and
///    byte column (an unterminated quote names the line where it opened).
/// 2. Stream: the file is read in chunks (1 MiB, grown only if one record is longer), never held whole.
/// 3. Speed: simple rows cost a few comparisons per byte; fields are views into the read buffer and
///    are copied only when a quoted field holds a doubled quote.
///
/// Dialect: `separator` (`,` or tab) between fields; a field that starts with `"` is quoted and may
/// hold separators, newlines and doubled quotes `""`; after the closing quote only a separator or a line
/// end may follow. A `"` inside an unquoted field is kept literally (as Python's `csv` does). Line ends
/// are `\n`, `\r\n` or a lone `\r`. A UTF-8 BOM at the start is skipped. Blank lines are skipped (they
/// still count for line numbers). A NUL byte outside a quoted field is an error.
///
/// Use: `while try reader.nextRecord() { reader.field(i) ... }`. Field views are valid until the next
/// call to `nextRecord()`.
public final class CSVReader {
    public let path: String
    public let separator: UInt8
    /// The file's size when it is a regular file (a pipe or device has none).
    public let byteCount: Int?

    private let fd: Int32
    private var buffer: UnsafeMutablePointer<UInt8>
    private var scratch: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var start = 0, end = 0
    private var isAtEOF = false
    private var bufferFileOffset = 0  // file offset of buffer[0]
    private var line = 1
    private var lineStartOffset = 0  // file offset of the current physical line's first byte

    private var fieldPointers: UnsafeMutablePointer<UnsafePointer<UInt8>>
    private var fieldLengths: UnsafeMutablePointer<Int>
    private var fieldLines: UnsafeMutablePointer<Int>
    private var fieldColumns: UnsafeMutablePointer<Int>
    private var fieldCapacity = 64

    /// Number of fields in the current record.
    public private(set) var fieldCount = 0
    /// Physical line where the current record starts.
    public private(set) var recordLine = 0
    /// Number of records returned so far (the header counts).
    public private(set) var recordCount = 0

    private static let quote = UInt8(ascii: "\"")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// Opens `path`. Throws a `DataError` when the file does not exist or cannot be read.
    public init(path: String, separator: UInt8 = UInt8(ascii: ","), chunkSize: Int = 1 << 20) throws {
        self.path = path
        self.separator = separator
        var st = stat()
        if stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            throw DataError(file: path, message: "expected a file, found a folder")
        }
        let descriptor = open(path, O_RDONLY)
        if descriptor < 0 {
            let code = errno
            throw DataError(
                file: path,
                message: code == ENOENT ? "no such file" : "cannot open file (\(String(cString: strerror(code))))",
                hint: code == ENOENT ? "check the path; relative paths start at the current folder" : nil)
        }
        fd = descriptor
        // A small file gets a buffer of its own size (+1 so one read also sees the end), not a
        // whole chunk: readers of many small files (tests, the fuzzers) then allocate little.
        var opened = stat()
        let isRegular = fstat(descriptor, &opened) == 0 && (opened.st_mode & S_IFMT) == S_IFREG
        byteCount = isRegular ? Int(opened.st_size) : nil
        capacity = max(min(chunkSize, (byteCount ?? chunkSize) + 1), 16)
        buffer = .allocate(capacity: capacity)
        scratch = .allocate(capacity: capacity)
        fieldPointers = .allocate(capacity: fieldCapacity)
        fieldLengths = .allocate(capacity: fieldCapacity)
        fieldLines = .allocate(capacity: fieldCapacity)
        fieldColumns = .allocate(capacity: fieldCapacity)
        try fill()
        // Skip a UTF-8 byte order mark; columns on line 1 then count from after it.
        if end - start >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF {
            start = 3
            lineStartOffset = 3
        }
    }

    deinit {
        close(fd)
        buffer.deallocate()
        scratch.deallocate()
        fieldPointers.deallocate()
        fieldLengths.deallocate()
        fieldLines.deallocate()
        fieldColumns.deallocate()
    }

    // MARK: - Fields of the current record

    /// The bytes of field `i` (no quotes, doubled quotes undone).
    @inline(__always)
    public func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: fieldPointers[i], count: fieldLengths[i])
    }

    /// Field `i` as a String (UTF-8, invalid bytes replaced).
    public func string(_ i: Int) -> String { String(decoding: field(i), as: UTF8.self) }

    /// Physical line where field `i` starts.
    public func line(ofField i: Int) -> Int { fieldLines[i] }
    /// Byte column (1-based) where field `i` starts, its opening quote included.
    public func column(ofField i: Int) -> Int { fieldColumns[i] }

    /// A `DataError` pointing at field `i` of the current record.
    public func error(atField i: Int, _ message: String, hint: String? = nil) -> DataError {
        DataError(file: path, line: fieldLines[i], column: fieldColumns[i], message: message, hint: hint)
    }

    /// Throws unless the current record has exactly `count` fields.
    public func requireFieldCount(_ count: Int) throws {
        guard fieldCount != count else { return }
        let hint = fieldCount > count
            ? "a value holds an unquoted '\(separatorName)'; quote it, or check sep="
            : "the row is cut short; check for a missing separator or a stray line break"
        if fieldCount > count {
            throw DataError(
                file: path, line: fieldLines[count], column: fieldColumns[count],
                message: "expected \(count) fields, found \(fieldCount)", hint: hint)
        }
        let last = fieldCount - 1
        throw DataError(
            file: path, line: fieldLines[last], column: fieldColumns[last] + fieldLengths[last],
            message: "expected \(count) fields, found \(fieldCount)", hint: hint)
    }

    var separatorName: String { separator == 9 ? "\\t" : String(UnicodeScalar(separator)) }

    // MARK: - Reading

    /// Reads the next record. Returns false at the end of the file.
    public func nextRecord() throws -> Bool {
        while true {
            if let next = try parseRecord() {
                start = next
                recordCount += 1
                return true
            }
            if isAtEOF { return false }  // only blank lines were left
            try refill()
        }
    }

    /// Compacts the unparsed bytes to the front and reads more, growing the buffer when one record
    /// does not fit.
    private func refill() throws {
        if start == 0 && end == capacity {
            let newCapacity = capacity * 2
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = grown
            scratch.deallocate()
            scratch = .allocate(capacity: newCapacity)
            capacity = newCapacity
        } else if start > 0 {
            let remaining = end - start
            if remaining > 0 { buffer.update(from: buffer + start, count: remaining) }
            bufferFileOffset += start
            start = 0
            end = remaining
        }
        try fill()
    }

    private func fill() throws {
        while end < capacity && !isAtEOF {
            let n = read(fd, buffer + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw DataError(file: path, message: "read failed (\(String(cString: strerror(errno))))")
            }
            if n == 0 { isAtEOF = true } else { end += n }
            if n > 0 { break }
        }
    }

    private func growFields() {
        let newCapacity = fieldCapacity * 2
        func grow<T>(_ p: inout UnsafeMutablePointer<T>) {
            let q = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
            q.moveInitialize(from: p, count: fieldCapacity)
            p.deallocate()
            p = q
        }
        grow(&fieldPointers)
        grow(&fieldLengths)
        grow(&fieldLines)
        grow(&fieldColumns)
        fieldCapacity = newCapacity
    }

    /// The index after the line end (LF, CR or CRLF) at `p`, `p` itself when no line end starts there,
    /// or nil when a CR ends the buffer and more input may hold its LF.
    @inline(__always)
    private func lineEnd(at p: Int) -> Int? {
        let b = buffer
        if b[p] == Self.newline { return p + 1 }
        guard b[p] == Self.carriageReturn else { return p }
        if p + 1 < end { return p + (b[p + 1] == Self.newline ? 2 : 1) }
        return isAtEOF ? p + 1 : nil
    }

    /// Parses one record starting at `start`. Returns the index after it, or nil when the buffer ends
    /// before the record does (and more input may follow). Line counters are committed only on success,
    /// so a retry after `refill` starts clean.
    private func parseRecord() throws -> Int? {
        let b = buffer, sep = separator, eof = isAtEOF
        let quote = Self.quote, nl = Self.newline, cr = Self.carriageReturn
        var p = start
        var line = self.line
        var lineStart = self.lineStartOffset - bufferFileOffset  // may be negative: line began earlier

        // Skip blank lines.
        while p < end {
            guard let next = lineEnd(at: p) else { return nil }
            if next == p { break }
            p = next
            line += 1
            lineStart = p
        }
        if p >= end {
            if eof {  // commit the skipped blank lines
                start = p
                self.line = line
                self.lineStartOffset = lineStart + bufferFileOffset
            }
            return nil
        }

        var n = 0
        var scratchUsed = 0
        recordLine = line
        while true {  // one iteration per field
            if n == fieldCapacity { growFields() }
            fieldLines[n] = line
            fieldColumns[n] = p - lineStart + 1
            if p < end && b[p] == quote {
                let openLine = line, openColumn = p - lineStart + 1
                p += 1
                let contentStart = p
                var hasDoubledQuote = false
                var closing = -1
                while true {
                    if p >= end {
                        if eof {
                            throw DataError(
                                file: path, line: openLine, column: openColumn,
                                message: "unterminated quoted field (the quote opened here is never closed)",
                                hint: "close the quote, or double a quote inside a value (\"\")")
                        }
                        return nil
                    }
                    let c = b[p]
                    if c == quote {
                        if p + 1 < end {
                            if b[p + 1] == quote {
                                hasDoubledQuote = true
                                p += 2
                                continue
                            }
                        } else if !eof {
                            return nil
                        }
                        closing = p
                        break
                    } else if c == nl {
                        line += 1
                        lineStart = p + 1
                    } else if c == cr {
                        if p + 1 < end {
                            if b[p + 1] != nl {
                                line += 1
                                lineStart = p + 1
                            }
                        } else if !eof {
                            return nil
                        } else {
                            line += 1
                            lineStart = p + 1
                        }
                    }
                    p += 1
                }
                if hasDoubledQuote {
                    let out = scratch + scratchUsed
                    var k = 0, i = contentStart
                    while i < closing {
                        out[k] = b[i]
                        k += 1
                        i += (b[i] == quote) ? 2 : 1
                    }
                    fieldPointers[n] = UnsafePointer(out)
                    fieldLengths[n] = k
                    scratchUsed += k
                } else {
                    fieldPointers[n] = UnsafePointer(b + contentStart)
                    fieldLengths[n] = closing - contentStart
                }
                p = closing + 1
                if p >= end {
                    if !eof { return nil }
                    n += 1
                    break
                }
                let c = b[p]
                if c == sep {
                    p += 1
                    n += 1
                    continue
                }
                if c == nl || c == cr {
                    n += 1
                    break
                }
                throw DataError(
                    file: path, line: line, column: p - lineStart + 1,
                    message: "unexpected character '\(Self.printable(c))' after a closing quote",
                    hint: "a quoted field must end at a separator or a line end; double quotes inside it (\"\")")
            } else {
                let fieldStart = p
                var c: UInt8 = 0
                while p < end {
                    c = b[p]
                    if c == sep || c == nl || c == cr { break }
                    if c == 0 {
                        throw DataError(
                            file: path, line: line, column: p - lineStart + 1,
                            message: "NUL byte in the data", hint: "the file may be binary or UTF-16 encoded")
                    }
                    p += 1
                }
                if p >= end && !eof { return nil }
                fieldPointers[n] = UnsafePointer(b + fieldStart)
                fieldLengths[n] = p - fieldStart
                n += 1
                if p < end && c == sep {
                    p += 1
                    continue
                }
                break
            }
        }
        // Consume the line end (if any: the last record may have none).
        if p < end {
            guard let next = lineEnd(at: p) else { return nil }
            p = next
            line += 1
            lineStart = p
        }
        fieldCount = n
        self.line = line
        self.lineStartOffset = lineStart + bufferFileOffset
        return p
    }

    static func printable(_ c: UInt8) -> String {
        (32..<127).contains(c) ? String(UnicodeScalar(c)) : "\\x" + String(c, radix: 16)
    }
}

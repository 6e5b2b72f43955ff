/// Turns UTF-8 bytes into tokens, reporting every bad character and continuing, so one run shows
/// every lexical error. Cost: O(bytes), no backtracking.
///
/// Lines longer than `maxLineBytes` are an error (not a crash or a slow path).
public struct Lexer {
    public static let maxLineBytes = 1 << 20
    /// Lexical errors kept per file; past this the input is garbage and more adds nothing.
    public static let maxErrors = 1000

    public let file: SourceFile
    public private(set) var tokens: [Token] = []
    public private(set) var errors: [ScriptError] = [] {
        didSet { if errors.count > Lexer.maxErrors { errors.removeLast() } }
    }
    private var i = 0
    private let bytes: [UInt8]

    public init(file: SourceFile) {
        self.file = file
        self.bytes = file.bytes
    }

    /// Lexes the whole file. The last token is always `.endOfFile`.
    public static func lex(_ file: SourceFile) -> (tokens: [Token], errors: [ScriptError]) {
        var lexer = Lexer(file: file)
        lexer.run()
        return (lexer.tokens, lexer.errors)
    }

    private func range(_ s: Int, _ e: Int) -> SourceRange { SourceRange(file: file, start: s, end: e) }

    private static func isWordStart(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F
    }
    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isWordByte(_ b: UInt8) -> Bool { isWordStart(b) || isDigit(b) }

    private func peek(_ k: Int = 0) -> UInt8? { i + k < bytes.count ? bytes[i + k] : nil }

    private mutating func emit(_ kind: TokenKind, from start: Int) {
        let space = tokens.last.map { $0.kind.isTrivia } ?? false
        tokens.append(Token(kind: kind, start: start, end: i, spaceBefore: space))
    }

    private mutating func checkLineLengths() {
        let starts = file.lineStarts
        for (index, s) in starts.enumerated() {
            let e = index + 1 < starts.count ? starts[index + 1] : bytes.count
            if e - s > Lexer.maxLineBytes {
                errors.append(.lineTooLong(line: index + file.firstLine, bytes: e - s, limit: Lexer.maxLineBytes,
                                           at: range(s, s + 1)))
            }
        }
    }

    public mutating func run() {
        checkLineLengths()
        tokens.reserveCapacity(bytes.count / 3 + 1)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {  // a UTF-8 byte order mark (some editors add one)
            i = 3
            emit(.whitespace, from: 0)
        }
        while i < bytes.count {
            let start = i
            let b = bytes[i]
            switch b {
            case 0x20, 0x09, 0x0C, 0x0B:
                while let c = peek(), c == 0x20 || c == 0x09 || c == 0x0C || c == 0x0B { i += 1 }
                emit(.whitespace, from: start)
            case 0x0A:
                i += 1; emit(.newline, from: start)
            case 0x0D:
                i += 1
                if peek() == 0x0A { i += 1 }
                emit(.newline, from: start)
            case 0x23:  // '#'
                while let c = peek(), c != 0x0A, c != 0x0D { i += 1 }
                emit(.comment, from: start)
            case 0x5C:  // '\' continues the line: only spaces or a comment may follow it
                i += 1
                var j = i
                while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 { j += 1 }
                if j < bytes.count, bytes[j] == 0x23 {
                    while j < bytes.count, bytes[j] != 0x0A, bytes[j] != 0x0D { j += 1 }
                }
                if j >= bytes.count {
                    i = j
                    emit(.continuation, from: start)
                    errors.append(.unexpectedEndOfInput(expected: "a line after '\\'", opener: nil,
                                                        at: range(start, start + 1)))
                } else if bytes[j] == 0x0A || bytes[j] == 0x0D {
                    i = j + 1
                    if bytes[j] == 0x0D, peek() == 0x0A { i += 1 }
                    emit(.continuation, from: start)
                    if i >= bytes.count {  // the continued line has not been typed yet
                        errors.append(.unexpectedEndOfInput(expected: "a line after '\\'", opener: nil,
                                                            at: range(start, start + 1)))
                    }
                } else {
                    emit(.invalid, from: start)
                    errors.append(.unexpectedCharacter("\\", at: range(start, i)))
                }
            case 0x22:
                lexString()
            case 0x24:  // '$'
                i += 1
                if let c = peek(), Lexer.isWordStart(c) {
                    while let c = peek(), Lexer.isWordByte(c) { i += 1 }
                    emit(.variable, from: start)
                } else if peek() == 0x7B {  // `${m}`: a variable that word characters may follow (`${m}_base`)
                    lexBracedVariable()
                } else {
                    emit(.invalid, from: start)
                    errors.append(.missingVariableName(at: range(start, i)))
                }
            case 0x40:  // '@' digits: a past run (`@12.esmm`)
                i += 1
                if let c = peek(), Lexer.isDigit(c) {
                    while let c = peek(), Lexer.isDigit(c) { i += 1 }
                    emit(.runReference, from: start)
                } else {
                    emit(.invalid, from: start)
                    errors.append(.expected("a run number after '@', as in @12.esmm", found: "'@'", at: range(start, i)))
                }
            case 0x30...0x39:
                lexNumber()
            case _ where Lexer.isWordStart(b):
                while let c = peek(), Lexer.isWordByte(c) { i += 1 }
                emit(.word, from: start)
            default:
                lexPunctuation(b)
            }
        }
        let space = tokens.last.map { $0.kind.isTrivia } ?? false
        tokens.append(Token(kind: .endOfFile, start: bytes.count, end: bytes.count, spaceBefore: space))
    }

    private mutating func lexPunctuation(_ b: UInt8) {
        let start = i
        i += 1
        let next = peek()
        let kind: TokenKind?
        switch b {
        case 0x5B: kind = .leftBracket
        case 0x5D: kind = .rightBracket
        case 0x7B: kind = .leftBrace
        case 0x7D: kind = .rightBrace
        case 0x28: kind = .leftParen
        case 0x29: kind = .rightParen
        case 0x2C: kind = .comma
        case 0x2E: kind = .dot
        case 0x2B: kind = .plus
        case 0x2D: kind = .minus
        case 0x2A: kind = .star
        case 0x2F: kind = .slash
        case 0x3D:
            if next == 0x3D { i += 1; kind = .equalEqual } else { kind = .equals }
        case 0x3C:
            if next == 0x3D { i += 1; kind = .lessEqual } else { kind = .less }
        case 0x3E:
            if next == 0x3D { i += 1; kind = .greaterEqual } else { kind = .greater }
        case 0x21:
            if next == 0x3D { i += 1; kind = .bangEqual } else { kind = nil }
        default: kind = nil
        }
        if let kind {
            emit(kind, from: start)
            return
        }
        // One whole scalar (or one malformed byte) becomes an invalid token.
        let length = Lexer.scalarLength(bytes, at: start)
        if length == 0 {
            i = start + 1
            emit(.invalid, from: start)
            errors.append(.invalidUTF8(b, at: range(start, i)))
        } else {
            i = start + length
            emit(.invalid, from: start)
            errors.append(.unexpectedCharacter(file.text(start..<i), at: range(start, i)))
        }
    }

    // bracedVariable := '${' NAME '}'   (after the '$'; the token is the whole `${name}`)
    private mutating func lexBracedVariable() {
        let start = i - 1
        i += 1
        guard let c = peek(), Lexer.isWordStart(c) else {
            emit(.invalid, from: start)
            errors.append(.missingVariableName(at: range(start, i)))
            return
        }
        while let c = peek(), Lexer.isWordByte(c) { i += 1 }
        guard peek() == 0x7D else {
            let found: String
            switch peek() {
            case nil: found = "end of input"
            case 0x0A, 0x0D: found = "end of line"
            default: found = "'" + file.text(i..<i + max(1, Lexer.scalarLength(bytes, at: i))) + "'"
            }
            emit(.invalid, from: start)
            errors.append(.expected("'}' after '\(file.text(start..<i))'", found: found, at: range(start, i)))
            return
        }
        i += 1
        emit(.variable, from: start)
    }

    /// The variable a `.variable` token names: `$m` and `${m}` both name `m`.
    static func variableName(_ text: Substring) -> String {
        String(text.hasPrefix("${") ? text.dropFirst(2).dropLast() : text.dropFirst())
    }

    /// Length of the valid UTF-8 scalar at `at`, or 0 if the bytes there are malformed.
    static func scalarLength(_ bytes: [UInt8], at: Int) -> Int {
        let b = bytes[at]
        let n: Int
        if b < 0x80 { return 1 } else if b & 0xE0 == 0xC0 { n = 2 } else if b & 0xF0 == 0xE0 { n = 3 }
        else if b & 0xF8 == 0xF0 { n = 4 } else { return 0 }
        if at + n > bytes.count { return 0 }
        for k in 1..<n where bytes[at + k] & 0xC0 != 0x80 { return 0 }
        return n
    }

    // string := '"' { char | '\' ( '"' | '\' | 'n' | 't' ) } '"'   (one line only)
    private mutating func lexString() {
        let start = i
        i += 1
        while let c = peek() {
            if c == 0x22 { i += 1; emit(.string, from: start); return }
            if c == 0x0A || c == 0x0D { break }
            if c == 0x5C {
                if let e = peek(1), e == 0x22 || e == 0x5C || e == 0x6E || e == 0x74 {
                    i += 2
                    continue
                }
                let escapeEnd = min(bytes.count, i + 2)
                errors.append(.invalidEscape(file.text(i..<escapeEnd), at: range(i, escapeEnd)))
                i += 1
                continue
            }
            i += 1
        }
        emit(.string, from: start)
        errors.append(.unterminatedString(at: range(start, start + 1)))
    }

    // number := digits [ '.' digits ] [ ('e'|'E') ['+'|'-'] digits ] [ suffix ]
    private mutating func lexNumber() {
        let start = i
        while let c = peek(), Lexer.isDigit(c) { i += 1 }
        if peek() == 0x2E, let d = peek(1), Lexer.isDigit(d) {
            i += 1
            while let c = peek(), Lexer.isDigit(c) { i += 1 }
        }
        if let e = peek(), e == 0x65 || e == 0x45 {
            var j = i + 1
            if j < bytes.count, bytes[j] == 0x2B || bytes[j] == 0x2D { j += 1 }
            if j < bytes.count, Lexer.isDigit(bytes[j]) {
                i = j
                while let c = peek(), Lexer.isDigit(c) { i += 1 }
            }
        }
        while let c = peek(), Lexer.isWordByte(c) { i += 1 }  // suffix, validated by the parser
        emit(.number, from: start)
    }
}

/// The value of a number token: `2048`, `1e-3`, `1.2M`, `500k`, `30m`, `2h`, `250ms`.
public enum NumberLiteral {
    public enum Unit: Sendable, Equatable { case plain, duration }

    /// Suffixes that scale a count. Durations are in seconds.
    static let multipliers: [(String, Double)] = [("k", 1e3), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("B", 1e9)]
    static let durations: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
    public static let suffixes = multipliers.map(\.0) + durations.map(\.0)

    /// Parses a number token's bytes without making Strings on the common paths (plain integers).
    public static func parse<C: Collection>(bytes: C) -> Result<(Double, Unit), ParseFailure> where C.Element == UInt8 {
        var integer: UInt64 = 0
        var digits = 0
        var isSimple = true
        var numericEnd = bytes.startIndex
        var idx = bytes.startIndex
        // integer digits
        while idx < bytes.endIndex, bytes[idx] >= 0x30, bytes[idx] <= 0x39 {
            if digits < 18 { integer = integer * 10 + UInt64(bytes[idx] - 0x30) } else { isSimple = false }
            digits += 1
            idx = bytes.index(after: idx)
        }
        // a short fraction: m / 10^k is one correctly rounded division of exact values (Clinger's
        // fast path) when m < 2^53 and k <= 22
        var fractionDigits = 0
        if idx < bytes.endIndex, bytes[idx] == 0x2E {
            idx = bytes.index(after: idx)
            while idx < bytes.endIndex, bytes[idx] >= 0x30, bytes[idx] <= 0x39 {
                if digits < 15 { integer = integer * 10 + UInt64(bytes[idx] - 0x30) } else { isSimple = false }
                digits += 1
                fractionDigits += 1
                idx = bytes.index(after: idx)
            }
        }
        numericEnd = idx
        // an exponent, or too many digits: the general path below
        if idx < bytes.endIndex, bytes[idx] == 0x65 || bytes[idx] == 0x45 { isSimple = false }
        if digits > 15 || fractionDigits > 22 { isSimple = false }
        guard isSimple else { return parse(String(decoding: bytes, as: UTF8.self)) }
        let value = fractionDigits == 0 ? Double(integer) : Double(integer) / powersOfTen[fractionDigits]
        if numericEnd == bytes.endIndex { return .success((value, .plain)) }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Parses the token text, or returns the bad suffix.
    public static func parse(_ text: String) -> Result<(Double, Unit), ParseFailure> {
        var digitsEnd = text.endIndex
        var idx = text.startIndex
        // the numeric part is the longest prefix that is digits, '.', 'e'/'E' followed by sign/digit
        var sawExponent = false
        while idx < text.endIndex {
            let ch = text[idx]
            if ch.isASCII, ch.isNumber || ch == "." {
                idx = text.index(after: idx)
                continue
            }
            if !sawExponent, ch == "e" || ch == "E" {
                let next = text.index(after: idx)
                if next < text.endIndex {
                    var k = next
                    if text[k] == "+" || text[k] == "-" { k = text.index(after: k) }
                    if k < text.endIndex, text[k].isASCII, text[k].isNumber {
                        sawExponent = true
                        idx = k
                        continue
                    }
                }
            }
            break
        }
        digitsEnd = idx
        let numberPart = String(text[..<digitsEnd])
        let suffix = String(text[digitsEnd...])
        guard let value = Double(numberPart) else { return .failure(.badSuffix(suffix)) }
        if suffix.isEmpty { return check(value, .plain) }
        if let m = multipliers.first(where: { $0.0 == suffix }) { return check(value * m.1, .plain) }
        if let d = durations.first(where: { $0.0 == suffix }) { return check(value * d.1, .duration) }
        return .failure(.badSuffix(suffix))
    }

    private static func check(_ v: Double, _ u: Unit) -> Result<(Double, Unit), ParseFailure> {
        v.isFinite ? .success((v, u)) : .failure(.outOfRange)
    }

    public enum ParseFailure: Error { case badSuffix(String), outOfRange }

    /// 10^0 … 10^22, all exact in Double.
    static let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { acc, _ in acc * 10 } }
}

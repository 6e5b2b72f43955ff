/// A strict, depth-limited JSON reader and a compact writer for safetensors headers.
///
/// Goals, in priority order:
/// 1. Never trap and never recurse without bound on hostile input: nesting deeper than
///    `depthLimit` is an error (a real header needs 3 levels), and sizes are never taken from the text.
/// 2. Strict RFC 8259: no comments, no trailing commas, no leading zeros, no lone surrogates, no raw
///    control characters in strings; only whitespace may follow the top-level value (the writer pads
///    with spaces).
/// 3. Keep object members in file order, duplicates included, so callers can name a duplicate.
/// Foundation's JSONSerialization is not used: it cannot bound depth and drops duplicate keys.
enum HeaderJSON: Equatable {
    case object([Member])
    case array([HeaderJSON])
    case string(String)
    /// A number; `integer` is its value when it is a non-negative integer that fits in 64 bits
    /// (no fraction, no exponent), nil otherwise.
    case number(integer: UInt64?)
    case bool(Bool)
    case null

    struct Member: Equatable {
        let key: String
        let value: HeaderJSON
    }

    /// Maximum nesting of arrays and objects.
    static let depthLimit = 32

    /// A syntax error: what was expected and the byte offset where it was found.
    struct Failure: Error {
        let reason: SafetensorsError.Reason
    }

    /// Parses `bytes` (already validated UTF-8) as one JSON value followed only by whitespace.
    static func parse(_ bytes: [UInt8]) throws(Failure) -> HeaderJSON {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 1)
        parser.skipWhitespace()
        if parser.position < bytes.count {
            throw parser.failure("unexpected \(parser.describeCurrent()) after the top-level object")
        }
        return value
    }

    // MARK: - Parser

    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        func failure(_ what: String) -> Failure {
            Failure(reason: .json(what, byte: position))
        }

        func describeCurrent() -> String {
            guard position < bytes.count else { return "end of header" }
            let b = bytes[position]
            if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
            return "byte 0x\(String(b, radix: 16))"
        }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        // value := object | array | string | number | 'true' | 'false' | 'null'
        mutating func parseValue(depth: Int) throws(Failure) -> HeaderJSON {
            guard position < bytes.count else { throw failure("expected a value, found end of header") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            case UInt8(ascii: "t"):
                try expectWord("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expectWord("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expectWord("null")
                return .null
            default: throw failure("expected a value, found \(describeCurrent())")
            }
        }

        mutating func expectWord(_ word: StaticString) throws(Failure) {
            let count = word.utf8CodeUnitCount
            let start = word.utf8Start
            for i in 0..<count {
                guard position < bytes.count, bytes[position] == start[i] else {
                    throw failure("expected '\(word)'")
                }
                position += 1
            }
        }

        // object := '{' (string ':' value (',' string ':' value)*)? '}'
        mutating func parseObject(depth: Int) throws(Failure) -> HeaderJSON {
            if depth > HeaderJSON.depthLimit {
                throw Failure(reason: .nestingTooDeep(limit: HeaderJSON.depthLimit, byte: position))
            }
            position += 1  // '{'
            var members: [Member] = []
            skipWhitespace()
            if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw failure("expected a member name in double quotes, found \(describeCurrent())")
                }
                let key = try parseString()
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                    throw failure("expected ':' after member name, found \(describeCurrent())")
                }
                position += 1
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                members.append(Member(key: key, value: value))
                skipWhitespace()
                guard position < bytes.count else {
                    throw failure("expected ',' or '}', found end of header")
                }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                if bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    return .object(members)
                }
                throw failure("expected ',' or '}', found \(describeCurrent())")
            }
        }

        // array := '[' (value (',' value)*)? ']'
        mutating func parseArray(depth: Int) throws(Failure) -> HeaderJSON {
            if depth > HeaderJSON.depthLimit {
                throw Failure(reason: .nestingTooDeep(limit: HeaderJSON.depthLimit, byte: position))
            }
            position += 1  // '['
            var elements: [HeaderJSON] = []
            skipWhitespace()
            if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else {
                    throw failure("expected ',' or ']', found end of header")
                }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                if bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    return .array(elements)
                }
                throw failure("expected ',' or ']', found \(describeCurrent())")
            }
        }

        // string := '"' (char | '\' escape)* '"'
        mutating func parseString() throws(Failure) -> String {
            position += 1  // opening quote
            var out: [UInt8] = []
            while true {
                guard position < bytes.count else { throw failure("unterminated string") }
                let b = bytes[position]
                switch b {
                case UInt8(ascii: "\""):
                    position += 1
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    position += 1
                    guard position < bytes.count else { throw failure("unterminated string") }
                    let e = bytes[position]
                    position += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        let scalar = try parseUnicodeEscape()
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default:
                        position -= 1
                        throw failure("invalid escape '\\\(describeCurrent())' in string")
                    }
                case 0x00..<0x20:
                    throw failure("control character 0x\(String(b, radix: 16)) in string must be escaped")
                default:
                    out.append(b)
                    position += 1
                }
            }
        }

        /// After `\u`: four hex digits, and a second `\uXXXX` for a surrogate pair.
        mutating func parseUnicodeEscape() throws(Failure) -> Unicode.Scalar {
            let high = try parseHex4()
            if high >= 0xD800 && high < 0xDC00 {
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw failure("unpaired surrogate \\u\(String(high, radix: 16)) in string") }
                position += 2
                let low = try parseHex4()
                guard low >= 0xDC00 && low < 0xE000 else {
                    throw failure("unpaired surrogate \\u\(String(high, radix: 16)) in string")
                }
                let value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                // Always valid: value is in 0x10000...0x10FFFF.
                guard let scalar = Unicode.Scalar(value) else { throw failure("invalid \\u escape") }
                return scalar
            }
            guard let scalar = Unicode.Scalar(high) else {
                throw failure("unpaired surrogate \\u\(String(high, radix: 16)) in string")
            }
            return scalar
        }

        mutating func parseHex4() throws(Failure) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard position < bytes.count else { throw failure("expected 4 hex digits after \\u") }
                let b = bytes[position]
                let digit: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw failure("expected 4 hex digits after \\u")
                }
                value = value << 4 | digit
                position += 1
            }
            return value
        }

        // number := '-'? ('0' | [1-9][0-9]*) ('.' [0-9]+)? ([eE] [+-]? [0-9]+)?
        mutating func parseNumber() throws(Failure) -> HeaderJSON {
            var isNegative = false
            if bytes[position] == UInt8(ascii: "-") {
                isNegative = true
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw failure("expected a digit in number")
            }
            var value: UInt64? = 0
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
                if position < bytes.count && isDigit(bytes[position]) {
                    throw failure("number has a leading zero")
                }
            } else {
                while position < bytes.count && isDigit(bytes[position]) {
                    let digit = UInt64(bytes[position] - UInt8(ascii: "0"))
                    if let v = value {
                        let (m, o1) = v.multipliedReportingOverflow(by: 10)
                        let (s, o2) = m.addingReportingOverflow(digit)
                        value = (o1 || o2) ? nil : s
                    }
                    position += 1
                }
            }
            var isInteger = !isNegative
            if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard position < bytes.count, isDigit(bytes[position]) else {
                    throw failure("expected a digit after '.' in number")
                }
                while position < bytes.count && isDigit(bytes[position]) { position += 1 }
                isInteger = false
            }
            if position < bytes.count
                && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E"))
            {
                position += 1
                if position < bytes.count
                    && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
                {
                    position += 1
                }
                guard position < bytes.count, isDigit(bytes[position]) else {
                    throw failure("expected a digit in the exponent")
                }
                while position < bytes.count && isDigit(bytes[position]) { position += 1 }
                isInteger = false
            }
            return .number(integer: isInteger ? value : nil)
        }

        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    }

    // MARK: - Writer

    /// Appends `s` as a JSON string literal, escaping as serde_json does (`\"`, `\\`, `\n`, `\r`,
    /// `\t`, `\b`, `\f`, other control characters as `\u00xx`; everything else as raw UTF-8).
    static func appendString(_ s: String, to out: inout [UInt8]) {
        let hexDigits = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x00..<0x20:
                out += Array("\\u00".utf8) + [hexDigits[Int(b >> 4)], hexDigits[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Index of the first byte that is not part of valid UTF-8 (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF), or nil when all of `bytes` is valid.
func firstInvalidUTF8Byte(_ bytes: [UInt8]) -> Int? {
    var i = 0
    let n = bytes.count
    while i < n {
        let b0 = bytes[i]
        if b0 < 0x80 {
            i += 1
            continue
        }
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF  // allowed range of the second byte
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            high = 0x9F
        case 0xF0:
            length = 4
            low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            high = 0x8F
        default: return i
        }
        guard i + length <= n else { return i }
        guard bytes[i + 1] >= low && bytes[i + 1] <= high else { return i }
        for k in 2..<length where bytes[i + k] < 0x80 || bytes[i + k] > 0xBF { return i }
        i += length
    }
    return nil
}

/// What a token is. Trivia kinds (whitespace, comment, continuation) are kept so token ranges tile
/// the input exactly (the lexer is lossless); the parser skips them. An `invalid` token (already
/// reported by the lexer) makes the parser drop its statement without a second error.
public enum TokenKind: UInt8, Sendable, Equatable {
    case word, number, string, variable
    /// `@12`: a past run in the registry (`compare esmm @12.esmm`).
    case runReference
    case leftBracket, rightBracket, leftBrace, rightBrace, leftParen, rightParen
    case comma, equals, dot, plus, minus, star, slash
    case less, lessEqual, greater, greaterEqual, equalEqual, bangEqual
    case newline, endOfFile
    case whitespace, comment, continuation, invalid

    public var isTrivia: Bool {
        self == .whitespace || self == .comment || self == .continuation
    }

    /// How the token reads in "expected X, found Y" messages.
    public var spelling: String {
        switch self {
        case .word: return "a word"
        case .number: return "a number"
        case .string: return "a string"
        case .variable: return "a variable"
        case .runReference: return "a run reference"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .comma: return "','"
        case .equals: return "'='"
        case .dot: return "'.'"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .less: return "'<'"
        case .lessEqual: return "'<='"
        case .greater: return "'>'"
        case .greaterEqual: return "'>='"
        case .equalEqual: return "'=='"
        case .bangEqual: return "'!='"
        case .newline: return "end of line"
        case .endOfFile: return "end of input"
        case .whitespace: return "whitespace"
        case .comment: return "a comment"
        case .continuation: return "'\\'"
        case .invalid: return "an invalid character"
        }
    }
}

/// A slice of the source: kind plus byte range. `spaceBefore` says whether trivia precedes it,
/// which tells `esmm.ctr` (a path) and `esmm[1]` (an indexed name) from separate values.
public struct Token: Sendable, Equatable {
    public var kind: TokenKind
    public var start: Int
    public var end: Int
    public var spaceBefore: Bool
}

/// Recursive descent over the lexer's tokens, one function per grammar rule. Errors are collected,
/// not thrown to the caller: after an error the parser skips to the end of the line (or the closing
/// `}` of the block it is in) and goes on, so one run reports every line's first problem.
///
/// Nesting (blocks, lists, parentheses, unary minus) is limited to `maxDepth`; deeper input is a
/// positioned error, never a stack overflow.
public struct Parser {
    #if DEBUG
    public static let maxDepth = 32  // debug frames are large: 32 levels fit a 512 KB thread stack
    #else
    public static let maxDepth = 256
    #endif

    private let file: SourceFile
    private var tokens: [Token]
    private var p = 0
    private var depth = 0
    private var blockDepth = 0
    /// Open '(' and '[' around the current position.
    private var openBrackets = 0
    public private(set) var errors: [ScriptError] = []

    /// Thrown inside the parser to unwind to the statement being parsed.
    struct Abort: Error {}

    public init(file: SourceFile, tokens: [Token]) {
        self.file = file
        self.tokens = tokens.filter { !$0.kind.isTrivia }
        if self.tokens.last?.kind != .endOfFile {
            self.tokens.append(Token(kind: .endOfFile, start: file.bytes.count, end: file.bytes.count,
                                     spaceBefore: false))
        }
    }

    /// Lexes and parses `file`; the errors of both passes, in source order.
    public static func parse(_ file: SourceFile) -> (statements: [Statement], errors: [ScriptError]) {
        let (tokens, lexErrors) = Lexer.lex(file)
        var parser = Parser(file: file, tokens: tokens)
        let statements = parser.parseScript()
        let all = (lexErrors + parser.errors).sorted { $0.range.start < $1.range.start }
        return (statements, all)
    }

    // MARK: - Token access

    private var current: Token { tokens[p] }
    private func peekKind(_ k: Int = 0) -> TokenKind { tokens[min(p + k, tokens.count - 1)].kind }
    private func range(_ t: Token) -> SourceRange { SourceRange(file: file, start: t.start, end: t.end) }
    private func text(_ t: Token) -> String { file.text(t.start..<t.end) }
    /// Compares bytes in place (no String is made: this runs at every expression boundary).
    private func isWord(_ t: Token, _ w: StaticString) -> Bool {
        guard t.kind == .word, t.end - t.start == w.utf8CodeUnitCount else { return false }
        let p = w.utf8Start
        for k in 0..<w.utf8CodeUnitCount where file.bytes[t.start + k] != p[k] { return false }
        return true
    }

    @discardableResult
    private mutating func advance() -> Token {
        let t = tokens[p]
        if t.kind != .endOfFile { p += 1 }
        return t
    }

    /// Where to point for token `t`: the token itself, or — when the line or input ended —
    /// just after the previous token (not after a trailing comment).
    private func position(_ t: Token) -> SourceRange {
        if t.kind == .newline || t.kind == .endOfFile, tokens[p].start == t.start, p > 0 {
            let prev = tokens[p - 1]
            if prev.kind != .newline { return SourceRange(file: file, start: prev.end, end: prev.end) }
        }
        return range(t)
    }

    private func describe(_ t: Token) -> String {
        switch t.kind {
        case .word, .number, .variable, .runReference: return "'\(text(t))'"
        case .string: return "a string"
        default: return t.kind.spelling
        }
    }

    private mutating func fail(_ error: ScriptError) -> Abort {
        errors.append(error)
        return Abort()
    }

    private mutating func expect(_ kind: TokenKind, _ what: String) throws(Abort) -> Token {
        if current.kind == kind { return advance() }
        if current.kind == .invalid { throw Abort() }  // the lexer reported it
        throw fail(.expected(what, found: describe(current), at: position(current)))
    }

    private mutating func enter(_ t: Token) throws(Abort) {
        depth += 1
        if depth > Parser.maxDepth { throw fail(.nestingTooDeep(limit: Parser.maxDepth, at: range(t))) }
    }

    /// Skips the rest of a bad statement: to the end of the line, or to the `}` closing the block.
    private mutating func recover() {
        while true {
            switch current.kind {
            case .endOfFile: return
            case .newline: advance(); return
            case .rightBrace where blockDepth > 0: return
            default: advance()
            }
        }
    }

    /// At a newline inside brackets: continue only if the closer follows on a later line.
    /// At the end of input that is "incomplete" (the prompt reads on); before other text it is
    /// an unclosed bracket, reported at the opener without eating the next line.
    private mutating func closeOrFail(_ closer: TokenKind, _ spelled: String, opener: Token,
                                      consume: Bool = true) throws(Abort) {
        var k = p
        while tokens[k].kind == .newline { k += 1 }
        switch tokens[k].kind {
        case closer:
            p = k
            if consume { advance() }
        case .endOfFile:
            throw fail(.unexpectedEndOfInput(expected: spelled, opener: range(opener), at: range(opener)))
        default:
            if k == p, current.kind != .newline {
                throw fail(.expected("\(spelled) to close '\(text(opener))'", found: describe(current), at: position(current)))
            }
            throw fail(.expected("\(spelled) to close '\(text(opener))' at line \(range(opener).line)",
                                 found: "end of line", at: range(opener)))
        }
    }

    /// Only newlines remain: input stopped in the middle of something.
    private var restIsBlank: Bool {
        var k = p
        while tokens[k].kind == .newline { k += 1 }
        return tokens[k].kind == .endOfFile
    }

    private mutating func skipNewlines() {
        while current.kind == .newline { advance() }
    }

    // MARK: - Statements

    // script := { line } EOF
    public mutating func parseScript() -> [Statement] {
        var statements: [Statement] = []
        while current.kind != .endOfFile {
            if current.kind == .rightBrace {
                errors.append(.expected("a command", found: "'}'", at: range(current)))
                advance()
                continue
            }
            parseLine(into: &statements)
        }
        return statements
    }

    // line := NEWLINE | statement ( NEWLINE | EOF | before '}' )
    private mutating func parseLine(into statements: inout [Statement]) {
        if current.kind == .newline { advance(); return }
        let savedDepth = depth
        do {
            let s = try parseStatement()
            switch current.kind {
            case .newline: advance()
            case .endOfFile: break
            case .rightBrace where blockDepth > 0: break
            case .invalid: throw Abort()
            default: throw fail(.expected("end of line", found: describe(current), at: position(current)))
            }
            statements.append(s)
        } catch {
            depth = savedDepth
            recover()
        }
    }

    // statement := letStmt | forStmt | ifStmt | includeStmt | assertStmt | bareValue | command
    // bareValue := VARIABLE … | WORD ('.' | '[' | VARIABLE) …     (prints itself, as `show VALUE`)
    private mutating func parseStatement() throws(Abort) -> Statement {
        let t = current
        let next = tokens[min(p + 1, tokens.count - 1)]
        if t.kind == .variable
            || (t.kind == .word && !next.spaceBefore && (next.kind == .dot || next.kind == .leftBracket || next.kind == .variable)) {
            let value = try parseExpression()
            return .command(CommandSyntax(name: Name(text: "show", range: range(t)),
                                          arguments: [ArgumentSyntax(label: nil, value: value)], range: value.range))
        }
        guard t.kind == .word else {
            if t.kind == .invalid { throw Abort() }  // the lexer reported it
            throw fail(.expected("a command", found: describe(t), at: position(t)))
        }
        if text(t) == "else" {
            // A lone `else` (on the line after `}`): say where it belongs, and skip its block.
            let keyword = advance()
            errors.append(.invalidUse("'else' must follow the '}' of an 'if' block on the same line: } else {",
                                      at: range(keyword)))
            if current.kind == .leftBrace { _ = try parseBlock(after: keyword, "else") }
            throw Abort()
        }
        switch Statement.Keyword(rawValue: text(t)) {
        case .let: return try parseLet()
        case .for: return try parseFor()
        case .if: return try parseIf()
        case .include: return try parseInclude()
        case .assert: return try parseAssert()
        case nil: return .command(try parseCommand())
        }
    }

    // letStmt := 'let' NAME '=' expr
    private mutating func parseLet() throws(Abort) -> Statement {
        let keyword = advance()
        let nameToken = try expect(.word, "a variable name after 'let'")
        _ = try expect(.equals, "'=' after 'let \(text(nameToken))'")
        let value = try parseExpression()
        return .letBinding(Name(text: text(nameToken), range: range(nameToken)), value,
                           range(keyword).union(value.range))
    }

    // forStmt := 'for' NAME 'in' ( list | VARIABLE | NUMBER ) [ 'parallel' ] block      (a count n runs 1…n)
    private mutating func parseFor() throws(Abort) -> Statement {
        let keyword = advance()
        let nameToken = try expect(.word, "a loop variable name after 'for'")
        guard isWord(current, "in") else {
            throw fail(.expected("'in' after 'for \(text(nameToken))'", found: describe(current), at: position(current)))
        }
        advance()
        let values: Expr
        switch current.kind {
        case .leftBracket: values = try parsePrimary()
        case .variable: values = try parsePrimary()
        case .number: values = try parsePrimary()
        default: throw fail(.expected("a list such as [1, 2, 3] or a count after 'in'", found: describe(current), at: position(current)))
        }
        let parallel = isWord(current, "parallel")
        if parallel { advance() }
        let (body, close) = try parseBlock(after: keyword, "for")
        return .forLoop(variable: Name(text: text(nameToken), range: range(nameToken)), values: values,
                        parallel: parallel, body: body, range(keyword).union(close))
    }

    // ifStmt := 'if' expr block [ 'else' ( ifStmt | block ) ]
    private mutating func parseIf() throws(Abort) -> Statement {
        let keyword = advance()
        if current.kind == .newline || current.kind == .endOfFile || current.kind == .leftBrace {
            throw fail(.expected("a condition such as $dataset == \"synthetic\" after 'if'", found: describe(current),
                                 at: position(current)))
        }
        let condition = try parseExpression()
        let (then, close) = try parseBlock(after: keyword, "if")
        var end = close
        var otherwise: [Statement] = []
        if isWord(current, "else") {
            let elseToken = advance()
            if isWord(current, "if") {
                try enter(current)
                defer { depth -= 1 }
                let nested = try parseIf()
                otherwise = [nested]
                end = nested.range
            } else {
                let (body, elseClose) = try parseBlock(after: elseToken, "else")
                otherwise = body
                end = elseClose
            }
        }
        return .conditional(condition, then: then, otherwise: otherwise, range(keyword).union(end))
    }

    // block := '{' { line } '}'   (after `for …`, `if …`, `else`)
    private mutating func parseBlock(after keyword: Token, _ what: String) throws(Abort) -> ([Statement], SourceRange) {
        if current.kind == .endOfFile {
            throw fail(.unexpectedEndOfInput(expected: "'{'", opener: range(keyword), at: range(keyword)))
        }
        let brace = try expect(.leftBrace, "'{' to start the body of '\(what)'")
        try enter(brace)
        blockDepth += 1
        defer { blockDepth -= 1; depth -= 1 }
        var body: [Statement] = []
        while true {
            switch current.kind {
            case .rightBrace:
                return (body, range(advance()))
            case .endOfFile:
                throw fail(.unexpectedEndOfInput(expected: "'}' to close '\(what)'", opener: range(keyword),
                                                 at: range(keyword)))
            default:
                parseLine(into: &body)
            }
        }
    }

    // includeStmt := 'include' STRING
    private mutating func parseInclude() throws(Abort) -> Statement {
        let keyword = advance()
        if current.kind == .newline || current.kind == .endOfFile {
            throw fail(.expected("a file name in quotes after 'include'", found: describe(current), at: position(current)))
        }
        let path = try parsePrimary()
        return .include(path: path, body: nil, range(keyword).union(path.range))
    }

    // assertStmt := 'assert' expr
    private mutating func parseAssert() throws(Abort) -> Statement {
        let keyword = advance()
        if current.kind == .newline || current.kind == .endOfFile {
            throw fail(.expected("a condition after 'assert'", found: describe(current), at: position(current)))
        }
        let condition = try parseExpression()
        return .assertion(condition, range(keyword).union(condition.range))
    }

    // command := WORD { argument } ;  argument := WORD '=' additive | additive
    private mutating func parseCommand() throws(Abort) -> CommandSyntax {
        let nameToken = advance()
        var arguments: [ArgumentSyntax] = []
        var whole = range(nameToken)
        while true {
            switch current.kind {
            case .newline, .endOfFile, .rightBrace:
                return CommandSyntax(name: Name(text: text(nameToken), range: range(nameToken)),
                                     arguments: arguments, range: whole)
            case .word where peekKind(1) == .equals:
                let label = advance()
                advance()
                if current.kind == .newline || current.kind == .endOfFile {
                    throw fail(.expected("a value after '\(text(label))='", found: describe(current), at: position(current)))
                }
                let value = try parseAdditive()
                let arg = ArgumentSyntax(label: Name(text: text(label), range: range(label)), value: value)
                arguments.append(arg)
                whole = whole.union(arg.range)
            default:
                let value = try parseAdditive()
                arguments.append(ArgumentSyntax(label: nil, value: value))
                whole = whole.union(value.range)
            }
        }
    }

    // MARK: - Expressions

    // expr := andExpr { 'or' andExpr }
    mutating func parseExpression() throws(Abort) -> Expr {
        var lhs = try parseAnd()
        while isWord(current, "or") {
            advance()
            let rhs = try parseAnd()
            lhs = .binary(.or, lhs, rhs, lhs.range.union(rhs.range))
        }
        return lhs
    }

    // andExpr := comparison { 'and' comparison }
    private mutating func parseAnd() throws(Abort) -> Expr {
        var lhs = try parseComparison()
        while isWord(current, "and") {
            advance()
            let rhs = try parseComparison()
            lhs = .binary(.and, lhs, rhs, lhs.range.union(rhs.range))
        }
        return lhs
    }

    // comparison := additive [ ('<' | '<=' | '>' | '>=' | '==' | '!=') additive ]
    private mutating func parseComparison() throws(Abort) -> Expr {
        let lhs = try parseAdditive()
        let op: BinaryOperator
        switch current.kind {
        case .less: op = .less
        case .lessEqual: op = .lessEqual
        case .greater: op = .greater
        case .greaterEqual: op = .greaterEqual
        case .equalEqual: op = .equal
        case .bangEqual: op = .notEqual
        default: return lhs
        }
        advance()
        let rhs = try parseAdditive()
        return .binary(op, lhs, rhs, lhs.range.union(rhs.range))
    }

    // additive := multiplicative { ('+' | '-') multiplicative }
    private mutating func parseAdditive() throws(Abort) -> Expr {
        var lhs = try parseMultiplicative()
        while current.kind == .plus || current.kind == .minus {
            let op: BinaryOperator = advance().kind == .plus ? .add : .subtract
            let rhs = try parseMultiplicative()
            lhs = .binary(op, lhs, rhs, lhs.range.union(rhs.range))
        }
        return lhs
    }

    // multiplicative := primary { ('*' | '/') primary }
    private mutating func parseMultiplicative() throws(Abort) -> Expr {
        var lhs = try parsePrimary()
        while current.kind == .star || current.kind == .slash {
            let op: BinaryOperator = advance().kind == .star ? .multiply : .divide
            let rhs = try parsePrimary()
            lhs = .binary(op, lhs, rhs, lhs.range.union(rhs.range))
        }
        return lhs
    }

    // primary := NUMBER | STRING | VARIABLE | name | list | '(' expr ')' | '-' primary
    // name    := part { part } [ '[' expr ']' ] { '.' WORD }    (no spaces inside)
    // part    := WORD | VARIABLE | DIGITS   (a lone VARIABLE is a name only when '[' or '.' follows;
    //                                       DIGITS only after a VARIABLE: `${k}2`)
    // runres  := '@' DIGITS '.' WORD [ '[' expr ']' ]       (a past run's result, no spaces inside)
    private mutating func parsePrimary() throws(Abort) -> Expr {
        let t = current
        switch t.kind {
        case .number:
            advance()
            switch NumberLiteral.parse(bytes: file.bytes[t.start..<t.end]) {
            case .success(let (value, unit)): return .number(value, unit, range(t))
            case .failure(.badSuffix(let s)): throw fail(.unknownNumberSuffix(s, at: range(t)))
            case .failure(.outOfRange): throw fail(.numberOutOfRange(at: range(t)))
            }
        case .string:
            advance()
            let closed = t.end - t.start >= 2 && file.bytes[t.end - 1] == 0x22
            let bodyEnd = closed ? t.end - 1 : t.end
            return .string(Parser.unescape(file.bytes[(t.start + 1)..<bodyEnd]), range(t))
        case .variable:
            if isGlued(at: p + 1) { return try parseName() }
            advance()
            return .variable(variableName(t), range(t))
        case .minus:
            advance()
            try enter(t)
            defer { depth -= 1 }
            let operand = try parsePrimary()
            return .negate(operand, range(t).union(operand.range))
        case .leftParen:
            advance()
            try enter(t)
            openBrackets += 1
            defer { depth -= 1; openBrackets -= 1 }
            skipNewlines()
            let inner = try parseExpression()
            try closeOrFail(.rightParen, "')'", opener: t)
            return inner
        case .leftBracket:
            return try parseList()
        case .word:
            return try parseName()
        case .runReference:
            return try parseRunResult()
        case .invalid:
            throw Abort()  // the lexer reported it
        case .newline where openBrackets > 0 && restIsBlank, .endOfFile where openBrackets > 0:
            throw fail(.unexpectedEndOfInput(expected: "a value", opener: nil, at: position(t)))
        default:
            throw fail(.expected("a value", found: describe(t), at: position(t)))
        }
    }

    /// `@12.esmm` or `@12.esmm[3]`: result `esmm` of run 12 in the registry.
    private mutating func parseRunResult() throws(Abort) -> Expr {
        let t = advance()
        let digits = text(t).dropFirst()
        guard let run = Int64(digits) else { throw fail(.numberOutOfRange(at: range(t))) }
        guard current.kind == .dot, !current.spaceBefore, peekKind(1) == .word, !tokens[p + 1].spaceBefore else {
            let at = current.kind == .dot ? position(tokens[p + 1]) : position(current)
            throw fail(.expected("a result name after '\(text(t)).', as in \(text(t)).esmm", found: describe(current.kind == .dot ? tokens[p + 1] : current), at: at))
        }
        advance()
        let name = try parseName()
        if case .path(let base, _, let r) = name {
            throw fail(.invalidUse("a past run's result can be compared ('compare \(text(t)).\(base.range.text)'), not read as RESULT.TASK.METRIC", at: r))
        }
        return .runResult(run: run, name, range(t).union(name.range))
    }

    private func variableName(_ t: Token) -> String { Lexer.variableName(file.text(t.start..<t.end)[...]) }

    /// Whether the token at `k` continues a name: a word, variable, index or member right after it.
    private func isGlued(at k: Int) -> Bool {
        guard k < tokens.count, !tokens[k].spaceBefore else { return false }
        return tokens[k].kind == .leftBracket || tokens[k].kind == .dot || isNamePart(tokens[k])
    }

    /// A word, a variable, or digits and letters after a variable (`${k}2`): one part of a name.
    private func isNamePart(_ t: Token) -> Bool {
        t.kind == .word || t.kind == .variable
            || (t.kind == .number && file.bytes[t.start..<t.end].allSatisfy { Lexer.isWordByte($0) })
    }

    private mutating func parseName() throws(Abort) -> Expr {
        let t = current
        // `esmm`, or parts glued into one name: `rmtl_$m`, `$m`, `${m}_base`
        var parts: [Expr] = []
        repeat {
            let part = advance()
            parts.append(part.kind == .variable ? .variable(variableName(part), range(part)) : .word(text(part), range(part)))
        } while isNamePart(current) && !current.spaceBefore
        let nameRange = range(t).union(parts[parts.count - 1].range)
        var base: Expr = parts.count == 1 && t.kind == .word ? .word(text(t), range(t)) : .interpolated(parts, index: nil, nameRange)
        if current.kind == .leftBracket, !current.spaceBefore {
            let open = advance()
            try enter(open)
            defer { depth -= 1 }
            let index = try parseExpression()
            if current.kind == .endOfFile {
                throw fail(.unexpectedEndOfInput(expected: "']'", opener: range(open), at: range(open)))
            }
            let close = try expect(.rightBracket, "']' after the index of '\(nameRange.text)'")
            if case .word = base {
                base = .indexed(Name(text: text(t), range: range(t)), index, range(t).union(range(close)))
            } else {
                base = .interpolated(parts, index: index, nameRange.union(range(close)))
            }
        }
        var members: [Name] = []
        var whole = base.range
        while current.kind == .dot, !current.spaceBefore {
            advance()
            guard current.kind == .word, !current.spaceBefore else {
                throw fail(.expected("a name after '.'", found: describe(current), at: position(current)))
            }
            let m = advance()
            members.append(Name(text: text(m), range: range(m)))
            whole = whole.union(range(m))
        }
        return members.isEmpty ? base : .path(base, members, whole)
    }

    // list := '[' [ element { ',' element } [','] ] ']' ;  element := WORD '=' primary | expr
    private mutating func parseList() throws(Abort) -> Expr {
        let open = advance()
        try enter(open)
        openBrackets += 1
        defer { depth -= 1; openBrackets -= 1 }
        var elements: [Expr] = []
        skipNewlines()
        while current.kind != .rightBracket {
            if current.kind == .endOfFile {
                throw fail(.unexpectedEndOfInput(expected: "']'", opener: range(open), at: range(open)))
            }
            if current.kind == .word, peekKind(1) == .equals {
                let label = advance()
                advance()
                let value = try parsePrimary()
                elements.append(.pair(Name(text: text(label), range: range(label)), value,
                                      range(label).union(value.range)))
            } else {
                elements.append(try parseExpression())
            }
            if current.kind == .comma {
                advance()
                skipNewlines()
            } else if current.kind == .newline {
                try closeOrFail(.rightBracket, "']'", opener: open, consume: false)
            } else if current.kind != .rightBracket {
                if current.kind == .endOfFile {
                    throw fail(.unexpectedEndOfInput(expected: "']'", opener: range(open), at: range(open)))
                }
                throw fail(.expected("',' or ']' in the list", found: describe(current), at: position(current)))
            }
        }
        let close = advance()
        return .list(elements, range(open).union(range(close)))
    }

    /// The value of a string literal's body: `\"`, `\\`, `\n`, `\t` are escapes.
    static func unescape(_ body: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = body.startIndex
        while i < body.endIndex {
            let b = body[i]
            if b == 0x5C, i + 1 < body.endIndex {
                let e = body[i + 1]
                switch e {
                case 0x6E: out.append(0x0A)
                case 0x74: out.append(0x09)
                case 0x22, 0x5C: out.append(e)
                default: out.append(b); out.append(e)
                }
                i += 2
            } else {
                out.append(b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

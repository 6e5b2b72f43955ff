/// A name as written, with where it was written.
public struct Name: Sendable, Equatable {
    public var text: String
    public var range: SourceRange
}

public enum BinaryOperator: String, Sendable, Equatable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"
    case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="
    case and, or

    var isComparison: Bool {
        switch self {
        case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return true
        default: return false
        }
    }
    var isLogical: Bool { self == .and || self == .or }
}

/// An expression or command argument value.
public indirect enum Expr: Sendable, Equatable {
    case number(Double, NumberLiteral.Unit, SourceRange)
    case string(String, SourceRange)
    case word(String, SourceRange)
    case variable(String, SourceRange)
    /// `esmm[$s]`: a result name with an index (results repeated over seeds).
    case indexed(Name, Expr, SourceRange)
    /// `esmm.ctr.auc`, `esmm[1].ctr.auc`: a base (word or indexed) and member names.
    case path(Expr, [Name], SourceRange)
    case list([Expr], SourceRange)
    /// `ctr=is_click` inside a list.
    case pair(Name, Expr, SourceRange)
    case negate(Expr, SourceRange)
    case binary(BinaryOperator, Expr, Expr, SourceRange)
    /// `@12.esmm`, `@12.esmm[3]`: a result of a past run in the registry (run id, then a `.word`
    /// or `.indexed` result name).
    case runResult(run: Int64, Expr, SourceRange)
    /// `rmtl_$m`, `$m[$s]`, `${m}_base`: a result name glued from `.word` and `.variable` parts (no
    /// spaces between them), with an optional index; its text is known when the variables are.
    case interpolated([Expr], index: Expr?, SourceRange)

    public var range: SourceRange {
        switch self {
        case .number(_, _, let r), .string(_, let r), .word(_, let r), .variable(_, let r),
            .indexed(_, _, let r), .path(_, _, let r), .list(_, let r), .pair(_, _, let r),
            .negate(_, let r), .binary(_, _, _, let r), .runResult(_, _, let r), .interpolated(_, _, let r):
            return r
        }
    }
}

/// One argument of a command: a value, or `name=value`.
public struct ArgumentSyntax: Sendable, Equatable {
    public var label: Name?
    public var value: Expr
    public var range: SourceRange { label.map { $0.range.union(value.range) } ?? value.range }
}

/// `WORD { argument }`.
public struct CommandSyntax: Sendable, Equatable {
    public var name: Name
    public var arguments: [ArgumentSyntax]
    public var range: SourceRange
}

/// One statement. Includes are resolved after parsing (`Program`), which fills `body`.
public indirect enum Statement: Sendable, Equatable {
    /// The words that start a statement that is not a command: parsed, completed and explained
    /// (`help let`) from this list.
    public enum Keyword: String, CaseIterable, Sendable {
        case `let`, `for`, `if`, include, assert

        public var usage: String {
            switch self {
            case .let: return "let NAME = VALUE"
            case .for: return "for NAME in [A, B, …] [parallel] { … }"
            case .if: return "if EXPR { … } else if EXPR { … } else { … }"
            case .include: return "include \"file.rmtl\""
            case .assert: return "assert EXPR"
            }
        }

        public var help: String {
            switch self {
            case .let: return "Bind a variable; use it as $NAME. A --set NAME=VALUE on the command line wins."
            case .for: return "Run the block once per value, with $NAME bound to it; a count runs 1…n: for s in $seeds { … }. "
                + "Name results from it: eval test as rmtl_$m[$s]. With 'parallel' the iterations are independent "
                + "(each starts from the loop's start: seed, no actor or critic, the results before the loop) and "
                + "under mpirun run on different ranks; output and results are the serial loop's."
            case .if: return "Run the first block whose condition holds; 'else' goes on the line of the closing '}'. "
                + "rmtl check checks every branch."
            case .include: return "Run another script here (path relative to this file, then stdlib/)."
            case .assert: return "Fail the run unless EXPR holds: < <= > >= == !=, and, or, + - * /, (…), "
                + "result paths such as esmm.ctr.auc (a group gives its mean)."
            }
        }
    }

    case command(CommandSyntax)
    case letBinding(Name, Expr, SourceRange)
    /// `for s in 5 { … }`; with `parallel` (`for s in 5 parallel { … }`) the iterations are
    /// independent and may run on different MPI ranks (Session+Parallel.swift).
    case forLoop(variable: Name, values: Expr, parallel: Bool, body: [Statement], SourceRange)
    /// `if COND { … } else { … }`; `else if` nests another conditional as the only `otherwise` statement.
    case conditional(Expr, then: [Statement], otherwise: [Statement], SourceRange)
    case include(path: Expr, body: [Statement]?, SourceRange)
    case assertion(Expr, SourceRange)

    public var range: SourceRange {
        switch self {
        case .command(let c): return c.range
        case .letBinding(_, _, let r), .forLoop(_, _, _, _, let r), .conditional(_, _, _, let r), .include(_, _, let r),
             .assertion(_, let r):
            return r
        }
    }
}

import RMTL

/// The kinds of names a script refers to, for "unknown …" errors and suggestions.
public enum NameKind: String, Sendable, Equatable {
    case command, subcommand, argument, model, result, variable, task, metric, keyword
    case value  // an allowed word of an argument, e.g. `mode=paper`
}

/// Engine state a command needs or produces; the checker tracks it to find impossible orders.
public enum StateFlag: String, Sendable, Equatable, CaseIterable {
    case data, sessions, splits, actor, trainedActor, critic, trainedCritic
}

/// One side of a false comparison in a failed `assert`: its source text and its value.
public struct AssertionSide: Sendable, Equatable {
    public var expression: String
    public var value: String
}

/// A problem found in a script, and where it is. Errors are data: no prose here.
/// The wording lives in one place, `Diagnostic.swift`.
public enum ScriptError: Error, Equatable, Sendable {
    // MARK: lexer
    case unexpectedCharacter(String, at: SourceRange)
    case invalidUTF8(UInt8, at: SourceRange)
    case unterminatedString(at: SourceRange)
    case invalidEscape(String, at: SourceRange)
    case unknownNumberSuffix(String, at: SourceRange)
    case numberOutOfRange(at: SourceRange)
    case missingVariableName(at: SourceRange)
    case lineTooLong(line: Int, bytes: Int, limit: Int, at: SourceRange)
    // MARK: parser
    case expected(String, found: String, at: SourceRange)
    /// Input ended inside a block, list or continued line; the prompt reads another line.
    case unexpectedEndOfInput(expected: String, opener: SourceRange?, at: SourceRange)
    case nestingTooDeep(limit: Int, at: SourceRange)
    // MARK: includes
    case includeNotFound(String, searched: [String], at: SourceRange)
    case includeCycle(String, at: SourceRange)
    /// The name found a folder (`found`), not a script.
    case includeIsFolder(String, found: String, at: SourceRange)
    case includeNeedsString(at: SourceRange)
    // MARK: checker
    case unknownName(String, kind: NameKind, candidates: [String], context: String?, at: SourceRange)
    case wrongType(argument: String, expected: String, found: String, at: SourceRange)
    case missingArgument(command: String, argument: String, at: SourceRange)
    case tooManyArguments(command: String, at: SourceRange)
    case duplicateArgument(String, at: SourceRange)
    case valueOutOfRange(argument: String, value: String, allowed: String, at: SourceRange)
    case missingState(command: String, needs: StateFlag, at: SourceRange)
    case invalidUse(String, at: SourceRange)
    /// `rmtl_$m` where `$m` is not a word or a whole number (found: its kind or value).
    case badNamePart(variable: String, found: String, at: SourceRange)
    // MARK: runtime
    case commandUnavailable(command: String, at: SourceRange)
    case runtime(String, at: SourceRange)
    /// Settings that cannot run together or do not fit the data: the argument that set the
    /// engine's parameter (or the command, for a default) and the problem.
    case configurationRejected(argument: String, ConfigurationError.Problem, at: SourceRange)
    /// The engine rejected the command (bad data, impossible settings), in its own words and hint.
    case engineFailed(String, hint: String?, at: SourceRange)
    /// The engine estimated that `argument` would need more memory or disk than the machine has
    /// (`ResourceError`): what for, the bytes needed and available.
    case resourceExceeded(argument: String, ResourceError, at: SourceRange)
    case assertionFailed(expression: String, sides: [AssertionSide], at: SourceRange)
    case interrupted(at: SourceRange)
    case io(String, path: String, at: SourceRange)
    /// An error met elsewhere (another MPI rank, or an iteration of a `parallel` loop) and rendered
    /// there: shown as it was. `isIO` keeps the exit code of an `io` error (74).
    case relayed(rendered: String, isIO: Bool, at: SourceRange)

    /// Where the problem is.
    public var range: SourceRange {
        switch self {
        case .unexpectedCharacter(_, let r), .invalidUTF8(_, let r), .unterminatedString(let r),
            .invalidEscape(_, let r), .unknownNumberSuffix(_, let r), .numberOutOfRange(let r),
            .missingVariableName(let r), .lineTooLong(_, _, _, let r), .expected(_, _, let r),
            .unexpectedEndOfInput(_, _, let r), .nestingTooDeep(_, let r), .includeNotFound(_, _, let r),
            .includeCycle(_, let r), .includeIsFolder(_, _, let r), .includeNeedsString(let r), .unknownName(_, _, _, _, let r),
            .wrongType(_, _, _, let r), .missingArgument(_, _, let r), .tooManyArguments(_, let r),
            .duplicateArgument(_, let r), .valueOutOfRange(_, _, _, let r), .missingState(_, _, let r),
            .invalidUse(_, let r), .badNamePart(_, _, let r), .commandUnavailable(_, let r), .runtime(_, let r), .engineFailed(_, _, let r),
            .configurationRejected(_, _, let r), .resourceExceeded(_, _, let r),
            .assertionFailed(_, _, let r), .interrupted(let r), .io(_, _, let r), .relayed(_, _, let r):
            return r
        }
    }

    /// True when more input could complete the script (the prompt then asks for another line).
    public var isIncompleteInput: Bool {
        if case .unexpectedEndOfInput = self { return true }
        return false
    }
}

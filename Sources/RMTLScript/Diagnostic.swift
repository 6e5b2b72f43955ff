import Foundation
import RMTL

/// Turns a `ScriptError` into the text users see. All wording lives here.
///
/// ```
/// scripts/rr-esmm.rmtl:7:7: error: unknown model 'esm'
///     7 | actor esm bottom=[256, 128]
///       |       ^~~
/// hint: did you mean 'esmm'? (models: single, sharedbottom, esmm, omoe, mmoe, ple, aitm)
/// ```
public struct Diagnostic: Sendable {
    public let error: ScriptError

    public init(_ error: ScriptError) { self.error = error }

    /// `file:line:col`
    public var location: String { error.range.description }

    /// The one-line message after `error: `.
    public var message: String {
        switch error {
        case .unexpectedCharacter(let c, _):
            return "unexpected character '\(c)'"
        case .invalidUTF8(let b, _):
            return "invalid UTF-8 byte 0x\(String(b, radix: 16, uppercase: true))"
        case .unterminatedString:
            return "unterminated string: expected '\"' before the end of the line"
        case .invalidEscape(let e, _):
            return "invalid escape '\(e)' in string"
        case .unknownNumberSuffix(let s, _):
            return "unknown number suffix '\(s)'"
        case .numberOutOfRange:
            return "number is too large"
        case .missingVariableName:
            return "expected a variable name after '$'"
        case .lineTooLong(let line, let bytes, let limit, _):
            return "line \(line) is too long (\(bytes) bytes; the limit is \(limit))"
        case .expected(let what, let found, _):
            return "expected \(what), found \(found)"
        case .unexpectedEndOfInput(let expected, let opener, _):
            if let opener, expected.hasPrefix("'}'") || expected.hasPrefix("'{'") {
                return "expected \(expected) at line \(opener.line)"
            }
            if let opener { return "expected \(expected) to close '\(opener.text.prefix(1))' at line \(opener.line)" }
            return "expected \(expected) before the end of the input"
        case .nestingTooDeep(let limit, _):
            return "nesting is too deep (the limit is \(limit) levels)"
        case .includeNotFound(let path, _, _):
            return "cannot find included file '\(path)'"
        case .includeIsFolder(let path, _, _):
            return "cannot include '\(path)': it is a folder, not a script"
        case .includeCycle(let path, _):
            return "'\(path)' includes itself"
        case .includeNeedsString:
            return "'include' needs a file name in quotes"
        case .unknownName(let name, let kind, _, let context, _):
            let what: String
            switch kind {
            case .command: what = "command"
            case .subcommand: what = "subcommand"
            case .argument: what = "argument"
            case .model: what = "model"
            case .result: what = "result"
            case .variable: what = "variable"
            case .task: what = "task"
            case .metric: what = "metric"
            case .keyword: what = "word"
            case .value: what = "value"
            }
            let shown = kind == .variable ? "$" + name : name
            if let context { return "unknown \(what) '\(shown)' for \(context)" }
            return "unknown \(what) '\(shown)'"
        case .wrongType(let argument, let expected, let found, _):
            return "'\(argument)' expects \(expected), found \(found)"
        case .missingArgument(let command, let argument, _):
            return "'\(command)' needs \(argument)"
        case .tooManyArguments(let command, _):
            return "too many arguments for '\(command)'"
        case .duplicateArgument(let name, _):
            return "argument '\(name)' is given twice"
        case .valueOutOfRange(let argument, let value, let allowed, _):
            return "'\(argument)' must be \(allowed), found \(value)"
        case .missingState(let command, let needs, _):
            return "'\(command)' needs \(Diagnostic.describe(needs))"
        case .invalidUse(let text, _):
            return text
        case .badNamePart(let variable, let found, _):
            return "cannot build a name from '$\(variable)': it is \(found)"
        case .commandUnavailable(let command, _):
            return "'\(command)' is not available yet in this build"
        case .runtime(let text, _), .engineFailed(let text, _, _):
            return text
        case .configurationRejected(let argument, let problem, _):
            return "invalid '\(argument)': \(problem.text)"
        case .resourceExceeded(let argument, let e, _):
            return "'\(argument)' is too large: \(e.what) would need \(ByteCount.format(e.needed)) of \(e.resource.rawValue); "
                + "this machine has \(ByteCount.format(e.available))\(e.resource == .disk ? " free there" : " available")"
        case .assertionFailed(let expression, _, _):
            return "assertion failed: \(expression)"
        case .interrupted:
            return "interrupted"
        case .io(let text, let path, _):
            return "cannot \(text) '\(path)'"
        case .relayed(let text, _, _):
            let first = text.prefix { $0 != "\n" }
            return first.range(of: ": error: ").map { String(first[$0.upperBound...]) } ?? String(first)
        }
    }

    /// What to do about it, or nil.
    public var hint: String? {
        switch error {
        case .engineFailed(_, let hint, _):
            return hint
        case .configurationRejected(_, let problem, _):
            return problem.hint
        case .resourceExceeded(let argument, let e, _):
            return e.resource == .disk
                ? "lower '\(argument)' or write to a folder on a disk with more free space"
                : "lower '\(argument)' (the estimate counts what the command would allocate before it starts)"
        case .unknownName(let name, let kind, let candidates, _, _):
            let suggestion = Suggestion.nearest(name, in: candidates)
            let listed = candidates.count <= 12 && !candidates.isEmpty
            let plural: String
            switch kind {
            case .command: plural = "commands"
            case .subcommand: plural = "allowed"
            case .argument: plural = "arguments"
            case .model: plural = "models"
            case .result: plural = "results"
            case .variable: plural = "variables"
            case .task: plural = "tasks"
            case .metric: plural = "metrics"
            case .keyword, .value: plural = "allowed"
            }
            let prefix = kind == .variable ? "$" : ""
            let list = listed ? " (\(plural): \(candidates.map { prefix + $0 }.joined(separator: ", ")))" : ""
            if let suggestion { return "did you mean '\(prefix)\(suggestion)'?\(list)" }
            if listed { return "\(plural): \(candidates.map { prefix + $0 }.joined(separator: ", "))" }
            if kind == .result, candidates.isEmpty { return "no results yet: name one with 'eval test as NAME'" }
            if kind == .variable, candidates.isEmpty { return "define it first with 'let \(name) = …'" }
            return nil
        case .missingState(_, let needs, _):
            switch needs {
            case .data: return "load a dataset first ('load', 'generate' then 'load', or 'restore')"
            case .sessions: return "cut sessions first with 'sessionize'"
            case .splits: return "split the data first, e.g. 'split time 0.6 0.2 0.2'"
            case .actor: return "build an actor first, e.g. 'actor esmm'"
            case .trainedActor: return "train the actor first with 'train actor' (or 'restore' a saved state)"
            case .critic: return "build the critics first with 'critic'"
            case .trainedCritic: return "train the critics first with 'train critic'"
            }
        case .includeIsFolder(let path, let found, _):
            return "include a .rmtl file inside it, e.g. include \"\(path.hasSuffix("/") ? path : path + "/")NAME.rmtl\""
                + (found == path ? "" : " (the folder found: \(found))")
        case .includeNotFound(_, let searched, _):
            return "looked in: " + searched.joined(separator: ", ")
        case .unexpectedEndOfInput(_, let opener?, _) where opener.text.hasPrefix("for"):
            return "every 'for … {' needs a matching '}'"
        case .unexpectedEndOfInput(_, let opener?, _) where opener.text.hasPrefix("if") || opener.text.hasPrefix("else"):
            return "every 'if … {' and 'else {' needs a matching '}'"
        case .expected(_, let found, _) where found == "'/'" || found == "'.'":
            return "put file names in quotes, e.g. \"data/retailrocket\""
        case .missingVariableName:
            return Diagnostic.variableSpelling
        case .expected(let what, _, _) where what.hasPrefix("'}' after '${"):
            return Diagnostic.variableSpelling
        case .badNamePart:
            return "a name is built from words and whole numbers, e.g. for m in [esmm, mmoe] { eval test as rmtl_$m }"
        case .commandUnavailable:
            return "the engine part of this command has not been merged yet"
        case .unknownNumberSuffix:
            return "suffixes: k, M, G (counts); ms, s, m, h, d (durations)"
        case .nestingTooDeep:
            return "split the script into smaller blocks"
        case .interrupted:
            return nil
        default:
            return nil
        }
    }

    /// `file:line:col: warning: …` (the command it is about; no location outside a command) and
    /// its hint on the next line, as errors have them.
    static func warning(_ message: String, hint: String?, at location: SourceRange?) -> String {
        (location.map { "\($0): " } ?? "") + "warning: \(message)" + (hint.map { "\nhint: \($0)" } ?? "")
    }

    /// The warning (and its hint) `split` prints when parts came out far from the fractions asked
    /// (`asked` nil: by a column or preset) or nearly empty.
    static func lopsidedSplit(parts: [String], asked: [Double]?, achieved: [Double], keptSessions: Bool) -> (message: String, hint: String) {
        func shares(_ f: [Double]) -> String { f.map { Workspace.percent($0) }.joined(separator: " / ") }
        var message = "the split is lopsided (\(parts.joined(separator: ", ")))"
        message += asked.map { ": asked \(shares($0)), got \(shares(achieved))" } ?? ": got \(shares(achieved))"
        if keptSessions { message += "; sessions are kept whole and some span most of the period" }
        let hint = keptSessions
            ? "cut sessions at idle gaps with 'sessionize gap=30m', or split rows by time with 'keep_sessions=false'"
            : asked == nil ? "check the column's values" : "cut sessions at idle gaps with 'sessionize gap=30m'"
        return (message, hint)
    }

    /// `rmtl help WORD` for a word that is neither a shell subcommand nor a language command.
    public static func unknownHelpTopic(_ words: [String], candidates: [String]) -> String {
        let shown = words.joined(separator: " ").escapingControlCharacters()
        var text = "rmtl: error: no command '\(shown)'\nhint: "
        if let near = Suggestion.nearest(words[0], in: candidates) { text += "did you mean '\(near)'? " }
        return text + "'rmtl help' lists the shell commands, 'rmtl help COMMAND' explains a language command (\(candidates.joined(separator: ", ")))"
    }

    /// Ctrl-D at a `...` prompt: the session ends; the unfinished block is not run.
    public static func droppedBlock(lines: Int) -> String {
        "dropped the unfinished block (\(lines) line\(lines == 1 ? "" : "s"), not run); goodbye"
    }

    /// `save` could not write its file: what failed, once (the location and `error:` come from the
    /// rendering).
    static func saveFailed(_ e: AtomicFileError) -> String {
        "cannot save to '\(e.path)': \(e.step.rawValue): \(e.error)"
    }

    /// What to do about a failed save, from the system's reason.
    static func saveFailedHint(_ e: AtomicFileError) -> String {
        let folder = (e.path as NSString).deletingLastPathComponent
        switch e.step {
        case .open, .writeDirectly, .unsupportedTarget: return e.hint
        default: break
        }
        switch e.error.code {
        case ENOENT, ENOTDIR:
            return "the folder '\(folder.isEmpty ? "." : folder)' does not exist; create it first (mkdir -p) or save elsewhere"
        case EACCES, EPERM, EROFS:
            return "you may not write in '\(folder.isEmpty ? "." : folder)'; fix its permissions or save elsewhere"
        case ENOSPC, EDQUOT:
            return "the disk is full; free space and save again" + (e.isTargetUnchanged ? " (the previous file is unchanged)" : "")
        case EISDIR:
            return "'\(e.path)' is a folder; give a file name inside it"
        default:
            return e.isTargetUnchanged
                ? "the previous file was left unchanged; save again"
                : "the new file is in place but may not survive a power loss; save again to be sure"
        }
    }

    static let variableSpelling = "a variable is $name, or ${name} when word characters follow it: ${m}_base"

    static func describe(_ flag: StateFlag) -> String {
        switch flag {
        case .data: return "a loaded dataset"
        case .sessions: return "sessions"
        case .splits: return "a train/val/test split"
        case .actor: return "an actor"
        case .trainedActor: return "a trained actor"
        case .critic: return "critics"
        case .trainedCritic: return "trained critics"
        }
    }

    /// Extra lines after the caret (the two sides of a failed assert).
    var details: [String] {
        if case .assertionFailed(_, let sides, _) = error {
            let width = sides.map(\.expression.count).max() ?? 0
            return sides.map { "  \($0.expression.padding(toLength: width, withPad: " ", startingAt: 0)) = \($0.value)" }
        }
        return []
    }

    /// The full text: location and message, the source line with a caret under the range, extra
    /// detail lines, then the hint. Ends without a newline.
    public func rendered() -> String {
        if case .relayed(let text, _, _) = error { return text }
        let r = error.range
        // names and found text come from the script: control characters must not reach the terminal
        var lines = ["\(location): error: \(message)".escapingControlCharacters()]
        lines += Diagnostic.sourceExcerpt(r)
        lines += details.map { $0.escapingControlCharacters() }
        if let hint { lines.append("hint: \(hint)".escapingControlCharacters()) }
        return lines.joined(separator: "\n")
    }

    /// `    7 | actor esm` and `      |       ^~~`. Long lines are shown as a window around the range.
    static func sourceExcerpt(_ r: SourceRange) -> [String] {
        let file = r.file
        guard !file.bytes.isEmpty else { return [] }
        let line = r.line
        let lineBytes = file.lineRange(line)
        let start = min(max(r.start, lineBytes.lowerBound), lineBytes.upperBound)
        let end = min(max(r.end, start), lineBytes.upperBound)
        // a window of at most ~120 bytes keeps a 1 MB line readable
        var windowStart = lineBytes.lowerBound
        var windowEnd = lineBytes.upperBound
        var leftCut = false, rightCut = false
        if windowEnd - windowStart > 160 {
            windowStart = max(lineBytes.lowerBound, start - 60)
            windowEnd = min(lineBytes.upperBound, max(end, start + 1) + 60)
            while windowStart > lineBytes.lowerBound, file.bytes[windowStart] & 0xC0 == 0x80 { windowStart -= 1 }
            while windowEnd < lineBytes.upperBound, file.bytes[windowEnd] & 0xC0 == 0x80 { windowEnd += 1 }
            leftCut = windowStart > lineBytes.lowerBound
            rightCut = windowEnd < lineBytes.upperBound
        }
        let number = String(line)
        let gutter = String(repeating: " ", count: number.count)
        var text = (leftCut ? "…" : "") + file.text(windowStart..<windowEnd) + (rightCut ? "…" : "")
        text = text.replacingControlCharacters()
        var marker = leftCut ? " " : ""
        var i = windowStart
        while i < start {
            if file.bytes[i] & 0xC0 != 0x80 { marker += file.bytes[i] == 0x09 ? "\t" : " " }
            i += 1
        }
        var width = 0
        i = start
        while i < min(end, windowEnd) {
            if file.bytes[i] & 0xC0 != 0x80 { width += 1 }
            i += 1
        }
        marker += "^" + String(repeating: "~", count: max(0, width - 1))
        return ["    \(number) | \(text)", "    \(gutter) | \(marker)"]
    }
}

extension String {
    /// Shows control characters (C0 and C1, DEL; tab included) as `\x1B`, so text taken from a
    /// script cannot move the cursor or recolour the terminal.
    public func escapingControlCharacters() -> String {
        var out = ""
        for s in unicodeScalars {
            if s.value < 0x20 || (0x7F...0x9F).contains(s.value) {
                out += "\\x" + String(s.value, radix: 16, uppercase: true).leftPadded(to: 2)
            } else {
                out.unicodeScalars.append(s)
            }
        }
        return out
    }

    private func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }

    /// Shows control characters other than tab as U+FFFD so a caret line stays aligned.
    func replacingControlCharacters() -> String {
        var out = String.UnicodeScalarView()
        for s in unicodeScalars {
            if s.value < 0x20 && s != "\t" || s.value == 0x7F { out.append("\u{FFFD}") } else { out.append(s) }
        }
        return String(out)
    }
}

import Foundation
import Testing
import RMTLScript

/// The golden corpus: `.rmtl` files under `Scripts/<feature>/` whose comments state what must happen.
///
/// - `# expect: TEXT` — the next line of standard output (all output lines, in order).
/// - `# error: L:C: MESSAGE` — a diagnostic of this file (all of them, compared as a set).
/// - `# hint: TEXT` — the hint of the `# error:` just above.
/// - `# stderr: TEXT` — a line that must appear in the diagnostics (assert sides).
/// - `# exit: N` — the exit code (default 0, or 65 when errors are expected).
/// - `# mode: check` — only check, do not run.
struct GoldenExpectations {
    var stdout: [String] = []
    var errors: [(position: String, message: String, hint: String?)] = []
    var stderrLines: [String] = []
    var exit: Int32?
    var checkOnly = false

    init(_ text: String) {
        for line in text.components(separatedBy: "\n") {
            guard let hash = GoldenExpectations.commentStart(line) else { continue }
            let comment = String(line[line.index(after: hash)...]).trimmingCharacters(in: .whitespaces)
            func rest(_ key: String) -> String? {
                comment.hasPrefix(key) ? String(comment.dropFirst(key.count)).trimmingCharacters(in: .whitespaces) : nil
            }
            if comment.hasPrefix("expect:") {
                // exactly one space after the colon; the rest (leading spaces included) is the line
                let after = String(line[line.index(after: hash)...]).drop { $0 == " " }.dropFirst("expect:".count)
                stdout.append(String(after.hasPrefix(" ") ? after.dropFirst() : after))
            }
            else if let r = rest("error:") {
                let parts = r.split(separator: " ", maxSplits: 1).map(String.init)
                errors.append((String(parts[0].dropLast()), parts.count > 1 ? parts[1] : "", nil))
            } else if let r = rest("hint:"), !errors.isEmpty { errors[errors.count - 1].hint = r }
            else if comment.hasPrefix("stderr: ") { stderrLines.append(String(comment.dropFirst("stderr: ".count))) }
            else if let r = rest("exit:") { exit = Int32(r) }
            else if let r = rest("mode:") { checkOnly = r == "check" }
        }
    }

    /// The `#` starting a comment (not inside a string).
    static func commentStart(_ line: String) -> String.Index? {
        var inString = false
        var escaped = false
        for i in line.indices {
            let c = line[i]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" { inString = true } else if c == "#" { return i }
        }
        return nil
    }
}

/// One rendered diagnostic, split into `L:C`, message and hint (for the main file only).
struct RenderedDiagnostic: Equatable {
    var position: String
    var message: String
    var hint: String?

    init?(_ text: String, file: String) {
        let lines = text.components(separatedBy: "\n")
        guard let first = lines.first, first.hasPrefix(file + ":") else { return nil }
        let rest = first.dropFirst(file.count + 1)
        guard let sep = rest.range(of: ": error: ") else { return nil }
        position = String(rest[..<sep.lowerBound])
        message = String(rest[sep.upperBound...])
        hint = lines.last(where: { $0.hasPrefix("hint: ") }).map { String($0.dropFirst(6)) }
    }
}

@Test(arguments: Fixtures.goldenScripts())
func goldenScript(_ relative: String) throws {
    let path = Fixtures.scriptsDirectory.appendingPathComponent(relative).path
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let expected = GoldenExpectations(text)
    let captured = CapturedSession()
    let outcome = captured.session.run(source: text, file: path, mode: expected.checkOnly ? .check : .run)

    #expect(captured.stdout == expected.stdout, "standard output of \(relative)")

    let actual = captured.diagnostics.compactMap { RenderedDiagnostic($0, file: path) }
    let foreign = captured.diagnostics.filter { RenderedDiagnostic($0, file: path) == nil }
    #expect(foreign.isEmpty, "diagnostics in other files: \(foreign)")
    let actualKeys = actual.map { "\($0.position): \($0.message)" }.sorted()
    let expectedKeys = expected.errors.map { "\($0.position): \($0.message)" }.sorted()
    #expect(actualKeys == expectedKeys, "diagnostics of \(relative)")
    for e in expected.errors {
        guard let hint = e.hint else { continue }
        let match = actual.first { $0.position == e.position && $0.message == e.message }
        #expect(match?.hint == hint, "hint of \(relative):\(e.position)")
    }
    let allStderr = captured.diagnostics.joined(separator: "\n").components(separatedBy: "\n")
    for line in expected.stderrLines {
        #expect(allStderr.contains(line), "stderr line '\(line)' in \(relative)")
    }
    let exit = expected.exit ?? (expected.errors.isEmpty ? 0 : 65)
    #expect(outcome.exitCode == exit, "exit code of \(relative)")
}

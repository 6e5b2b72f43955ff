import Foundation
import Testing
import RMTLScript

@Suite struct LexerTests {
    /// The lexer is lossless: token ranges tile the input exactly.
    @Test(arguments: [
        "seed 2022\n", "actor esmm bottom=[512, 256] # c\n", "show \"a\\\"b\" \\\n  1e-3 2.7M 30m\r\n",
        "x @ é \u{1}", "\"unterminated\nnext", "$ $x 5q", "", "\\", "a.b.c esmm[$s].ctr.auc",
        "${m}_x rmtl_$m[$s] $a$b", "${", "${m", "${m x", "${}", "${m}}",
    ])
    func tokensTileTheInput(_ text: String) {
        let file = SourceFile(name: "t", text: text)
        let (tokens, _) = Lexer.lex(file)
        var at = 0
        for t in tokens {
            #expect(t.start == at, "gap before \(t)")
            at = t.end
        }
        #expect(at == file.bytes.count)
        #expect(tokens.last?.kind == .endOfFile)
    }

    @Test(arguments: [
        ("2048", 2048.0, NumberLiteral.Unit.plain), ("1e-3", 0.001, .plain), ("1.2M", 1_200_000, .plain),
        ("500k", 500_000, .plain), ("2G", 2e9, .plain), ("30m", 1800, .duration), ("2h", 7200, .duration),
        ("250ms", 0.25, .duration), ("1d", 86400, .duration), ("1.5e2k", 150_000, .plain),
    ])
    func numberLiterals(text: String, value: Double, unit: NumberLiteral.Unit) throws {
        let (v, u) = try NumberLiteral.parse(text).get()
        #expect(v == value)
        #expect(u == unit)
    }

    @Test func byteOrderMarkAndLineEndings() {
        let c = CapturedSession()
        let outcome = c.session.run(source: "\u{FEFF}show 1\r\nshow 2\rshow 3\n", file: "bom", mode: .run)
        #expect(outcome.status == .ok, "\(c.diagnostics)")
        #expect(c.stdout == ["1", "2", "3"])
    }

    @Test func emptyAndCommentOnlyScripts() {
        for text in ["", "\n\n", "# only a comment", "   \t\n# x\n"] {
            let c = CapturedSession()
            #expect(c.session.run(source: text, file: "e", mode: .run).status == .ok)
            #expect(c.stdout.isEmpty && c.diagnostics.isEmpty)
        }
    }

    /// The byte fast path agrees bit for bit with Swift's `Double(String)` (strtod).
    @Test func fastNumberPathMatchesStrtod() throws {
        var rng = SplitMix64(state: 42)
        var texts = ["0", "7", "0.1", "0.2", "0.3", "2.5", "123456789012345", "1234567890123456", "0.000001",
                     "9007199254740993", "0.1234567890123456789", "99999999999999.9", "1.0000000000000002"]
        for _ in 0..<20_000 {
            let intDigits = 1 + rng.below(9), fracDigits = rng.below(12)
            var t = String(rng.below(10))
            for _ in 1..<intDigits { t += String(rng.below(10)) }
            if fracDigits > 0 { t += "." + (0..<fracDigits).map { _ in String(rng.below(10)) }.joined() }
            texts.append(t)
        }
        for t in texts {
            let (v, unit) = try NumberLiteral.parse(bytes: Array(t.utf8)).get()
            #expect(unit == .plain)
            #expect(v.bitPattern == Double(t)!.bitPattern, "\(t)")  // Double(t) cannot fail: t is digits
        }
    }

    @Test func badSuffixes() {
        for text in ["5x", "2e", "1mm", "3MB"] {
            if case .success = NumberLiteral.parse(text) { Issue.record("\(text) should fail") }
        }
    }

    @Test func positionsCountScalars() {
        let file = SourceFile(name: "t", text: "é x\r\nab\rc")
        #expect(file.line(of: 3) == 1)
        #expect(file.column(of: 3) == 3)  // 'x' after a 2-byte 'é' and a space
        #expect(file.line(of: 6) == 2)
        #expect(file.line(of: 9) == 3)
        #expect(file.lineStarts == [0, 6, 9])
    }
}

@Suite struct DiagnosticTests {
    func diagnostics(_ text: String, file: String = "scripts/rr-esmm.rmtl") -> [String] {
        let c = CapturedSession()
        c.session.run(source: text, file: file, mode: .check)
        return c.diagnostics
    }

    @Test func rendersCaretAndHint() {
        let text = "load rmtl \"d\"\nseed 1\nseed 2\nseed 3\nseed 4\nseed 5\nactor esm bottom=[256, 128]\n"
        #expect(diagnostics(text) == ["""
            scripts/rr-esmm.rmtl:7:7: error: unknown model 'esm'
                7 | actor esm bottom=[256, 128]
                  |       ^~~
            hint: did you mean 'esmm'? (models: single, sharedbottom, esmm, omoe, mmoe, ple, aitm)
            """])
    }

    @Test func unclosedBlockPointsAtOpener() {
        #expect(diagnostics("seed 1\nfor s in [1, 2] {\n  seed $s\n", file: "x.rmtl") == ["""
            x.rmtl:2:1: error: expected '}' to close 'for' at line 2
                2 | for s in [1, 2] {
                  | ^~~
            hint: every 'for … {' needs a matching '}'
            """])
    }

    @Test func caretAfterTabsAndWideCharacters() {
        let d = diagnostics("\tshow \"é\" $nope\n", file: "t")
        #expect(d.first?.components(separatedBy: "\n")[2] == "      | \t         ^~~~~")
    }

    @Test func longLinesAreWindowed() {
        let text = "show [" + String(repeating: "1, ", count: 2000) + "@]\n"
        let d = diagnostics(text, file: "t")
        let lines = d.first?.components(separatedBy: "\n") ?? []
        #expect(lines.count == 3)
        #expect(lines[1].count < 200)
        #expect(lines[1].hasPrefix("    1 | …"))
        // the caret is under the '@'
        let caret = lines[2].firstIndex(of: "^").map { lines[2].distance(from: lines[2].startIndex, to: $0) }
        let at = lines[1].firstIndex(of: "@").map { lines[1].distance(from: lines[1].startIndex, to: $0) }
        #expect(caret == at)
    }
}

@Suite struct SuggestionTests {
    @Test func editDistanceExamples() {
        #expect(Suggestion.editDistance("esm", "esmm") == 1)
        #expect(Suggestion.editDistance("mmeo", "mmoe") == 1)  // adjacent swap counts once
        #expect(Suggestion.editDistance("critc", "critic") == 1)
        #expect(Suggestion.editDistance("", "abc") == 3)
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
    }

    @Test func thresholdAndTies() {
        #expect(Suggestion.nearest("esm", in: modelNames) == "esmm")
        #expect(Suggestion.nearest("transformer", in: modelNames) == nil)
        #expect(Suggestion.nearest("pl", in: modelNames) == "ple")
        // 'ab' is 1 edit from both: the earlier declared wins
        #expect(Suggestion.nearest("ab", in: ["abx", "aby"]) == "abx")
        #expect(Suggestion.nearest("ab", in: ["aby", "abx"]) == "aby")
        #expect(Suggestion.nearest("esmm", in: ["esmm"]) == nil)
    }
}

/// Generated corpus of typos: for every command, argument and model, a one-edit misspelling gives
/// "unknown … 'typo'" at the right column with "did you mean" the original (G5).
@Suite struct TypoCorpusTests {
    struct Case: CustomStringConvertible, Sendable {
        var script: String
        var line: Int
        var column: Int
        var message: String
        var suggestion: String
        var description: String { script }
    }

    /// Drops the second-to-last letter: `seed`→`sed`, `epochs`→`epocs`.
    static func typo(_ w: String) -> String {
        var c = Array(w)
        c.remove(at: c.count - 2)
        return String(c)
    }

    static func cases() -> [Case] {
        var out: [Case] = []
        // One line that makes every later command possible: data, a trained actor, trained critics.
        let prefix = "load rmtl \"x\"\nrestore \"s\"\ncritic\ntrain critic\n"
        let line = 5
        let visible = commandTable.filter { !$0.isHidden }
        var verbsSeen: Set<String> = []
        for spec in visible where spec.verb.count >= 4 && verbsSeen.insert(spec.verb).inserted {
            let t = typo(spec.verb)
            guard Suggestion.nearest(t, in: keywords + Commands.verbs()) == spec.verb else { continue }
            out.append(Case(script: prefix + t + "\n", line: line, column: 1, message: "unknown command '\(t)'",
                            suggestion: spec.verb))
        }
        for spec in visible {
            if let sub = spec.sub, sub.count >= 3 {
                let t = typo(sub)
                if Suggestion.nearest(t, in: Commands.subs(of: spec.verb)) == sub {
                    out.append(Case(script: prefix + "\(spec.verb) \(t)\n", line: line, column: spec.verb.count + 2,
                                    message: "unknown subcommand '\(t)' for '\(spec.verb)'", suggestion: sub))
                }
            }
            for p in spec.params where !p.isPositional && !p.isRequired && p.keyword == nil && p.name.count >= 3 {
                let t = typo(p.name)
                guard Suggestion.nearest(t, in: spec.params.map(\.name)) == p.name else { continue }
                var required = spec.params.filter { $0.isRequired && $0.name != p.name }.map { q -> String in
                    switch q.type {
                    case .path: return q.isPositional ? "\"f\"" : "\(q.name)=\"f\""
                    case .model: return "esmm"
                    case .labelMap: return "labels=[ctr=c]"
                    case .newResult: return "as r"
                    default: return q.isPositional ? "1" : "\(q.name)=1"
                    }
                }
                if spec.variadic != nil { required.append("x") }
                let head = ([spec.id] + required).joined(separator: " ")
                out.append(Case(script: prefix + "record result as x ctr=[1,1,1]\n" + head + " \(t)=1\n", line: line + 1,
                                column: head.count + 2, message: "unknown argument '\(t)' for '\(spec.id)'",
                                suggestion: p.name))
            }
        }
        for m in modelNames where m.count >= 4 {
            let t = typo(m)
            guard Suggestion.nearest(t, in: modelNames) == m else { continue }
            out.append(Case(script: prefix + "actor \(t)\n", line: line, column: 7, message: "unknown model '\(t)'",
                            suggestion: m))
        }
        return out
    }

    @Test func corpusIsLarge() {
        #expect(TypoCorpusTests.cases().count >= 60)
    }

    @Test(arguments: TypoCorpusTests.cases())
    func typoIsReportedWithSuggestion(_ c: Case) {
        let captured = CapturedSession()
        let outcome = captured.session.run(source: c.script, file: "t.rmtl", mode: .check)
        #expect(outcome.exitCode == 65)
        #expect(captured.diagnostics.count == 1, "\(captured.diagnostics)")
        let d = captured.diagnostics.first ?? ""
        #expect(d.hasPrefix("t.rmtl:\(c.line):\(c.column): error: \(c.message)\n"), "\(d)")
        #expect(d.contains("hint: did you mean '\(c.suggestion)'?"), "\(d)")
    }
}

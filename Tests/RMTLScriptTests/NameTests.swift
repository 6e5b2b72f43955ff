import Foundation
import Testing
import RMTLScript

/// Result names built from variables (`rmtl_$m`, `$m[$s]`, `${m}_base`): how they parse, what the
/// checker knows of them, and what the interpreter builds.
@Suite struct NameTests {
    /// The value of the one argument of `show VALUE`.
    func value(_ text: String) -> Expr? {
        let (statements, errors) = Parser.parse(SourceFile(name: "t", text: "show \(text)\n"))
        guard errors.isEmpty, case .command(let c)? = statements.first, c.arguments.count == 1 else { return nil }
        return c.arguments[0].value
    }

    /// The parts of a built name as text (`rmtl_`, `$m`), and whether it has an index.
    func parts(_ e: Expr?) -> ([String], indexed: Bool)? {
        guard case .interpolated(let parts, let index, _)? = e else { return nil }
        let texts = parts.map { part -> String in
            switch part {
            case .word(let w, _): return w
            case .variable(let v, _): return "$" + v
            default: return "?"
            }
        }
        return (texts, index != nil)
    }

    @Test func gluedPartsMakeOneName() {
        #expect(parts(value("rmtl_$m"))! == (["rmtl_", "$m"], false))
        #expect(parts(value("rmtl_$m[$s]"))! == (["rmtl_", "$m"], true))
        #expect(parts(value("$m[$s]"))! == (["$m"], true))
        #expect(parts(value("${m}_base$k"))! == (["$m", "_base", "$k"], false))
        #expect(parts(value("$a$b"))! == (["$a", "$b"], false))
        #expect(parts(value("run${k}2x[1]"))! == (["run", "$k", "2x"], true))
        guard case .path(let base, let members, _)? = value("rmtl_$m[2].ctr.auc") else { Issue.record("no path"); return }
        #expect(parts(base)! == (["rmtl_", "$m"], true))
        #expect(members.map(\.text) == ["ctr", "auc"])
        guard case .path(let single, _, _)? = value("$m.ctr.auc") else { Issue.record("no path"); return }
        #expect(parts(single)! == (["$m"], false))
    }

    @Test func existingConstructsKeepTheirShape() {
        guard case .variable("x", _)? = value("$x") else { Issue.record("$x"); return }
        guard case .variable("x", _)? = value("${x}") else { Issue.record("${x}"); return }
        guard case .word("esmm", _)? = value("esmm") else { Issue.record("esmm"); return }
        guard case .indexed(let n, .variable("s", _), _)? = value("esmm[$s]"), n.text == "esmm" else { Issue.record("esmm[$s]"); return }
        guard case .path(.word("esmm", _), let m, _)? = value("esmm.ctr.auc"), m.count == 2 else { Issue.record("path"); return }
        guard case .runResult(12, .word("esmm", _), _)? = value("@12.esmm") else { Issue.record("@12.esmm"); return }
        guard case .list(let items, _)? = value("[$a, $b]"), items.count == 2 else { Issue.record("list"); return }
        // a space ends a name: two arguments
        let (statements, errors) = Parser.parse(SourceFile(name: "t", text: "compare rmtl_ $m\n"))
        guard errors.isEmpty, case .command(let c)? = statements.first else { Issue.record("compare"); return }
        #expect(c.arguments.count == 2)
    }

    func check(_ source: String, pins: [(String, String)] = []) -> [String] {
        let c = CapturedSession()
        for (name, text) in pins { #expect(c.session.pin(name, text: text) == nil) }
        c.session.run(source: source, file: "t", mode: .check)
        return c.diagnostics.map { $0.components(separatedBy: "\n")[0] }
    }

    @Test func loopsOverWordsAreCheckedPerWord() {
        let store = "record result as rmtl_$m ctr=[0.7, 0.2, 0.2]"
        #expect(check("for m in [esmm, mmoe] { \(store) }\ncompare rmtl_esmm rmtl_mmoe\n").isEmpty)
        #expect(check("for m in [esmm, mmoe] { \(store) }\ncompare rmtl_ple\n") == ["t:2:9: error: unknown result 'rmtl_ple'"])
        // through a variable, through --set, and after an if whose branches agree
        #expect(check("let ms = [esmm]\nfor m in $ms { \(store) }\ncompare rmtl_x\n") == ["t:3:9: error: unknown result 'rmtl_x'"])
        #expect(check("for m in $ms { \(store) }\ncompare rmtl_x\n", pins: [("ms", "[esmm, mmoe]")])
            == ["t:2:9: error: unknown result 'rmtl_x'"])
        let agree = "if 1 < 2 { let ms = [a] } else { let ms = [a] }\nfor m in $ms { \(store) }\ncompare rmtl_x\n"
        #expect(check(agree) == ["t:3:9: error: unknown result 'rmtl_x'"])
        // the loop variable alone as the name
        let bare = "record result as $m ctr=[0.7, 0.2, 0.2]"
        #expect(check("for m in [esmm, mmoe] { \(bare) }\ncompare esmm mmoe\nassert esmm.ctr.auc > 0.5\n").isEmpty)
        #expect(check("for m in [esmm, mmoe] { \(bare) }\ncompare esmm ple\n") == ["t:2:14: error: unknown result 'ple'"])
    }

    @Test func unknownNamesAreNotFalseErrors() {
        let store = "record result as rmtl_$m ctr=[0.7, 0.2, 0.2]"
        // branches disagree: the word is not known, any name that fits rmtl_… is accepted
        let disagree = "if 1 < 2 { let ms = [a] } else { let ms = [b] }\nfor m in $ms { \(store) }\ncompare rmtl_x\ncompare other\n"
        #expect(check(disagree) == ["t:4:9: error: unknown result 'other'"])
        let bare = "if 1 < 2 { let ms = [a] } else { let ms = [b] }\nfor m in $ms { record result as $m ctr=[0.7, 0.2, 0.2] }\ncompare x\n"
        #expect(check(bare).isEmpty)
        #expect(check("for m in 3 { \(store) }\ncompare rmtl_1\nshow rmtl_2.ctr.auc\ncompare rmtl_\n")
            == ["t:4:9: error: unknown result 'rmtl_'"])
        #expect(check("let m = 2\nrecord result as a_${m}_b ctr=[0.7, 0.2, 0.2]\ncompare a_7_b a_7_c\n")
            == ["t:3:15: error: unknown result 'a_7_c'"])
    }

    @Test func nestedLoopsPastTheBudgetStayFast() {
        let words = "[" + (1...10).map { "w\($0)" }.joined(separator: ", ") + "]"
        let source = "for a in \(words) {\n for b in \(words) {\n  for c in \(words) {\n   for d in \(words) {\n"
            + "    record result as x_${a}_${b}_${c}_$d ctr=[0.7, 0.2, 0.2]\n   }\n  }\n }\n}\n"
            + "compare x_w1_w2_w3_w4 x_w10_w10_w10_w10\ncompare y_w1_w1_w1_w1\ncompare x_w11_w1_w1_w1\n"
        let clock = ContinuousClock()
        let start = clock.now
        #expect(check(source) == ["t:11:9: error: unknown result 'y_w1_w1_w1_w1'", "t:12:9: error: unknown result 'x_w11_w1_w1_w1'"])
        #expect(clock.now - start < .seconds(5))
    }

    @Test func promptEntriesKeepWordLists() {
        let c = CapturedSession()
        #expect(c.session.run(source: "let ms = [esmm, mmoe]\n", file: "<prompt>", mode: .prompt).status == .ok)
        #expect(c.session.run(source: "for m in $ms { record result as r_$m ctr=[0.7, 0.2, 0.2] }\n", file: "<prompt>", mode: .prompt).status == .ok)
        #expect(c.session.run(source: "compare r_esmm r_mmoe metric=auc\n", file: "<prompt>", mode: .prompt).status == .ok)
        let m = "let m = mmoe\n"
        #expect(c.session.run(source: m + "show r_$m.ctr.auc\nr_$m\n", file: "<prompt>", mode: .prompt).status == .ok)
        #expect(c.stdout.contains("0.7"))
        #expect(c.stdout.contains { $0.hasPrefix("r_mmoe") })
    }
}

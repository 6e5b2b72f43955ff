import Foundation
import Testing
import RMTLScript

/// A small deterministic generator (SplitMix64) so fuzz runs repeat exactly (no system RNG).
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

/// Lex + parse (+ include resolution) + check one input; returns the problems found with the
/// G2 invariants (tiling, positions inside the input, renderable).
func frontEndInvariantViolations(_ bytes: [UInt8]) -> [String] {
    let file = SourceFile(name: "<fuzz>", bytes: bytes)
    var problems: [String] = []
    let (tokens, _) = Lexer.lex(file)
    var at = 0
    for t in tokens {
        if t.start != at { problems.append("token gap at \(at)") ; break }
        at = t.end
    }
    if at != bytes.count { problems.append("tokens end at \(at) of \(bytes.count)") }
    let (statements, loadErrors) = ScriptLoader(stdlibDirectories: []).load(file)
    var checker = Checker()
    checker.isLenient = !loadErrors.isEmpty
    checker.check(statements)
    for e in loadErrors + checker.errors {
        let r = e.range
        guard r.file === file else { continue }  // included files are checked on their own
        if r.start < 0 || r.start > bytes.count || r.end > bytes.count {
            problems.append("range \(r.start)..<\(r.end) outside \(bytes.count) bytes: \(Diagnostic(e).message)")
        }
        if r.line > file.lineStarts.count { problems.append("line \(r.line) > \(file.lineStarts.count)") }
        if Diagnostic(e).rendered().isEmpty { problems.append("empty diagnostic") }
    }
    return problems
}

@Suite struct RobustnessTests {
    /// Replacement tokens: the parser's alternatives at many points (swift-syntax style mutation).
    static let vocabulary: [String] = keywords + Commands.verbs(includeHidden: true) + modelNames + metricNames
        + commandTable.flatMap { $0.params.map { "\($0.name)=" } } + commandTable.compactMap(\.sub)
        + ["{", "}", "[", "]", "(", ")", ",", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", ".",
           "$", "$x", "$s", "\"", "\"a b\"", "\\", "\\\n", "\n", "#", "1e-3", "2.7M", "30m", "5q", "1e999",
           "esmm[$s]", "esmm.ctr.auc", "and", "or", "as", "in", "\u{0}", "\u{FF}", "é", "\r", "\t", "@"]

    static func mutate(_ seed: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = seed
        // a window of a few lines keeps each input small and the run fast
        let file = SourceFile(name: "s", bytes: bytes)
        let lines = file.lineStarts.count
        let first = rng.below(lines)
        let count = 1 + rng.below(6)
        let start = file.lineStarts[first]
        let end = first + count < lines ? file.lineStarts[first + count] : bytes.count
        bytes = Array(bytes[start..<end])
        let (tokens, _) = Lexer.lex(SourceFile(name: "w", bytes: bytes))
        let edits = 1 + rng.below(3)
        var pieces = tokens.map { Array(bytes[$0.start..<$0.end]) }
        for _ in 0..<edits where !pieces.isEmpty {
            let i = rng.below(pieces.count)
            switch rng.below(5) {
            case 0: pieces.remove(at: i)
            case 1: pieces.insert(pieces[i], at: i)
            case 2: if i + 1 < pieces.count { pieces.swapAt(i, i + 1) }
            case 3: pieces[i] = Array(vocabulary[rng.below(vocabulary.count)].utf8)
            default: pieces.insert(Array(vocabulary[rng.below(vocabulary.count)].utf8), at: i)
            }
        }
        return pieces.flatMap { $0 }
    }

    static func randomBytes(_ rng: inout SplitMix64) -> [UInt8] {
        let alphabet = Array("seedactorftrain{}[]()$=.,<>!+-*/#\\\" \n0123456789emkMh".utf8)
        return (0..<rng.below(80)).map { _ in
            rng.below(10) == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[rng.below(alphabet.count)]
        }
    }

    /// G1/G2: 100,000 mutated and random scripts: no trap, no slow input, every diagnostic inside.
    @Test func fuzzFrontEnd() {
        let seeds = Fixtures.shippedScripts().map { Array($0.1.utf8) }.filter { !$0.isEmpty }
        #expect(seeds.count >= 20)
        var rng = SplitMix64(state: 0x5EED)
        #if DEBUG
        let inputs = 10_000
        #else
        let inputs = 100_000
        #endif
        var slowest = 0.0
        var failures: [String] = []
        var rejected = 0
        for n in 0..<inputs {
            let input = n % 10 == 9 ? RobustnessTests.randomBytes(&rng)
                : RobustnessTests.mutate(seeds[rng.below(seeds.count)], &rng)
            let started = DispatchTime.now().uptimeNanoseconds
            let problems = frontEndInvariantViolations(input)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            slowest = max(slowest, seconds)
            if !problems.isEmpty, failures.count < 5 {
                failures.append("\(String(decoding: input, as: UTF8.self).debugDescription): \(problems)")
            }
            if n % 1000 == 0 {
                let (_, errors) = ScriptLoader(stdlibDirectories: []).load(SourceFile(name: "<fuzz>", bytes: input))
                if !errors.isEmpty { rejected += 1 }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(slowest < 1.0, "slowest input took \(slowest) s")
        #expect(rejected > 0)
    }

    static func nested(_ shape: String, _ n: Int) -> String {
        switch shape {
        case "list": return "show " + String(repeating: "[", count: n) + String(repeating: "]", count: n)
        case "parens": return "show " + String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n)
        case "minus": return "show " + String(repeating: "-", count: n) + "1"
        case "for": return String(repeating: "for i in [1] {\n", count: n) + String(repeating: "}\n", count: n)
        default: return "show " + String(repeating: "a[", count: n) + "1" + String(repeating: "]", count: n)
        }
    }

    /// Written by the worker thread before it signals, read after the wait.
    final class Box: @unchecked Sendable { var value: [[String]] = [] }

    /// G4: nesting beyond the limit is a positioned error, also on a 512 KB thread stack.
    @Test(arguments: ["list", "parens", "minus", "for", "index"])
    func deepNestingIsAnError(shape: String) throws {
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            for depth in [Parser.maxDepth, 100_000] {
                let file = SourceFile(name: "deep", text: RobustnessTests.nested(shape, depth))
                let (_, errors) = Parser.parse(file)
                box.value.append(errors.map { Diagnostic($0).message })
            }
            done.signal()
        }
        thread.stackSize = 512 * 1024
        thread.start()
        done.wait()
        let r = box.value
        try #require(r.count == 2)
        #expect(r[0].isEmpty, "\(shape) at the limit: \(r[0])")
        #expect(r[1].contains { $0.hasPrefix("nesting is too deep") }, "\(shape): \(r[1].prefix(3))")
    }

    /// G4: a 1 MB line and a 10 MB script are checked quickly; a line over 1 MiB is an error.
    @Test func longInputs() {
        let longLine = "show [" + String(repeating: "12345, ", count: 142_000) + "1]\n"  // ~1 MB
        #expect(longLine.utf8.count > 990_000 && longLine.utf8.count < Lexer.maxLineBytes)
        let c = CapturedSession()
        var outcome: Session.Outcome?
        let longSeconds = threadCPUSeconds { outcome = c.session.run(source: longLine, file: "long", mode: .check) }
        #expect(outcome?.status == .ok, "\(c.diagnostics.first ?? "")")
        #if !DEBUG  // timings hold for release builds (debug Swift is many times slower)
        #expect(longSeconds < 1.0, "1 MB line took \(longSeconds) s of CPU")
        #endif

        let tooLong = "show \"" + String(repeating: "x", count: Lexer.maxLineBytes) + "\"\n"
        let c2 = CapturedSession()
        c2.session.run(source: tooLong, file: "long", mode: .check)
        #expect(c2.diagnostics.first?.hasPrefix("long:1:1: error: line 1 is too long") == true)

        #if !DEBUG
        let line = "assert 1 + 2 * (3 - 4) < 5 and $x >= 0.5   # a comment\n"
        let big = "let x = 1\n" + String(repeating: line, count: 10_000_000 / line.utf8.count)
        let c3 = CapturedSession()
        var o3: Session.Outcome?
        let bigSeconds = threadCPUSeconds { o3 = c3.session.run(source: big, file: "big", mode: .check) }
        #expect(o3?.status == .ok)
        #expect(bigSeconds < 10.0, "10 MB check took \(bigSeconds) s of CPU")
        #endif
    }

    /// `rmtl check` on a 1,000-line script takes < 0.2 s.
    @Test func checkThousandLinesQuickly() {
        var lines = ["include \"paper.rmtl\"", "load retailrocket \"data/rr\"", "sessionize gap=30m",
                     "split time 0.6 0.2 0.2"]
        var k = 0
        while lines.count + 9 <= 1000 {
            let m = modelNames[k % modelNames.count]
            lines += ["actor \(m) embed=$embed bottom=$bottom tower=$tower experts=$experts dropout=$dropout",
                      "train actor epochs=$epochs batch=$batch lr=$lr wd=$wd patience=$patience",
                      "eval test as \(m)_\(k)", "assert \(m)_\(k).ctr.auc > 0.5 and \(m)_\(k).ctcvr.logloss < 1",
                      "for s in [1, 2, 3] {", "    seed $s", "    eval val as \(m)_\(k)[$s]", "}",
                      "compare \(m)_\(k) \(m)_\(k) metric=auc   # comment"]
            k += 1
        }
        while lines.count < 1000 { lines.append("seed \(lines.count)") }
        let text = lines.joined(separator: "\n") + "\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rmtl-1000-\(getpid()).rmtl").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = CapturedSession()
        var outcome: Session.Outcome?
        let elapsed = threadCPUSeconds { outcome = c.session.run(source: text, file: path, mode: .check) }
        #expect(outcome?.status == .ok, "\(c.diagnostics.prefix(2))")
        #if !DEBUG  // timings hold for release builds
        #expect(elapsed < 0.2, "check of 1,000 lines took \(elapsed) s of CPU")
        #endif
    }
}

import RMTL
import Foundation
import Testing
import RMTLScript

@Suite struct SessionTests {
    @Test func promptKeepsStateAcrossEntries() {
        let c = CapturedSession()
        #expect(c.session.run(source: "let x = 2\n", file: "<prompt>", mode: .prompt).status == .ok)
        #expect(c.session.run(source: "record result as esmm ctr=[0.7, 0.2, 0.2]\n", file: "<prompt>", mode: .prompt).status == .ok)
        #expect(c.session.run(source: "show $x * esmm.ctr.auc\n", file: "<prompt>", mode: .prompt).status == .ok)
        #expect(c.stdout == ["stored esmm", "1.4"])
        // an error does not lose anything
        #expect(c.session.run(source: "actor esm\n", file: "<prompt>", mode: .prompt).status == .staticErrors)
        #expect(c.session.run(source: "show $x\n", file: "<prompt>", mode: .prompt).status == .ok)
        #expect(c.stdout.last == "2")
    }

    @Test(arguments: ["for s in [1, 2] {\n", "show [1,\n", "show (1 +\n", "seed \\\n", "for s in [1] {\n  show $s\n",
                         "if 1 < 2 {\n", "if 1 < 2 {\n  show 1\n} else {\n"])
    func unfinishedInputAsksForMore(_ text: String) {
        let c = CapturedSession()
        let outcome = c.session.run(source: text, file: "<prompt>", mode: .prompt)
        #expect(outcome.status == .incomplete)
        #expect(c.diagnostics.isEmpty)
    }

    @Test func finishedBlockRuns() {
        let c = CapturedSession()
        let outcome = c.session.run(source: "for s in [1, 2] {\n  show $s\n}\n", file: "<prompt>", mode: .prompt)
        #expect(outcome.status == .ok)
        #expect(c.stdout == ["1", "2"])
    }

    @Test func quitStopsTheScript() {
        let c = CapturedSession()
        c.session.run(source: "show 1\nquit\nshow 2\n", file: "t", mode: .run)
        #expect(c.stdout == ["1"])
        #expect(c.session.quitRequested)
    }

    @Test func pinnedVariablesWinOverLet() {
        let c = CapturedSession()
        #expect(c.session.pin("lambda", text: "1") == nil)
        #expect(c.session.pin("model", text: "mmoe") == nil)
        #expect(c.session.pin("path", text: "\"data/x\"") == nil)
        c.session.run(source: "let lambda = 0.7\nshow $lambda\nshow $model\nshow $path\n", file: "t", mode: .run)
        #expect(c.stdout == ["1", "mmoe", "data/x"])
    }

    @Test func helpComesFromTheTable() {
        let c = CapturedSession()
        c.session.run(source: "help train actor\n", file: "t", mode: .run)
        #expect(c.stdout.first == "train actor [epochs=1000] [batch=2048] [lr=0.001] [wd=1e-06] [patience=2] [shuffle=false]")
        #expect(c.stdout.contains { $0.hasPrefix("  epochs    a whole number from 1 to 1000000 (epochs), default 1000.") })
        #expect(c.stdout.last == "  needs: an actor, a train/val/test split")
        let all = Help.text(topic: nil, sub: nil)
        for spec in commandTable {
            #expect(all.contains(spec.id) != spec.isHidden, "\(spec.id) in help")
        }
    }
}

@Suite struct CompletionTests {
    let context = Completion.Context(results: ["esmm", "mmoe"], variables: ["lambda", "lr"])

    func words(_ line: String, prefix: String? = nil) -> [String] {
        let p = prefix ?? String(line.split(separator: " ", omittingEmptySubsequences: false).last ?? "")
        let start = line.utf8.count - p.utf8.count
        guard case .words(let w) = Completion.candidates(line: line, start: start, prefix: p, context: context) else { return ["<files>"] }
        return w
    }

    @Test func commands() {
        #expect(words("se") == ["seed", "sessionize"])
        #expect(words("tr") == ["train"])
        #expect(words("") .contains("let"))
        #expect(!words("").contains("spin"))  // hidden
    }

    @Test func subcommandsArgumentsModelsResults() {
        #expect(words("train a") == ["actor"])
        #expect(words("train actor ep") == ["epochs="])
        #expect(words("train actor epochs=3 ") .contains("batch="))
        #expect(!words("train actor epochs=3 ").contains("epochs="))
        #expect(words("actor m") == ["mmoe"])
        #expect(words("compare e") == ["esmm"])
        #expect(words("show ") .contains("results"))
        #expect(words("show ").contains("lambda"))
        #expect(words("critic mode=", prefix: "") == ["paper", "code"])
        #expect(words("train actor shuffle=", prefix: "") == ["true", "false"])
        #expect(words("eval ") == ["test", "val", "as"])
        #expect(words("show $", prefix: "") == ["lambda", "lr"])
        #expect(words("help tr") == ["train"])
        #expect(words("export ") == ["results", "predictions", "onnx"])
        #expect(words("export predictions \"f.csv\" ") == ["split=", "as"])
        #expect(words("predict \"a.csv\" ") == ["to"])
        #expect(words("predict \"a.csv\" to ").isEmpty)
        #expect(words("plot c") == ["calibration"])
    }

    @Test func pathsInsideStrings() {
        #expect(Completion.candidates(line: "load rmtl \"da", start: 11, prefix: "da", context: context) == .files)
    }
}

@Suite struct ArtifactTests {
    func session(_ text: String) -> CapturedSession {
        let c = CapturedSession()
        c.session.run(source: text, file: "t.rmtl", mode: .run)
        return c
    }

    @Test func exportHasEveryResultAndTheContext() throws {
        let c = session("""
            seed 7
            for s in [1, 2] { record result as esmm[$s] seed=$s ctr=[0.7, 0.2, 0.21] }
            record result as single ctr=[0.69, 0.21, 0.22]

            """)
        let doc = c.session.workspace.makeExport()
        #expect(doc.rmtlVersion == rmtlVersion)
        #expect(doc.seed == 7)
        #expect(doc.results.map(\.name) == ["esmm[1]", "esmm[2]", "single"])
        #expect(doc.results[1].seed == 2)
        #expect(doc.groups.map(\.name) == ["esmm", "single"])
        #expect(doc.groups[0].count == 2)
        #expect(doc.groups[0].metrics["ctr"]?["auc"]?["mean"] == 0.7)
        #expect(doc.dataFingerprint == nil)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rmtl-export-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try c.session.workspace.exportResults(to: path)
        let json = try String(contentsOfFile: path, encoding: .utf8)
        #expect(json.contains("\"dataFingerprint\" : null"))
        #expect(json.contains("\"rmtlVersion\" : \"\(rmtlVersion)\""))
    }

    @Test func importedResultsCompareLikeTheOriginals() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rmtl-import-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = """
            for s in 3 {
                record result as a[$s] seed=$s ctr=[0.70 + $s / 1000, 0.2, 0.19] ctcvr=[0.71, 0.05, 0.04 + $s / 1000]
                record result as b[$s] seed=$s ctr=[0.69, 0.21, 0.2] ctcvr=[0.72, 0.05, 0.04]
            }

            """
        let original = session(text + "export results \"\(path)\"\ncompare a b test=paired\n")
        let imported = session("import results \"\(path)\"\ncompare a b test=paired\nassert a[2].ctr.auc == 0.702\n")
        #expect(imported.diagnostics.isEmpty, "\(imported.diagnostics)")
        #expect(imported.session.workspace.results == original.session.workspace.results)
        let table = { (c: CapturedSession) in c.stdout.drop { !$0.hasPrefix("task") }.prefix(8) }
        #expect(table(imported) == table(original) && !table(original).isEmpty)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: path))
        let broken = session("import results \"\(path)\"\n")
        #expect(broken.diagnostics.joined().contains("is not a results file"))
    }

    @Test func compareWritesMarkdownTables() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rmtl-compare-\(getpid()).md").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = session("""
            for s in 3 {
                record result as a[$s] seed=$s ctr=[0.70 + $s / 1000, 0.2, 0.2]
                record result as b[$s] seed=$s ctr=[0.70 + $s / 1000 + 0.001 + $s / 10000, 0.2, 0.2]
                record result as c[$s] seed=$s ctr=[0.69, 0.2, 0.2]
                record result as d[$s] seed=$s ctr=[0.69, 0.2, 0.2]
            }
            compare a b c d metric=auc test=paired best=[a, c] star=[[b, a]] markdown="\(path)"

            """)
        #expect(c.diagnostics.isEmpty, "\(c.diagnostics)")
        let md = try String(contentsOfFile: path, encoding: .utf8)
        #expect(md.contains("| result | n | ctr AUC |\n| --- | ---: | ---: |"))
        #expect(md.contains("| a | 3 | 0.7020 ± 0.0010 † |"))
        #expect(md.contains("| b | 3 | 0.7032 ± 0.0011 * |"))
        #expect(md.contains("| b − a | +0.0012  p=0.002 |"))
        #expect(md.contains("*: better than a for b at p < 0.05 (two-sided paired t-test over seeds)"))
    }

    @Test func plotsAreValidDeterministicSVG() throws {
        let text = "record epoch loss=0.5 ctr=0.70\nrecord epoch loss=0.4 ctr=0.72\nrecord epoch phase=rmtl loss=0.38 ctr=0.73\nplot loss\nplot auc\n"
        let a = session(text), b = session(text)
        let svgs = a.session.transcript.flatMap(\.output).compactMap { item -> String? in
            if case .chart(_, let svg) = item { return svg } else { return nil }
        }
        #expect(svgs.count == 2)
        #expect(a.stdout.contains("plot loss: 2 series, 3 points"))
        for svg in svgs {
            #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(svg.hasSuffix("</svg>"))
            #expect(svg.contains("<polyline"))
            #expect(!svg.contains("nan"))
        }
        let svgsB = b.session.transcript.flatMap(\.output).compactMap { item -> String? in
            if case .chart(_, let svg) = item { return svg } else { return nil }
        }
        #expect(svgs == svgsB)
    }

    @Test func reportIsSelfContained() throws {
        let c = session("record result as esmm ctr=[0.7, 0.2, 0.2]\nrecord epoch loss=0.5\nplot loss\ncompare esmm\nshow \"<b>&\"\n")
        let html = Session.renderReport(c.session.transcript, workspace: c.session.workspace)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<pre class=\"src\">plot loss</pre>"))
        #expect(html.contains("<svg"))
        #expect(html.contains("<th style=\"text-align:left\">task</th>"))
        #expect(html.contains("&lt;b&gt;&amp;"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("src=\""))
    }

    /// `# %% [markdown]` cells are prose before the entries that follow them; markers are comments.
    @Test func markdownCellsAreProseInTheReport() throws {
        let script = "# %% [markdown]\n# # Setup\n\n# %%\nseed 1\n\n# %% [markdown]\n# **Results**\n\n# %%\nrecord result as a ctr=[0.7, 0.2, 0.2]\n"
        let c = session(script)
        let prose = ScriptCell.split(script).filter { $0.kind == .markdown }
            .map { ReportProse(file: "test.rmtl", line: $0.firstLine, markdown: $0.text) }
        let html = Session.renderReport(c.session.transcript.map { var e = $0; e.file = "test.rmtl"; return e },
                                        prose: prose, workspace: c.session.workspace)
        let setup = try #require(html.range(of: "<h1>Setup</h1>")), seed = try #require(html.range(of: ">seed 1</pre>"))
        let results = try #require(html.range(of: "<strong>Results</strong>")), record = try #require(html.range(of: ">record result"))
        #expect(setup.lowerBound < seed.lowerBound && seed.lowerBound < results.lowerBound && results.lowerBound < record.lowerBound)
    }
}

@Suite struct ProgressTests {
    final class Sink: @unchecked Sendable { var text = "" }

    @Test func terminalRedrawsInPlace() {
        let sink = Sink()
        let p = ProgressReporter(isTerminal: true) { sink.text += $0 }
        p.update("epoch 1/3  step 10/100", force: true)
        p.update("epoch 1/3  step 20/100", force: true)
        p.finish()
        #expect(sink.text == "\r\u{1B}[Kepoch 1/3  step 10/100\r\u{1B}[Kepoch 1/3  step 20/100\r\u{1B}[K")
    }

    @Test func plainOutputIsThrottledLines() {
        let sink = Sink()
        let p = ProgressReporter(isTerminal: false, plainInterval: 3600) { sink.text += $0 }
        p.update("a")
        p.update("b")          // within the interval: dropped
        p.update("c", force: true)
        p.finish()             // nothing to clean up off a terminal
        #expect(sink.text == "a\nc\n")
    }

    @Test func lineFormat() {
        let line = ProgressReporter.line(epoch: 3, epochs: 1000, step: 120, steps: 412, rowsPerSecond: 51_234,
                                         loss: 0.20314, eta: 252)
        #expect(line == "epoch 3/1000  step 120/412  51.2k rows/s  loss 0.2031  epoch ETA 4m12s")
        // issue 12: with many epochs the ETA must not pass for the whole run's
        let total = ProgressReporter.line(epoch: 22, epochs: 1000, step: 400, steps: 412, rowsPerSecond: 51_234,
                                          loss: 0.2, eta: 1, totalETA: 1 + 978 * 34)
        #expect(total.hasSuffix("epoch ETA 1s  all epochs ~9h14m"))
        let one = ProgressReporter.line(epoch: 1, epochs: 1, step: 1, steps: 2, rowsPerSecond: 1, loss: nil, eta: 5, totalETA: 5)
        #expect(one.hasSuffix("ETA 5s") && !one.contains("epoch ETA") && !one.contains("all epochs"))
    }
}

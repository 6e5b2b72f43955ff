import Foundation
import RMTLScript
import Testing

/// Issue 12, "Nothing misleads": charts per trained model, lopsided splits, `rmtl help COMMAND`,
/// reports of scripts that fail their check, and the rough edges of diagnostics.
@Suite(.serialized) struct MisleadingOutputTests {
    static let folder: String = {
        let f = CLI.temporaryPath("mislead-\(getpid())")
        try? FileManager.default.createDirectory(atPath: f, withIntermediateDirectories: true)
        return f
    }()

    /// Synthetic RetailRocket data in `folder/name`, loaded, sessionized and split.
    static func syntheticData(_ name: String, events: String) -> String {
        ["generate retailrocket \"\(folder)/\(name)\" events=\(events) seed=5", "load retailrocket \"\(folder)/\(name)\"",
         "sessionize gap=30m", "split time 0.6 0.2 0.2"].joined(separator: "\n") + "\n"
    }

    static func session(_ text: String) -> CapturedSession {
        let c = CapturedSession()
        c.session.run(source: text, file: "t.rmtl", mode: .run)
        return c
    }

    static func charts(_ c: CapturedSession) -> [(title: String, svg: String)] {
        c.session.transcript.flatMap(\.output).compactMap { item in
            if case .chart(let title, let svg) = item { return (title, svg) } else { return nil }
        }
    }

    /// The data lines of an SVG chart: each series' polyline as its points' x coordinates.
    static func seriesXs(_ svg: String) -> [[Double]] {
        svg.components(separatedBy: "\n").filter { $0.hasPrefix("<polyline points=") && $0.contains("stroke-width=\"2\"") }
            .map { line in
                let points = line.split(separator: "\"")[1]
                return points.split(separator: " ").compactMap { Double($0.split(separator: ",")[0]) }
            }
    }

    // MARK: 1. charts: one series per trained model

    @Test func chartsDrawOneSeriesPerTrainedModel() throws {
        let svgPath = "\(Self.folder)/loss.svg"
        let c = Self.session("seed 3\n" + Self.syntheticData("rr", events: "20k") + """
            actor esmm embed=8 bottom=[16] tower=[8]
            train actor epochs=3 batch=256
            eval test as esmm
            actor mmoe embed=8 bottom=[16] tower=[8] experts=2
            train actor epochs=2 batch=256
            eval test as mmoe
            critic mode=paper episodes=50 memory=100
            train critic epochs=2 batch=64
            plot loss "\(svgPath)"
            plot auc
            plot q
            """)
        #expect(c.diagnostics.isEmpty, "\(c.diagnostics)")
        let charts = Self.charts(c)
        #expect(charts.map(\.title) == ["Training loss (actor)", "Critic TD loss", "Validation AUC", "Critic mean Q"])
        let loss = try String(contentsOfFile: svgPath, encoding: .utf8)
        #expect(loss == charts[0].svg)
        // two series, labelled with the model and the result name, each starting again at epoch 1
        #expect(loss.contains(">ESMM (esmm)</text>") && loss.contains(">MMoE (mmoe)</text>"), "\(loss)")
        #expect(!loss.contains(">actor</text>") && !loss.contains("critic"))
        let xs = Self.seriesXs(loss)
        #expect(xs.map(\.count) == [3, 2])
        #expect(xs.count == 2 && xs[0][0] == xs[1][0], "each series starts at epoch 1: \(xs)")
        #expect(xs.allSatisfy { $0 == $0.sorted() }, "no series runs back in x: \(xs)")
        // the critics' TD loss has its own chart and file
        let td = try String(contentsOfFile: "\(Self.folder)/loss-td.svg", encoding: .utf8)
        #expect(td == charts[1].svg && td.contains(">critic of MMoE</text>") && !td.contains("ESMM"))
        #expect(charts[2].svg.contains(">ESMM (esmm) ctr</text>") && charts[2].svg.contains(">MMoE (mmoe) ctcvr</text>"))
        #expect(c.stdout.contains("plot loss: 3 series, 7 points in 2 charts, wrote \(svgPath) and \(Self.folder)/loss-td.svg"),
                "\(c.stdout)")
    }

    /// Seen in the browser: long legend names were cut off at 150 px, and 3 epochs had ticks at 1.5.
    @Test func legendFitsLongNamesAndEpochTicksAreWhole() {
        let name = "ESMM + RMTL (rmtl_esmm, rmtl_esmm_again)"
        let svg = SVGChart(title: "t", xLabel: "epoch", yLabel: "loss",
                           series: [.init(name: name, points: [(1, 0.3), (2, 0.2), (3, 0.1)])]).render()
        let width = Double(svg.split(separator: "\"")[3]) ?? 0
        let legendX = svg.components(separatedBy: "<text x=\"").last.flatMap { Double($0.prefix { $0 != "\"" }) } ?? .infinity
        #expect(legendX + 7 * Double(name.count) <= width, "legend at \(legendX) in \(width) px")
        #expect(!svg.contains(">1.5</text>") && !svg.contains(">2.5</text>") && svg.contains(">2</text>"))
    }

    // MARK: 2. a lopsided split says so

    /// Users whose one session spans the whole period (a short-video log loaded with
    /// `session=user_id`), plus two late short sessions: keeping sessions whole puts nearly every
    /// row in train.
    static func longSessionsCSV() -> String {
        var text = "user,item,click,t\n"
        for i in 0..<3000 { text += "u\(i % 30),i\(i % 17),\(i % 3 == 0 ? 1 : 0),\(1_600_000_000_000 + i * 1000)\n" }
        for i in 0..<12 { text += "late_v,i\(i),\(i % 2),\(1_600_000_000_000 + (2000 + i) * 1000)\n" }
        for i in 0..<6 { text += "late_t,i\(i),\(i % 2),\(1_600_000_000_000 + (2700 + i) * 1000)\n" }
        let path = "\(folder)/long-sessions.csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    @Test func lopsidedSplitPrintsTheFractionsAndWarns() throws {
        let path = Self.longSessionsCSV()
        let load = "load csv \"\(path)\" cat=[user, item] labels=[ctr=click] session=user time=t\n"
        let kept = Self.session(load + "split time 0.6 0.2 0.2\n")
        #expect(kept.diagnostics.isEmpty, "\(kept.diagnostics)")
        let out = kept.stdout.joined(separator: "\n")
        #expect(out.contains("split: train 3000 (99.4%), val 12 (0.4%), test 6 (0.2%) rows"), "\(out)")
        #expect(out.contains("t.rmtl:2:1: warning: the split is lopsided (train, val, test): asked 60.0% / 20.0% / 20.0%, got 99.4% / 0.4% / 0.2%"), "\(out)")
        #expect(out.contains("hint: ") && out.contains("keep_sessions=false") && out.contains("sessionize gap="), "\(out)")
        // split by rows: the fractions asked, no warning
        let rows = Self.session(load + "split time 0.6 0.2 0.2 keep_sessions=false\n")
        let rowsOut = rows.stdout.joined(separator: "\n")
        #expect(rowsOut.contains("split: train 1811 (60.0%), val 604 (20.0%), test 603 (20.0%) rows"), "\(rowsOut)")
        #expect(!rowsOut.contains("warning"))
    }

    // MARK: 3. rmtl help COMMAND

    @Test func shellHelpExplainsLanguageCommands() throws {
        let train = try CLI.run(["help", "train"])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout == Help.text(topic: "train", sub: nil) + "\n")
        #expect(train.stdout.hasPrefix("train actor"), "\(train.stdout)")
        let sub = try CLI.run(["help", "train", "critic"])
        #expect(sub.status == 0 && sub.stdout.hasPrefix("train critic") && !sub.stdout.contains("train actor"))
        let statement = try CLI.run(["help", "for"])
        #expect(statement.status == 0 && statement.stdout.hasPrefix("for "))
        let unknown = try CLI.run(["help", "nosuch"])
        #expect(unknown.status == 64)
        #expect(unknown.stdout.isEmpty)
        #expect(unknown.stderr.hasPrefix("rmtl: error: no command 'nosuch'\nhint: "), "\(unknown.stderr)")
        let typo = try CLI.run(["help", "trian"])
        #expect(typo.status == 64 && typo.stderr.contains("did you mean 'train'?"), "\(typo.stderr)")
        // the shell's own subcommands keep ArgumentParser's help
        let run = try CLI.run(["help", "run"])
        #expect(run.status == 0 && run.stdout.contains("USAGE: rmtl run"))
    }

    // MARK: 4. --report and --results also when the check fails

    @Test func reportAndResultsAreWrittenWhenTheCheckFails() throws {
        let script = CLI.script("fails-check.rmtl", "seed 1\nsead 2\nshow 1\n")
        let report = "\(Self.folder)/failed.html", results = "\(Self.folder)/failed.json"
        try? FileManager.default.removeItem(atPath: report)
        try? FileManager.default.removeItem(atPath: results)
        let r = try CLI.run(["run", script, "--report", report, "--results", results])
        #expect(r.status == 65)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(html.contains("<pre class=\"src\">sead 2</pre>"), "\(html)")
        #expect(html.contains("fails-check.rmtl:2:1: error: unknown command &#39;sead&#39;") || html.contains("fails-check.rmtl:2:1: error: unknown command 'sead'"), "\(html)")
        #expect(html.contains("cell failed"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: results))) as? [String: Any]
        #expect((json?["results"] as? [Any])?.isEmpty == true)
    }

    // MARK: 5. rough edges

    @Test func pipedScriptsReportTheirRealLine() throws {
        let r = try CLI.run([], stdin: "show 1\n\nfor i in [1] {\n  show $i\n}\nseed 1 2\n  sead 3\n")
        #expect(r.status == 65)
        #expect(r.stderr.contains("<stdin>:6:8: error: too many arguments for 'seed'"), "\(r.stderr)")
        #expect(r.stderr.contains("<stdin>:7:3: error: unknown command 'sead'"), "\(r.stderr)")
        #expect(r.stderr.contains("    7 |   sead 3"), "\(r.stderr)")
        let unfinished = try CLI.run([], stdin: "show 1\nfor i in [1] {\n")
        #expect(unfinished.stderr.hasPrefix("<stdin>:2:"), "\(unfinished.stderr)")
    }

    @Test func saveErrorsSayErrorOnceWithTheRightHint() throws {
        let prelude = Self.syntheticData("rr-save", events: "5k") + "actor esmm embed=4 bottom=[8] tower=[4]\n"
        let missing = Self.session(prelude + "save \"\(Self.folder)/no/such/folder/x.safetensors\"\n")
        let text = missing.diagnostics.joined(separator: "\n")
        #expect(text.components(separatedBy: "error").count == 2, "one 'error': \(text)")
        #expect(text.contains("t.rmtl:6:1: error: cannot save to '\(Self.folder)/no/such/folder/x.safetensors'"), "\(text)")
        #expect(text.contains("hint: the folder '\(Self.folder)/no/such/folder' does not exist"), "\(text)")
        #expect(!text.contains("permission"))
        let empty = Self.session("save \"\"\n")
        let emptyText = empty.diagnostics.joined(separator: "\n")
        #expect(emptyText.contains("t.rmtl:1:6: error: 'file' must be a file name, found an empty string"), "\(emptyText)")
        #expect(!emptyText.contains(": : "))
        let variable = Self.session(prelude + "let f = \"\"\nsave $f\n")
        #expect(variable.diagnostics.joined().contains("t.rmtl:7:6: error: 'file' must be a file name, found an empty string"),
                "\(variable.diagnostics)")
    }

    @Test func controlCharactersAreEscapedInDiagnostics() throws {
        let c = CapturedSession()
        c.session.run(file: SourceFile(name: "t.rmtl", bytes: Array("show 1\nse\u{1B}[31med 2\n\u{07}x 1\n".utf8)), mode: .check)
        let text = c.diagnostics.joined(separator: "\n")
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7F }, "\(text.debugDescription)")
        #expect(text.contains("\\x1B") || text.contains("\u{FFFD}"), "\(text)")
    }
}

import Foundation
import Testing
import RMTLScript

/// Runs the built `rmtl` binary and compares stdout, stderr and the exit status.
enum CLI {
    static var binary: String {
        #if DEBUG
        let configuration = "debug"
        #else
        let configuration = "release"
        #endif
        return Fixtures.repositoryRoot.appendingPathComponent(".build/\(configuration)/rmtl").path
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                    directory: String? = nil, interruptAfter: Double? = nil, killAfter: Double? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["RMTL_STDLIB"] = Fixtures.stdlib
        env["RMTL_HISTORY"] = temporaryPath("history")
        env["RMTL_REGISTRY"] = temporaryPath("runs.sqlite")  // never the working folder's .rmtl/
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        if let delay = interruptAfter {
            usleep(UInt32(delay * 1e6))
            kill(p.processIdentifier, SIGINT)
        }
        if let limit = killAfter {
            // a hang ends as SIGKILL (status 9), which the caller sees
            let pid = p.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + limit) { if p.isRunning { kill(pid, SIGKILL) } }
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("rmtl-cli-\(getpid())-\(name)").path
    }

    /// A fresh temporary folder for one test suite.
    static func temporaryFolder(_ name: String) -> String {
        let f = temporaryPath("\(name)-\(getpid())")
        try? FileManager.default.createDirectory(atPath: f, withIntermediateDirectories: true)
        return f
    }

    /// The first lines of a script over a small synthetic RetailRocket in `folder` (20k events, split).
    static func syntheticPrelude(in folder: String) -> String {
        """
        seed 11
        generate retailrocket "\(folder)/rr" events=20k seed=5
        load retailrocket "\(folder)/rr"
        sessionize gap=30m
        split time 0.6 0.2 0.2

        """
    }

    static func script(_ name: String, _ text: String) -> String {
        let path = temporaryPath(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }
}

@Suite(.serialized) struct CLITests {
    @Test func binaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: CLI.binary), "build first: \(CLI.binary)")
    }

    @Test func successExitsZero() throws {
        let path = CLI.script("ok.rmtl", "let n = 2\nshow $n * 21\nassert $n == 2\n")
        let r = try CLI.run(["run", path])
        #expect(r.status == 0)
        #expect(r.stdout == "42\n")
        #expect(r.stderr == "")
    }

    @Test func failedAssertExits70WithBothSides() throws {
        let path = CLI.script("fail.rmtl", "let auc = 0.7\nassert $auc >= 0.75\nshow 1\n")
        let r = try CLI.run(["run", path])
        #expect(r.status == 70)
        #expect(r.stdout == "1\n")
        #expect(r.stderr == """
            \(path):2:8: error: assertion failed: $auc >= 0.75
                2 | assert $auc >= 0.75
                  |        ^~~~~~~~~~~~
              $auc = 0.7
              0.75 = 0.75

            """)
    }

    @Test func scriptErrorExits65BeforeRunning() throws {
        let path = CLI.script("bad.rmtl", "show 1\nactor esm\n")
        let r = try CLI.run(["run", path])
        #expect(r.status == 65)
        #expect(r.stdout == "")  // nothing ran
        #expect(r.stderr.hasPrefix("\(path):2:1: error: 'actor' needs a loaded dataset\n"))
        #expect(r.stderr.contains("\(path):2:7: error: unknown model 'esm'\n"))
    }

    @Test func engineErrorsFailTheRunAtTheCommand() throws {
        let path = CLI.script("engine.rmtl", "seed 1\nload retailrocket \"/nonexistent/rr\"\n")
        let r = try CLI.run(["run", path])
        #expect(r.status == 70)
        #expect(r.stderr.hasPrefix("\(path):2:1: error: /nonexistent/rr/events.csv: no such file"))
    }

    @Test func missingFileExits74() throws {
        let r = try CLI.run(["run", "/nonexistent/x.rmtl"])
        #expect(r.status == 74)
        #expect(r.stderr == "/nonexistent/x.rmtl: error: no such file\n")
        let c = try CLI.run(["check", "/nonexistent/x.rmtl"])
        #expect(c.status == 74)
    }

    @Test func usageErrorExits64() throws {
        #expect(try CLI.run(["run"]).status == 64)
        #expect(try CLI.run(["run", "x.rmtl", "--set", "nonsense"]).status == 64)
        #expect(try CLI.run(["frobnicate"]).status == 64)
    }

    @Test func versionAndHelp() throws {
        let v = try CLI.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout == rmtlVersion + "\n")
        let h = try CLI.run(["--help"])
        #expect(h.status == 0)
        #expect(h.stdout.contains("USAGE: rmtl"))
        #expect(h.stdout.contains("check"))
    }

    @Test func checkReportsEveryFile() throws {
        let good = CLI.script("good.rmtl", "seed 1\n")
        let bad = CLI.script("bad2.rmtl", "sead 1\nseed x y\n")
        let r = try CLI.run(["check", good, bad])
        #expect(r.status == 65)
        #expect(r.stdout == "")
        #expect(r.stderr.components(separatedBy: "error:").count - 1 == 3)
        #expect(try CLI.run(["check", good]).status == 0)
    }

    @Test func shippedScriptsCheckClean() throws {
        let root = Fixtures.repositoryRoot
        let files = ["scripts", "stdlib"].flatMap { dir -> [String] in
            let d = root.appendingPathComponent(dir).path
            return ((try? FileManager.default.contentsOfDirectory(atPath: d)) ?? [])
                .filter { $0.hasSuffix(".rmtl") }.map { (d as NSString).appendingPathComponent($0) }
        }
        #expect(files.count >= 6)
        #expect(files.contains { $0.hasSuffix("scripts/quickstart.rmtl") })
        let r = try CLI.run(["check"] + files.sorted())
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func setOverridesLet() throws {
        let path = CLI.script("set.rmtl", "include \"paper.rmtl\"\nshow $lambda\nshow $model\n")
        let r = try CLI.run(["run", path, "--set", "lambda=1", "--set", "model=mmoe"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "1\nmmoe\n")
    }

    @Test func resultsAndReportFiles() throws {
        let json = CLI.temporaryPath("out.json"), html = CLI.temporaryPath("out.html")
        let path = CLI.script("art.rmtl", """
            record result as esmm ctr=[0.72, 0.2, 0.21] ctcvr=[0.73, 0.05, 0.06]
            record epoch loss=0.5 ctr=0.70
            record epoch loss=0.4 ctr=0.71
            plot loss
            compare esmm
            assert esmm.ctr.auc > 0.9

            """)
        let r = try CLI.run(["run", path, "--results", json, "--report", html])
        #expect(r.status == 70)  // the assert fails; the files are still written
        let data = try Data(contentsOf: URL(fileURLWithPath: json))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["rmtlVersion"] as? String == rmtlVersion)
        #expect(object["seed"] as? Int == 2022)
        #expect(object.keys.contains("dataFingerprint"))
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.first?["name"] as? String == "esmm")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<svg"))
        #expect(page.contains("<table>"))
        #expect(page.contains("assertion failed"))
        #expect(!page.contains("<script"))
        #expect(!page.contains("http://") || page.components(separatedBy: "http://").count == page.components(separatedBy: "http://www.w3.org/2000/svg").count)
    }

    @Test func pipedStandardInputRunsWithoutPrompt() throws {
        let r = try CLI.run([], stdin: "let x = 20\nshow $x + 1\nfor i in [1, 2] {\n  show $i\n}\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "21\n1\n2\n")
        let bad = try CLI.run([], stdin: "show 1\nsead 2\nshow 3\n")
        #expect(bad.status == 65)
        #expect(bad.stdout == "1\n3\n")  // like the prompt: later lines still run
        #expect(bad.stderr.hasPrefix("<stdin>:2:1: error: unknown command 'sead'"))  // its line in the whole input
        let help = try CLI.run([], stdin: "help seed\n")
        #expect(help.stdout.hasPrefix("seed VALUE\n"))
    }

    @Test func benchPrintsOneJSONObjectAndRejectsUnknownModels() throws {
        let r = try CLI.run(["bench", "--model", "esmm", "--batch", "64", "--steps", "1", "--threads", "2", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(json?["model"] as? String == "esmm")
        #expect(json?["batch"] as? Int == 64 && json?["threads"] as? Int == 2)
        #expect((json?["samples_per_s"] as? Double ?? 0) > 0)
        let bad = try CLI.run(["bench", "--model", "esm"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("unknown model 'esm'") && bad.stderr.contains("esmm"), "\(bad.stderr)")
    }

    /// Ctrl-C stops the running command and keeps the state: the next line still sees `keep`.
    /// (A subprocess, because the interrupt flag is process-wide and other tests run in parallel.)
    @Test func interruptStopsACommandAndKeepsState() throws {
        let r = try CLI.run([], stdin: "let keep = 5\nsleep 10\nshow $keep\n", interruptAfter: 0.5)
        #expect(r.stderr.contains("<stdin>:2:1: error: interrupted"))  // sleep is line 2 of the input
        #expect(r.stdout == "5\n")
    }

    @Test func interruptStopsARun() throws {
        let path = CLI.script("spin.rmtl", "spin 20\nshow 1\n")
        let start = Date()
        let r = try CLI.run(["run", path], interruptAfter: 0.5)
        #expect(r.status == 130)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(r.stderr.contains("error: interrupted"))
        #expect(!r.stdout.contains("1\n"))
    }

    /// In a `parallel` loop (serial without mpirun) Ctrl-C is an interrupt too, not a failed command:
    /// exit 130, the first iteration's output kept (the loop counts from 1), nothing after the loop run.
    @Test func interruptStopsAParallelLoop() throws {
        let path = CLI.script("spin-loop.rmtl", "for s in 3 parallel {\n    show $s\n    spin 20\n}\nshow 9\n")
        let r = try CLI.run(["run", path], interruptAfter: 0.5)
        #expect(r.status == 130, "\(r.stderr)")
        #expect(r.stderr.contains("error: interrupted"))
        // (spin's progress line may be there too: progress is drawn live, not replayed)
        #expect(r.stdout.split(separator: "\n").filter { !$0.hasPrefix("epoch ") } == ["1"], "\(r.stdout)")
    }
}

/// Scripts with `# %%` cells, notebooks, and the commands between them.
@Suite(.serialized) struct NotebookCLITests {
    static let script = "# %% [markdown]\n# # Notes\n\n# %%\nseed 1\n\n# %%\nlet x = 2\nassert $x == 3\n"

    @Test func runTreatsMarkersAsCommentsAndNotebooksPointIntoCells() throws {
        let path = CLI.script("cells.rmtl", NotebookCLITests.script)
        let run = try CLI.run(["run", path])
        #expect(run.status == 70)
        #expect(run.stderr.contains("\(path):9:8: error: assertion failed"))

        let notebook = CLI.temporaryPath("cells.ipynb")
        #expect(try CLI.run(["notebook", path, "-o", notebook]).status == 0)
        let fromNotebook = try CLI.run(["run", notebook])
        #expect(fromNotebook.status == 70)
        #expect(fromNotebook.stderr.contains("\(notebook):cell[3]:2:8: error: assertion failed"))
        let check = try CLI.run(["check", CLI.script("broken.ipynb", String(decoding: try Data(contentsOf: URL(fileURLWithPath: notebook)), as: UTF8.self)
            .replacingOccurrences(of: "seed 1", with: "sead 1"))])
        #expect(check.status == 65)
        #expect(check.stderr.contains("broken.ipynb:cell[2]:1:1: error: unknown command 'sead'"))

        let back = CLI.temporaryPath("back.rmtl")
        #expect(try CLI.run(["notebook", notebook, "-o", back]).status == 0)
        #expect(try String(contentsOfFile: back, encoding: .utf8) == NotebookCLITests.script)
    }

    @Test func notebookErrorsSayWhatIsWrong() throws {
        let bad = CLI.script("bad.ipynb", "{")
        let r = try CLI.run(["run", bad])
        #expect(r.status == 65)
        #expect(r.stderr.contains("\(bad): error: not a JSON notebook\nhint:"))
        #expect(try CLI.run(["notebook", bad, "-o", CLI.temporaryPath("x.txt")]).status == 64)
    }
}

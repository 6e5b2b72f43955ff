import Foundation
import Testing
import RMTL
import RMTLScript

/// A fresh registry file under the temporary folder (tests never touch `.rmtl/`).
func temporaryRegistry(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("rmtl-registry-\(getpid())-\(name)-\(UInt32.random(in: 0...UInt32.max))")
        .appendingPathComponent("runs.sqlite").path
    try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    return path
}

/// A captured session recording into `registry` as a `run` of `script`.
func recordingSession(_ registry: String, script: String = "test.rmtl", text: String = "") throws -> CapturedSession {
    let s = CapturedSession()
    try s.session.attachRegistry(path: registry)
    s.session.workspace.recorder?.begin(RunRegistry.RunStart(kind: "run", scriptPath: script, scriptText: text,
                                                             commandLine: ["rmtl", "run", script]))
    return s
}

/// Collapses runs of spaces, so tables whose column widths differ compare by content.
func squeezed(_ lines: [String]) -> [String] {
    lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }.filter { !$0.isEmpty }
}

@Suite struct RegistryTests {
    @Test func schemaIsMigratedOnceAndReopens() throws {
        let path = temporaryRegistry("schema")
        let r = try RunRegistry(path: path)
        #expect(try r.appliedMigrations() == ["v1"])
        #expect(try r.tables() == ["artifact", "grdb_migrations", "metric", "result", "run"])
        let id = try r.begin(RunRegistry.RunStart(kind: "run", scriptPath: "a.rmtl", scriptText: "seed 1\n", commandLine: []))
        // reopening migrates nothing and keeps the rows
        let again = try RunRegistry(path: path)
        #expect(try again.appliedMigrations() == ["v1"])
        #expect(try again.runs().map(\.id) == [id])
        #expect(try again.integrityCheck() == "ok")
        #expect(FileManager.default.fileExists(atPath: path + "-wal"), "WAL journal expected")
    }

    @Test func recordsARunWithResultsConfigAndArtifacts() throws {
        let path = temporaryRegistry("record")
        let s = try recordingSession(path, text: "seed 7\n")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("rmtl-reg-\(getpid())-out.json").path
        s.session.run(source: """
            seed 7
            record result as esmm ctr=[0.71, 0.45, 0.40] ctcvr=[0.80, 0.12, 0.10]
            record result as mmoe[1] ctr=[0.72, 0.44, 0.39] ctcvr=[0.81, 0.11, 0.09]
            record result as esmm ctr=[0.73, 0.43, 0.38] ctcvr=[0.82, 0.10, 0.08]
            export results "\(out)"
            """, file: "test.rmtl", mode: .run)
        #expect(s.diagnostics.isEmpty, "\(s.diagnostics)")
        s.session.workspace.recorder?.finish(status: "finished")
        let registry = try RunRegistry(path: path)
        let runs = try registry.runs()
        try #require(runs.count == 1)
        #expect(runs[0].status == "finished")
        #expect(runs[0].results == ["esmm", "mmoe[1]"], "a re-used name replaces in place")
        #expect(runs[0].best?.name == "esmm")  // mean AUC 0.775 against 0.765
        #expect(abs((runs[0].best?.auc ?? 0) - 0.775) < 1e-12)
        #expect(runs[0].duration != nil)
        let detail = try #require(try registry.run(runs[0].id))
        #expect(detail.version == rmtlVersion)
        #expect(detail.pid == Int64(getpid()))
        #expect(detail.scriptText == "seed 7\n")
        #expect(detail.commandLine == ["rmtl", "run", "test.rmtl"])
        let esmm = try #require(detail.results.first { $0.result.name == "esmm" })
        #expect(esmm.result.seed == 7)
        #expect(esmm.result.tasks.map(\.task) == ["ctr", "ctcvr"])
        #expect(esmm.result.tasks[0].auc == 0.73)
        #expect(esmm.result.tasks[1].sessionLogLoss == 0.08)
        #expect(esmm.configJSON.contains("\"seed\":7"))
        #expect(esmm.configJSON.contains("\"threads\""))
        #expect(detail.artifacts.map(\.kind) == ["results"])
        #expect(detail.artifacts.first?.path == out)
    }

    @Test func runsListsNewestFirstAndFilters() throws {
        let path = temporaryRegistry("filters")
        for (script, name, status) in [("a/quickstart.rmtl", "esmm", "finished"), ("b/seeds.rmtl", "mmoe", "failed"),
                                       ("a/quickstart.rmtl", "ple", "interrupted")] {
            let s = try recordingSession(path, script: script)
            s.session.run(source: "record result as \(name) ctr=[0.7, 0.4, 0.3]\n", file: script, mode: .run)
            s.session.workspace.recorder?.finish(status: status, error: status == "failed" ? "boom" : nil)
        }
        let s = try recordingSession(path, script: "viewer.rmtl")
        func lines(_ command: String) -> [String] {
            s.stdout = []
            s.session.run(source: command + "\n", file: "<prompt>", mode: .prompt)
            return s.stdout.filter { !$0.isEmpty }
        }
        let all = lines("runs")
        #expect(s.diagnostics.isEmpty, "\(s.diagnostics)")
        #expect(all.count == 1 + 1 + 4, "\(all)")  // header, rule, 4 runs (this one is running)
        #expect(all[0].hasPrefix("run"))
        #expect(all[2].contains("running") && all[2].contains("viewer.rmtl"))
        #expect(all[3].contains("interrupted") && all[3].contains("ple 0.7000"))
        #expect(all[5].contains("finished") && all[5].contains("a/quickstart.rmtl"))
        #expect(lines("runs last=2").count == 4)
        let quick = lines("runs script=\"quickstart\"")
        #expect(quick.count == 4 && quick[2].contains("ple") && quick[3].contains("esmm"), "\(quick)")
        let failed = lines("runs status=failed")
        #expect(failed.count == 3 && failed[2].contains("b/seeds.rmtl"))
        #expect(lines("runs result=mmoe").count == 3)
        #expect(lines("runs status=killed") == ["no runs match in \(path)"])
        #expect(s.diagnostics.isEmpty, "\(s.diagnostics)")
    }

    @Test func showRunPrintsEverything() throws {
        let path = temporaryRegistry("show")
        let a = try recordingSession(path, script: "exp.rmtl", text: "seed 5\nrecord result as esmm …\n")
        a.session.run(source: "seed 5\nrecord result as esmm ctr=[0.7, 0.4, 0.3]\n", file: "exp.rmtl", mode: .run)
        a.session.workspace.recorder?.finish(status: "failed", error: "exp.rmtl:9:1: error: boom")
        let b = CapturedSession()
        try b.session.attachRegistry(path: path, record: false)
        b.session.run(source: "show run 1\n", file: "<prompt>", mode: .prompt)
        #expect(b.diagnostics.isEmpty, "\(b.diagnostics)")
        let text = b.stdout.joined(separator: "\n")
        for needle in ["run 1", "failed", "exp.rmtl", "rmtl run exp.rmtl", "rmtl \(rmtlVersion)", "pid \(getpid())",
                       "exp.rmtl:9:1: error: boom", "esmm", "0.7000", "\"seed\":5", "script:", "  seed 5"] {
            #expect(text.contains(needle), "missing \(needle) in:\n\(text)")
        }
        // unknown run: a runtime error at the command, with the registry's path and a hint
        b.diagnostics = []
        b.session.run(source: "show run 99\n", file: "<prompt>", mode: .prompt)
        #expect(b.diagnostics.count == 1)
        #expect(b.diagnostics.first?.contains("<prompt>:1:1: error: no run 99 in \(path)") == true, "\(b.diagnostics)")
        #expect(b.diagnostics.first?.contains("'runs' lists them") == true)
        // `show run` needs the number
        b.diagnostics = []
        b.session.run(source: "show run\n", file: "<prompt>", mode: .prompt)
        #expect(b.diagnostics.first?.contains("run's number") == true, "\(b.diagnostics)")
    }

    @Test func compareAcceptsPastRunsWithTheSameTable() throws {
        let path = temporaryRegistry("compare")
        let a = try recordingSession(path)
        a.session.run(source: """
            record result as esmm[1] ctr=[0.71, 0.45, 0.40] ctcvr=[0.80, 0.12, 0.10]
            record result as esmm[2] ctr=[0.73, 0.44, 0.41] ctcvr=[0.82, 0.11, 0.11]
            record result as mmoe[1] ctr=[0.70, 0.46, 0.42] ctcvr=[0.79, 0.13, 0.12]
            record result as mmoe[2] ctr=[0.69, 0.47, 0.43] ctcvr=[0.78, 0.14, 0.13]
            """, file: "a.rmtl", mode: .run)
        a.stdout = []
        a.session.run(source: "compare esmm mmoe\n", file: "a.rmtl", mode: .run)
        let live = squeezed(a.stdout)
        a.session.workspace.recorder?.finish(status: "finished")

        let b = try recordingSession(path, script: "b.rmtl")
        b.session.run(source: "compare @1.esmm @1.mmoe\n", file: "b.rmtl", mode: .run)
        #expect(b.diagnostics.isEmpty, "\(b.diagnostics)")
        let past = squeezed(b.stdout).map { $0.replacingOccurrences(of: "@1.", with: "") }
        #expect(past.count > 4)
        #expect(past == live)

        // mixed with live results, and one indexed result of a past run
        b.stdout = []
        b.session.run(source: "record result as ple ctr=[0.75, 0.40, 0.35] ctcvr=[0.85, 0.09, 0.08]\ncompare ple @1.esmm[2] metric=auc\n",
                      file: "b.rmtl", mode: .run)
        #expect(b.diagnostics.isEmpty, "\(b.diagnostics)")
        let mixed = squeezed(b.stdout)
        #expect(mixed.contains("task metric ple @1.esmm[2]"), "\(mixed)")
        #expect(mixed.contains("ctr AUC 0.7500 0.7300"), "\(mixed)")
        #expect(mixed.contains("ctcvr AUC 0.8500 0.8200"), "\(mixed)")
    }

    @Test func pastRunErrorsPointAtTheReference() throws {
        let path = temporaryRegistry("errors")
        let a = try recordingSession(path)
        a.session.run(source: "record result as esmm ctr=[0.7, 0.4, 0.3]\nrecord result as mmoe ctr=[0.7, 0.4, 0.3]\n",
                      file: "a.rmtl", mode: .run)
        a.session.workspace.recorder?.finish(status: "finished")
        let b = CapturedSession()
        try b.session.attachRegistry(path: path, record: false)
        func errors(_ source: String) -> [String] {
            b.diagnostics = []
            b.session.run(source: source, file: "x.rmtl", mode: .run)
            return b.diagnostics
        }
        let noRun = errors("compare @1.esmm @99.esmm\n")
        #expect(noRun.count == 1)
        #expect(noRun.first?.hasPrefix("x.rmtl:1:17: error: no run 99 in \(path)") == true, "\(noRun)")
        #expect(noRun.first?.contains("hint: 'runs' lists them") == true, "\(noRun)")
        let noResult = errors("compare @1.ple\n")
        #expect(noResult.first?.hasPrefix("x.rmtl:1:9: error: run 1 has no result named 'ple'") == true, "\(noResult)")
        #expect(noResult.first?.contains("it stored esmm, mmoe") == true, "\(noResult)")
        // static errors: only compare takes past results; '@' needs a number; a name must follow
        let misuse = errors("show @1.esmm\n")
        #expect(misuse.first?.hasPrefix("x.rmtl:1:6: error: a past run's result such as @1.esmm can only be given to 'compare'") == true,
                "\(misuse)")
        let bare = errors("compare @esmm\n")
        #expect(bare.first?.hasPrefix("x.rmtl:1:9: error: expected a run number after '@', as in @12.esmm") == true, "\(bare)")
        let noName = errors("compare @1\n")
        #expect(noName.first?.contains("expected a result name after '@1.'") == true, "\(noName)")
        // with the registry off
        let off = CapturedSession()
        off.session.run(source: "compare @1.esmm\n", file: "x.rmtl", mode: .run)
        #expect(off.diagnostics.first?.contains("error: the run registry is off") == true, "\(off.diagnostics)")
        off.diagnostics = []
        off.session.run(source: "runs\n", file: "x.rmtl", mode: .run)
        #expect(off.diagnostics.first?.contains("error: the run registry is off") == true, "\(off.diagnostics)")
    }

    @Test func aTrainedModelsResultKeepsModelDataFingerprintAndConfig() throws {
        let path = temporaryRegistry("trained")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rmtl-reg-\(getpid())-rr").path
        let s = try recordingSession(path)
        s.session.run(source: """
            seed 11
            generate retailrocket "\(dir)" events=4000 seed=3
            load retailrocket "\(dir)"
            sessionize gap=30m
            split time 0.6 0.2 0.2
            actor esmm embed=4 bottom=[8] tower=[4]
            train actor epochs=1 batch=256
            eval test as esmm
            """, file: "trained.rmtl", mode: .run)
        #expect(s.diagnostics.isEmpty, "\(s.diagnostics)")
        let registry = try RunRegistry(path: path)
        let run = try #require(try registry.run(1))
        let stored = try #require(run.results.first)
        let live = try #require(s.session.workspace.results.first)
        #expect(stored.result == live, "metrics, rows and positives come back exactly")
        #expect(stored.result.model == "esmm")
        #expect(stored.result.seed == 11)
        #expect(stored.result.tasks.allSatisfy { ($0.rows ?? 0) > 0 && $0.positives != nil })
        #expect(stored.dataFingerprint != nil)
        #expect(stored.dataFingerprint == s.session.workspace.dataFingerprint)
        #expect(stored.dataSource == s.session.workspace.dataSource)
        for key in ["\"actor\"", "\"embedDim\":4", "\"training\"", "\"epochs\":1", "\"batchSize\":256"] {
            #expect(stored.configJSON.contains(key), "missing \(key) in \(stored.configJSON)")
        }
        #expect(run.artifacts.map(\.kind) == ["data"])
        #expect(run.summary.status == "running", "not finished yet: this process is alive")
    }

    @Test func locationComesFromOptionEnvironmentOrDefault() {
        #expect(RegistryLocation.resolve(option: nil, disabled: false, environment: [:]) == ".rmtl/runs.sqlite")
        #expect(RegistryLocation.resolve(option: nil, disabled: false, environment: ["RMTL_REGISTRY": "/x.db"]) == "/x.db")
        #expect(RegistryLocation.resolve(option: "/y.db", disabled: false, environment: ["RMTL_REGISTRY": "/x.db"]) == "/y.db")
        #expect(RegistryLocation.resolve(option: nil, disabled: false, environment: ["RMTL_REGISTRY": ""]) == nil)
        #expect(RegistryLocation.resolve(option: "/y.db", disabled: true, environment: [:]) == nil)
    }
}

/// The registry across real `rmtl` processes: recording, concurrency, kill -9.
@Suite(.serialized) struct RegistryProcessTests {
    /// Starts `rmtl` with output discarded; returns the running process.
    func start(_ arguments: [String], registry: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["RMTL_STDLIB"] = Fixtures.stdlib
        env["RMTL_REGISTRY"] = registry
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return p
    }

    func recordingScript(_ name: String, results: Int, then tail: String = "") -> String {
        let list = (1...results).map(String.init).joined(separator: ", ")
        return CLI.script(name, """
            for i in [\(list)] {
              record result as r[$i] ctr=[0.7, 0.4, 0.3] ctcvr=[0.8, 0.2, 0.1]
            }
            \(tail)
            """)
    }

    @Test func runRecordsScriptSettingsArtifactsAndListsFromTheCLI() throws {
        let registry = temporaryRegistry("cli")
        // listing an empty place says so and creates nothing
        let empty = try CLI.run(["runs", "--registry", registry])
        #expect(empty.status == 0)
        #expect(empty.stdout == "no runs recorded in \(registry) yet\n")
        #expect(!FileManager.default.fileExists(atPath: registry))
        let script = CLI.script("reg-cli.rmtl", "let n = 1\nrecord result as esmm ctr=[0.71, 0.4, 0.3]\nshow $n\n")
        let results = CLI.temporaryPath("reg-cli.json")
        let r = try CLI.run(["run", script, "--set", "n=3", "--results", results], environment: ["RMTL_REGISTRY": registry])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("3\n"))
        let failing = CLI.script("reg-fail.rmtl", "assert 1 > 2\n")
        #expect(try CLI.run(["run", failing], environment: ["RMTL_REGISTRY": registry]).status == 70)
        // --no-registry records nothing
        #expect(try CLI.run(["run", script, "--no-registry"], environment: ["RMTL_REGISTRY": registry]).status == 0)

        let list = try CLI.run(["runs", "--registry", registry])
        #expect(list.status == 0, "\(list.stderr)")
        let rows = list.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(rows.count == 4, "\(list.stdout)")  // header, rule, 2 runs
        #expect(rows[2].hasPrefix("2") && rows[2].contains("failed") && rows[2].contains("reg-fail.rmtl"))
        #expect(rows[3].hasPrefix("1") && rows[3].contains("finished") && rows[3].contains("esmm 0.7100"))

        let show = try CLI.run(["runs", "--show", "1", "--registry", registry])
        #expect(show.status == 0, "\(show.stderr)")
        for needle in ["--set", "n=3", "rmtl run \(script) --set n=3 --results \(results)", "results  ", results,
                       "record result as esmm", "0.7100"] {
            #expect(show.stdout.contains(needle), "missing \(needle):\n\(show.stdout)")
        }
        let failed = try CLI.run(["runs", "--show", "2", "--registry", registry])
        #expect(failed.stdout.contains("assertion failed: 1 > 2"), "\(failed.stdout)")
        let missing = try CLI.run(["runs", "--show", "9", "--registry", registry])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no run 9 in \(registry)"))

        // Ctrl-C: interrupted, with the place
        let sleeper = CLI.script("reg-sleep.rmtl", "record result as z ctr=[0.6, 0.5, 0.4]\nsleep 30\n")
        let interrupted = try CLI.run(["run", sleeper], environment: ["RMTL_REGISTRY": registry], interruptAfter: 0.7)
        #expect(interrupted.status == 130)
        let third = try #require(try RunRegistry(path: registry).run(3))
        #expect(third.summary.status == "interrupted")
        #expect(third.summary.results == ["z"])
        #expect(third.error?.contains("reg-sleep.rmtl:2:1") == true, "\(third.error ?? "nil")")

        // the prompt is one run; its script is the entries that ran
        let prompt = try CLI.run([], stdin: "record result as a ctr=[0.6, 0.5, 0.4]\nshow 2\n", environment: ["RMTL_REGISTRY": registry])
        #expect(prompt.status == 0, "\(prompt.stderr)")
        let promptRun = try CLI.run(["runs", "--show", "4", "--registry", registry])
        #expect(promptRun.stdout.contains("<prompt>"))
        #expect(promptRun.stdout.contains("  record result as a ctr=[0.6, 0.5, 0.4]\n  show 2"), "\(promptRun.stdout)")
    }

    @Test func concurrentProcessesLoseNothing() throws {
        let registry = temporaryRegistry("concurrent")
        let processes = 6, perProcess = 200
        let script = recordingScript("reg-conc.rmtl", results: perProcess)
        let started = Date()
        let ps = try (0..<processes).map { _ in try start(["run", script], registry: registry) }
        for p in ps { p.waitUntilExit() }
        let elapsed = Date().timeIntervalSince(started)
        for p in ps { #expect(p.terminationStatus == 0) }
        let r = try RunRegistry(path: registry)
        #expect(try r.integrityCheck() == "ok")
        let runs = try r.runs()
        #expect(runs.count == processes)
        for run in runs {
            #expect(run.status == "finished")
            #expect(run.results.count == perProcess)
            let detail = try #require(try r.run(run.id))
            #expect(detail.results.allSatisfy { $0.result.tasks.count == 2 })
        }
        #expect(Set(try runs.map { try #require(try r.run($0.id)).pid }).count == processes)
        print("registry: \(processes) processes × \(perProcess) results in \(String(format: "%.1f", elapsed)) s")
    }

    @Test func killedProcessLeavesAValidDatabaseAndListsAsKilled() throws {
        let registry = temporaryRegistry("kill")
        // a run that records 3 results and then waits
        let waiting = recordingScript("reg-wait.rmtl", results: 3, then: "sleep 60\n")
        let p = try start(["run", waiting], registry: registry)
        let r = try RunRegistry(path: registry)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, (try r.runs().first?.results.count ?? 0) < 3 { usleep(50_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(try r.integrityCheck() == "ok")
        let runs = try r.runs()
        try #require(runs.count == 1)
        #expect(runs[0].status == "killed")
        #expect(runs[0].results == ["r[1]", "r[2]", "r[3]"])
        #expect(try r.runs(RunRegistry.Filter(status: "killed")).count == 1)
        #expect(try r.runs(RunRegistry.Filter(status: "running")).isEmpty)

        // a run killed while it writes as fast as it can: every result it committed is whole
        let busy = recordingScript("reg-busy.rmtl", results: 20000)
        let q = try start(["run", busy], registry: registry)
        while Date() < deadline.addingTimeInterval(30), (try r.runs().first { $0.id == 2 }?.results.count ?? 0) < 20 {
            usleep(20_000)
        }
        kill(q.processIdentifier, SIGKILL)
        q.waitUntilExit()
        let reopened = try RunRegistry(path: registry)
        #expect(try reopened.integrityCheck() == "ok")
        let killed = try #require(try reopened.run(2))
        #expect(killed.summary.status == "killed")
        #expect(killed.results.count >= 20)
        #expect(killed.results.count < 20000, "killed before the end")
        #expect(killed.results.allSatisfy { $0.result.tasks.count == 2 })
        // the CLI lists it the same way, and the file still takes new runs
        let list = try CLI.run(["runs", "--status", "killed", "--registry", registry])
        #expect(list.stdout.split(separator: "\n").count == 4, "\(list.stdout)")
        let after = try CLI.run(["run", CLI.script("reg-after.rmtl", "record result as x ctr=[0.7, 0.4, 0.3]\n")],
                                environment: ["RMTL_REGISTRY": registry])
        #expect(after.status == 0)
        #expect(try reopened.runs().first?.status == "finished")
    }
}

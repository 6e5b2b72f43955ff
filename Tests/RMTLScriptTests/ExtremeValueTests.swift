import Foundation
import RMTL
import Testing
import RMTLScript

/// Issue 12, resource admission: extreme values for every numeric parameter of every command give
/// an answer (an error or a result) in under 5 s, never a crash, an abort in `malloc` or a hang.
/// Each case is its own `rmtl run` process on a tiny generated data set, so a trap shows as an
/// exit status ≥ 128 and a hang as a kill.
@Suite(.serialized) struct ExtremeValueTests {
    /// The lexer's numbers and expressions at the edges: 0, negative, large, too large, NaN, ±inf.
    static let numbers = ["0", "-1", "1e9", "1e15", "1e300", "0/0", "1e300*1e300", "-1e300*1e300"]
    static let durations = ["0s", "1e9s", "1e15d", "1e300d", "0s*(0/0)"]

    /// The smallest working form of each command with numeric parameters (named arguments).
    static let templates: [String: String] = [
        "seed": "seed value=1",
        "threads": "threads count=1",
        "generate retailrocket": "generate retailrocket dir=\"{TMP}/gen\" events=500",
        "generate kuairand": "generate kuairand dir=\"{TMP}/gen\" rows=500 users=5 videos=100",
        "sessionize": "sessionize gap=30m",
        "split": "split time",
        "show": "show what=run id=1",
        "actor": "actor model=esmm embed=4 bottom=[8] tower=[4]",
        "train actor": "train actor epochs=1 batch=128",
        "critic": "critic episodes=20 memory=500 batch=64 epochs=1 alive_sample=50",
        "train critic": "train critic epochs=1 batch=64",
        "train rmtl": "train rmtl epochs=1 batch=128",
        "train ddpg": "train ddpg epochs=1 batch=64",
        "runs": "runs last=5",
    ]

    /// What each state flag needs run first, in order.
    static let prelude: [(StateFlag, String)] = [
        (.data, "load retailrocket \"{DATA}\""),
        (.sessions, "sessionize gap=30m"),
        (.splits, "split time 0.6 0.2 0.2"),
        (.actor, "actor esmm embed=4 bottom=[8] tower=[4]"),
        (.trainedActor, "train actor epochs=1 batch=128"),
        (.critic, "critic episodes=20 memory=500 batch=64 epochs=1 alive_sample=50"),
        (.trainedCritic, "train critic epochs=1 batch=64"),
    ]

    static func isNumeric(_ t: ParamType) -> Bool {
        switch t {
        case .setting(.integer), .setting(.real), .setting(.integerList), .number, .duration: return true
        default: return false
        }
    }

    static func makeData() throws -> (folder: String, data: String) {
        let folder = CLI.temporaryPath("extreme-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let script = CLI.script("extreme-gen.rmtl", "generate retailrocket \"\(folder)/data\" events=6000 seed=3\n")
        let r = try CLI.run(["run", script])
        #expect(r.status == 0, "\(r.stderr)")
        return (folder, folder + "/data")
    }

    @Test func everyNumericParameterOfEveryCommandAnswersExtremeValues() throws {
        let (folder, data) = try Self.makeData()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var cases = 0
        for spec in commandTable where !spec.isHidden {
            let numeric = spec.params.filter { Self.isNumeric($0.type) }
            guard !numeric.isEmpty else { continue }
            guard let template = Self.templates[spec.id] else {
                Issue.record("no template for '\(spec.id)': add one so its numeric parameters are swept")
                continue
            }
            let needed = Self.prelude.lastIndex { flag, _ in spec.needs.contains(flag) }.map { $0 + 1 } ?? 0
            let prelude = ["seed 1", "threads 1"] + Self.prelude.prefix(needed).map(\.1)
            for p in numeric {
                let base = template.replacingOccurrences(of: "\\b\(p.name)=\\S+", with: "", options: .regularExpression)
                let values = p.type == .duration ? Self.durations : Self.numbers
                for v in values {
                    var argument = "$v"
                    if case .setting(.integerList) = p.type { argument = "[$v, $v]" }
                    let line = base + " \(p.name)=\(argument)"
                    let text = (["let v = \(v)"] + prelude + [line]).joined(separator: "\n")
                        .replacingOccurrences(of: "{DATA}", with: data).replacingOccurrences(of: "{TMP}", with: folder) + "\n"
                    let script = CLI.script("extreme.rmtl", text)
                    let start = Date()
                    let r = try CLI.run(["run", script], killAfter: 20)
                    let seconds = Date().timeIntervalSince(start)
                    let what = "\(spec.id) \(p.name)=\(v): status \(r.status), \(String(format: "%.1f", seconds)) s\n\(r.stderr.suffix(600))"
                    #expect(r.status < 128 && r.status != 9, "\(what)")
                    #expect(!(r.stdout + r.stderr).contains("Fatal error"), "\(what)")
                    #expect(seconds < 5, "\(what)")
                    if r.status != 0 {
                        // every failure is a positioned error with a hint or a caret, never a bare trap
                        #expect(r.stderr.contains(": error: "), "\(what)")
                    }
                    cases += 1
                }
            }
        }
        #expect(cases > 300)
    }

    /// The issue's cases, with the wording and the position of each answer.
    @Test func oversizedModelIsRefusedAtTheArgumentWithBytesNeededAndAvailable() throws {
        let (folder, data) = try Self.makeData()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let prelude = "seed 1\nthreads 1\nload retailrocket \"\(data)\"\nsessionize gap=30m\nsplit time 0.6 0.2 0.2\n"

        // static ceilings: `rmtl check` says it before anything runs
        let big = CLI.script("extreme-big.rmtl", prelude + "actor esmm embed=1e12 bottom=[1e9, 1e9]\n")
        let c = try CLI.run(["check", big])
        #expect(c.status == 65)
        #expect(c.stderr.contains("\(big):6:18: error: 'embed' must be a whole number from 1 to 65536, found 1000000000000"))
        #expect(c.stderr.contains("\(big):6:31: error: 'bottom' must be whole numbers from 1 to 65536, found 1000000000"))

        // below the ceilings, the memory estimate refuses (a 1 MiB machine, by RMTL_MEMORY_LIMIT)
        let small = ["RMTL_MEMORY_LIMIT": "1048576"]
        let actor = CLI.script("extreme-actor.rmtl", prelude + "actor mmoe embed=64 bottom=[512, 256] experts=1000\n")
        let a = try CLI.run(["run", actor], environment: small, killAfter: 20)
        #expect(a.status == 70)
        #expect(a.stderr.hasPrefix("\(actor):6:47: error: 'experts' is too large: the MMoE model's weights, gradients, Adam moments and activations would need "))
        #expect(a.stderr.contains(" of memory; this machine has 1 MiB available\n"))
        #expect(a.stderr.contains("hint: lower 'experts'"))

        let genLine = "generate retailrocket \"\(folder)/big\" events=1e8"
        let gen = CLI.script("extreme-gen2.rmtl", genLine + "\n")
        let g = try CLI.run(["run", gen], environment: small, killAfter: 20)
        #expect(g.status == 70)
        let column = genLine.utf8.count - 2
        #expect(g.stderr.hasPrefix("\(gen):1:\(column): error: 'events' is too large: the generator's item tables would need 4.5 GiB of memory; this machine has 1 MiB available"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/big"))

        // a batch larger than the data is refused before the buffers for it are allocated
        let train = CLI.script("extreme-train.rmtl", prelude + "actor esmm embed=4 bottom=[8] tower=[4]\ntrain actor batch=1e8\n")
        let t = try CLI.run(["run", train], killAfter: 20)
        #expect(t.status == 70)
        #expect(t.stderr.hasPrefix("\(train):7:19: error: invalid 'batch': the batch of 100000000 rows is larger than the "))

        // the replay buffer
        let critic = CLI.script("extreme-critic.rmtl", prelude + "actor esmm embed=4 bottom=[8] tower=[4]\ntrain actor epochs=1 batch=128\ncritic memory=1e8\n")
        let r = try CLI.run(["run", critic], environment: ["RMTL_MEMORY_LIMIT": "100000000"], killAfter: 20)
        #expect(r.status == 70)
        #expect(r.stderr.hasPrefix("\(critic):8:15: error: 'memory' is too large: the critics, their targets, the replay buffer and the RL batch would need "))
    }

    @Test func threadsAboveTheCoreCountAreClampedWithAWarning() throws {
        let script = CLI.script("extreme-threads.rmtl", "threads 1e9\nthreads 1\n")
        let r = try CLI.run(["run", script])
        #expect(r.status == 0)
        let cores = Machine.cores
        #expect(r.stdout == "\(script):1:1: warning: threads 1000000000 is more than the \(cores) cores of this machine; using \(cores)\nthreads \(cores)\nthreads 1\n")
    }

    @Test func byteCountsReadAsPeopleWriteThem() {
        #expect(ByteCount.format(Int64(512)) == "512 B")
        #expect(ByteCount.format(Int64(24) << 30) == "24 GiB")
        #expect(ByteCount.format(30.5 * 1024 * 1024 * 1024 * 1024 * 1024) == "30.5 PiB")
        #expect(ByteCount.format(Double.infinity) == "more than 8 EiB")
    }
}

/// Issue 12, files, through the binary: `--results`/`--report`/`export results` keep device nodes
/// and links (nodes made with mknod in a temporary folder, never /dev), and repeated
/// `generate` + `load` keeps one cache entry per source and says what it removed.
@Suite(.serialized) struct FileSafetyCLITests {
    static func kind(_ path: String) -> mode_t? {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : nil
    }

    @Test func writersKeepDeviceNodesAndLinks() throws {
        let folder = CLI.temporaryPath("nodes-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // a character device like /dev/null (major 1, minor 3)
        guard mknod(folder + "/null", S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 else {
            Issue.record("cannot mknod (not root?): untested here")
            return
        }
        _ = FileManager.default.createFile(atPath: folder + "/real.json", contents: Data("old".utf8))
        try #require(symlink("real.json", folder + "/link") == 0)
        try #require(symlink("null", folder + "/to-null") == 0)
        let script = CLI.script("nodes.rmtl", "seed 1\nexport results \"\(folder)/to-null\"\n")
        let r = try CLI.run(["run", script, "--results", folder + "/null", "--report", folder + "/link", "--no-registry"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.kind(folder + "/null") == S_IFCHR)
        #expect(Self.kind(folder + "/link") == S_IFLNK)
        #expect(Self.kind(folder + "/to-null") == S_IFLNK)
        let report = try String(contentsOfFile: folder + "/real.json", encoding: .utf8)
        #expect(report.hasPrefix("<!DOCTYPE html>"))
    }

    @Test func repeatedGenerateKeepsOneCacheEntryPerSource() throws {
        let folder = CLI.temporaryPath("cache-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = CLI.script("cache.rmtl", """
            generate retailrocket "\(folder)" events=3000 seed=1
            load retailrocket "\(folder)"
            sessionize gap=30m

            """)
        var outputs: [String] = []
        for _ in 0..<3 {
            usleep(20_000)  // a new modification time
            let r = try CLI.run(["run", script, "--no-registry"])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(r.stdout)
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/.rmtl-cache")) ?? []).filter { $0.hasSuffix(".rmtlcache") }
        #expect(files.count == 2, "\(files)")
        #expect(!outputs[0].contains("cache: removed"))
        #expect(outputs[2].contains("note: cache: removed 2 older cache files of these sources ("))
    }
}

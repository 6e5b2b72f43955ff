import Foundation
import RMTL
import RMTLScript
import Testing

/// One knob, one meaning: an RL setting given to `critic` or to a training command is the same
/// setting, the value given last wins, and `show model` shows what the next command trains with.
@Suite(.serialized) struct SettingsTests {
    static let folder = CLI.temporaryFolder("settings")
    static let prelude = CLI.syntheticPrelude(in: folder) + """
        actor esmm embed=8 bottom=[16] tower=[8]
        train actor epochs=1 batch=256

        """

    func run(_ script: String) -> CapturedSession {
        let c = CapturedSession()
        let outcome = c.session.run(source: Self.prelude + script, file: "settings.rmtl", mode: .run)
        #expect(outcome.status == .ok, "\(c.diagnostics)")
        return c
    }

    func metrics(_ c: CapturedSession, _ name: String) -> [TaskMetrics] {
        c.session.workspace.results(named: name).first?.tasks ?? []
    }

    @Test func criticLambdaIsTheLambdaThatTrains() throws {
        let checkpoint = "\(Self.folder)/lambda.safetensors"
        let c = run("""
            critic mode=code lambda=0.1 episodes=400 alive_sample=256
            train critic epochs=1 batch=256
            save "\(checkpoint)"
            show model
            train rmtl epochs=1 batch=256
            eval test as via_critic
            restore "\(checkpoint)"
            train rmtl lambda=0.1 epochs=1 batch=256
            eval test as via_train
            restore "\(checkpoint)"
            train rmtl lambda=0.9 epochs=1 batch=256
            eval test as other
            show model
            """)
        #expect(c.stdout.contains { $0.contains("lambda=0.1 ") }, "show model after critic lambda=0.1")
        let (viaCritic, viaTrain, other) = (metrics(c, "via_critic"), metrics(c, "via_train"), metrics(c, "other"))
        #expect(!viaCritic.isEmpty)
        #expect(viaCritic == viaTrain, "critic lambda=0.1 + train rmtl must equal train rmtl lambda=0.1")
        #expect(viaCritic != other, "lambda=0.9 must differ, or the comparison proves nothing")
        // the last `show model` reflects the lambda that trained last
        #expect(c.stdout.last { $0.contains("lambda=") }?.contains("lambda=0.9 ") == true, "\(c.stdout.suffix(12))")
        #expect(c.session.workspace.agent?.settings.lambda == 0.9)
    }

    @Test func trainingCommandsSetTheCriticSettingsTheyUse() throws {
        let c = run("""
            critic mode=paper episodes=400 alive_sample=256 batch=256 epochs=3 actor_lr=0.01
            train critic epochs=1
            show model
            train critic batch=128
            train ddpg epochs=1 lr=0.002
            show model
            """)
        let lines = c.stdout.filter { $0.contains("critic training:") }
        #expect(lines.count == 2)
        // `train critic epochs=1` ran 1 epoch of batch 256 (critic batch=) and says so
        #expect(lines.first?.contains("batch 256") == true && lines.first?.contains("1 epochs") == true, "\(lines)")
        #expect(c.stdout.filter { $0.hasPrefix("critic epoch ") }.count == 2, "1 epoch, then 1 again (epochs=1 stays set)")
        #expect(lines.last?.contains("batch 128") == true, "\(lines)")
        #expect(c.stdout.last { $0.contains("ddpg: actor lr") }?.contains("actor lr 0.002") == true)
        let s = try #require(c.session.workspace.agent?.settings)
        #expect(s.criticEpochs == 1 && s.batchSize == 128 && s.actorLearningRate == 0.002)
    }

    /// An engine refusal that names a parameter points at the argument that set it, with the hint on
    /// its own line; a value from a variable is checked at run time against the same range.
    @Test func engineRefusalsPointAtTheArgument() {
        let c = CapturedSession()
        let script = Self.prelude + "let lr = 0\ntrain actor epochs=1 batch=100000\n"
        #expect(c.session.run(source: script, file: "batch.rmtl", mode: .run).status == .runtimeError)
        let lines = c.diagnostics.joined(separator: "\n").components(separatedBy: "\n")
        #expect(lines.first?.contains(":28: error: invalid 'batch': the batch of 100000 rows is larger than the") == true, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("hint: use batch=") }, "\(lines)")
        let d = CapturedSession()
        #expect(d.session.run(source: Self.prelude + "let lr = 0\ntrain actor epochs=1 lr=$lr\n", file: "lr.rmtl", mode: .run).status == .runtimeError)
        #expect(d.diagnostics.first?.contains(":25: error: 'lr' must be greater than 0, found 0") == true, "\(d.diagnostics)")
    }

    @Test func helpDescribesEveryCriticKey() {
        let help = Help.text(topic: "critic", sub: nil).components(separatedBy: "\n")
        for setting in RMTLSettings.settings {
            let line = help.first { $0.hasPrefix("  \(setting.key) ") }
            #expect(line?.contains(setting.domain.summary) == true, "\(setting.key): \(line ?? "missing")")
            #expect(line?.contains(setting.meaning) == true, "\(setting.key) meaning")
            if setting.key != "mode" {
                let paper = RMTLSettings(mode: .paper).value(of: setting.key)!.description
                #expect(line?.contains(paper) == true, "\(setting.key) paper default")
            }
        }
        #expect(help.contains { $0.hasPrefix("  gamma") && $0.contains("paper 0.95, code 0.9") })
    }

    @Test func checkRejectsOutOfRangeSettingsWithPositions() {
        let c = CapturedSession()
        let outcome = c.session.run(source: Self.prelude + "critic mode=code episodes=-5 memory=abc\n", file: "bad.rmtl", mode: .check)
        #expect(outcome.status == .staticErrors)
        #expect(c.diagnostics.contains { $0.hasPrefix("bad.rmtl:8:27: error: 'episodes' must be a whole number from 0 to 100000000, found -5") },
                "\(c.diagnostics)")
        #expect(c.diagnostics.contains { $0.hasPrefix("bad.rmtl:8:37: error: 'memory' expects a whole number ≥ 1, found word 'abc'") },
                "\(c.diagnostics)")
    }

    /// The engine's range is the checker's: every declared integer and real setting refuses a value
    /// just outside its domain, in the engine and at check time alike.
    @Test func engineAndCheckerShareEachRange() {
        for setting in RMTLSettings.settings {
            let outside: SettingValue
            switch setting.domain {
            case .integer(let r): outside = .integer(r.lowerBound - 1)
            case .real(let i) where i.lower.isFinite: outside = .real(i.lowerOpen ? i.lower : i.lower - 0.5)
            default: continue
            }
            var s = RMTLSettings(mode: .paper)
            #expect(throws: SettingError.self, "\(setting.key)") { try s.set(setting.key, to: outside) }
            let c = CapturedSession()
            let script = "load rmtl \"x\"\nactor esmm\ntrain actor\ncritic \(setting.key)=\(outside)\n"
            let outcome = c.session.run(source: script, file: "r.rmtl", mode: .check)
            #expect(outcome.status == .staticErrors, "\(setting.key)=\(outside) passed the checker")
            #expect(c.diagnostics.count == 1 && c.diagnostics.first?.hasPrefix("r.rmtl:4:") == true, "\(c.diagnostics)")
        }
    }
}

@Suite struct CommandReferenceTests {
    /// docs/commands.md is derived from the declarations; a stale copy fails here.
    @Test func commandReference() throws {
        let path = Fixtures.repositoryRoot.appendingPathComponent("docs/commands.md")
        let generated = Help.markdown()
        if ProcessInfo.processInfo.environment["RMTL_UPDATE_DOCS"] == "1" {
            try generated.write(to: path, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: path, encoding: .utf8)
        #expect(committed == generated, "docs/commands.md is stale: run RMTL_UPDATE_DOCS=1 scripts/test --filter commandReference")
    }
}

import Foundation
import RMTL
import RMTLScript
import Testing

/// `save` and `restore` as a user runs them: a second process that restores a checkpoint and
/// continues must produce exactly the bits of the run that never stopped.
@Suite(.serialized) struct CheckpointScriptTests {
    static let folder = CLI.temporaryFolder("checkpoint")
    static let prelude = CLI.syntheticPrelude(in: folder)

    static func results(_ path: String) throws -> NSArray {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        return try #require(json?["results"] as? NSArray)
    }

    /// Also with row-sparse embedding updates: the setting comes back with the actor (`show model`).
    @Test(arguments: EmbeddingUpdates.allCases) func restoredRunContinuesBitIdentically(_ embeddings: EmbeddingUpdates) throws {
        let straight = CLI.script("straight.rmtl", Self.prelude + """
            actor esmm embed=8 bottom=[16] tower=[8] embeddings=\(embeddings.rawValue)
            train actor epochs=1 batch=256
            save "\(Self.folder)/esmm.safetensors"
            train actor epochs=1 batch=256 shuffle=true
            eval test as after
            """)
        let resumed = CLI.script("resumed.rmtl", Self.prelude + """
            restore "\(Self.folder)/esmm.safetensors"
            show model
            train actor epochs=1 batch=256 shuffle=true
            eval test as after
            """)
        let a = try CLI.run(["run", straight, "--results", "\(Self.folder)/a.json"])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try CLI.run(["run", resumed, "--results", "\(Self.folder)/b.json"])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout.contains("restored the ESMM actor"))
        let shown = b.stdout.split(separator: "\n").first { $0.contains("embeddings") }
        #expect(shown?.contains(embeddings.rawValue) == true, "\(b.stdout)")
        let (straightResults, resumedResults) = (try Self.results("\(Self.folder)/a.json"), try Self.results("\(Self.folder)/b.json"))
        #expect(straightResults.count == 1)
        #expect(straightResults.isEqual(resumedResults), "\(straightResults) vs \(resumedResults)")
    }

    /// scripts/effect-sizes.rmtl runs its lambda=0 control as `restore` + `train actor`: that must be
    /// the same fine-tuning, bit for bit, as `train rmtl lambda=0` from the same checkpoint.
    @Test func lambdaZeroControlIsPlainFineTuning() throws {
        let script = CLI.script("control.rmtl", Self.prelude + """
            actor esmm embed=8 bottom=[16] tower=[8]
            train actor epochs=2 batch=256
            critic mode=paper episodes=400 alive_sample=256
            train critic epochs=1 batch=256
            save "\(Self.folder)/control.safetensors"
            train rmtl lambda=0 epochs=2 batch=256
            eval test as rmtl0
            restore "\(Self.folder)/control.safetensors"
            train actor epochs=2 batch=256
            eval test as plain
            restore "\(Self.folder)/control.safetensors"
            train rmtl lambda=0.7 epochs=2 batch=256
            eval test as rmtl7
            """)
        let r = try CLI.run(["run", script, "--results", "\(Self.folder)/control.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let results = try Self.results("\(Self.folder)/control.json")
        let metrics = results.compactMap { ($0 as? [String: Any])?["metrics"] as? NSDictionary }
        #expect(metrics.count == 3)
        #expect(metrics[0].isEqual(metrics[1]), "lambda=0 vs plain: \(metrics[0]) vs \(metrics[1])")
        #expect(!metrics[0].isEqual(metrics[2]), "lambda=0.7 must differ from lambda=0, or the test proves nothing")
    }

    /// The RL stage before the checkpoint: a trained actor, critics with a wrapped replay buffer
    /// (more warm-up transitions than `memory`), two critic epochs and one DDPG epoch whose actor
    /// steps start at once (`actor_after=0`), so the target actor and the actor's Adam exist too.
    static func rlFirstPart(mode: String) -> String {
        """
        actor esmm embed=8 bottom=[16] tower=[8]
        train actor epochs=1 batch=256
        critic mode=\(mode) episodes=400 memory=500 actor_after=0 alive_sample=256
        train critic epochs=2 batch=64
        train ddpg epochs=1 batch=64 lr=0.001

        """
    }

    /// After the checkpoint: more critic training, DDPG, RMTL fine-tuning, an eval and a final save
    /// whose tensors are the whole state to compare.
    static func rlSecondPart(finalFile: String) -> String {
        """
        train critic epochs=2 batch=64
        train ddpg epochs=1 batch=64 lr=0.001
        train rmtl lambda=0.7 epochs=1 batch=256
        eval test as final
        save "\(finalFile)"

        """
    }

    @Test(arguments: ["code", "paper"]) func restoredRLRunContinuesBitIdentically(mode: String) throws {
        let dir = Self.folder
        let straight = CLI.script("rl-straight-\(mode).rmtl",
            Self.prelude + Self.rlFirstPart(mode: mode) + Self.rlSecondPart(finalFile: "\(dir)/rl-\(mode)-a.safetensors"))
        let first = CLI.script("rl-first-\(mode).rmtl",
            Self.prelude + Self.rlFirstPart(mode: mode) + "save \"\(dir)/rl-\(mode)-mid.safetensors\"\n")
        let second = CLI.script("rl-second-\(mode).rmtl",
            Self.prelude + "restore \"\(dir)/rl-\(mode)-mid.safetensors\"\nsave \"\(dir)/rl-\(mode)-resaved.safetensors\"\n"
                + Self.rlSecondPart(finalFile: "\(dir)/rl-\(mode)-b.safetensors"))
        let a = try CLI.run(["run", straight, "--results", "\(dir)/rl-\(mode)-a.json"])
        #expect(a.status == 0, "\(a.stderr)")
        let f = try CLI.run(["run", first])
        #expect(f.status == 0, "\(f.stderr)")
        let b = try CLI.run(["run", second, "--results", "\(dir)/rl-\(mode)-b.json"])
        #expect(b.status == 0, "\(b.stderr)")
        let structure = mode == "code" ? "2 critic network(s) (independent)" : "1 critic network(s) (shared)"
        #expect(b.stdout.contains("restored the ESMM actor (") && b.stdout.contains(structure)
                && b.stdout.contains("the target actor and its optimiser"), "\(b.stdout)")

        // Restoring and saving again reproduces the checkpoint byte for byte: nothing saved is lost.
        let mid = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/rl-\(mode)-mid.safetensors"))
        let resaved = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/rl-\(mode)-resaved.safetensors"))
        #expect(mid == resaved)

        // The interrupted run ends in exactly the state of the uninterrupted one.
        let finalA = try Checkpoint.read(path: "\(dir)/rl-\(mode)-a.safetensors")
        let finalB = try Checkpoint.read(path: "\(dir)/rl-\(mode)-b.safetensors")
        let names = finalA.tensors.keys.sorted()
        let critic = mode == "code" ? "critic.1." : "critic.shared.tower.1."
        for prefix in ["actor.", critic, "critic_target.", "optim.critic.", "actor_target.", "optim.actor.m.", "buffer.order", "rng"] {
            #expect(names.contains { $0.hasPrefix(prefix) }, "no tensor starts with \(prefix)")
        }
        #expect(names == finalB.tensors.keys.sorted())
        for name in names where finalA.tensors[name] != finalB.tensors[name] {
            Issue.record("tensor \(name) differs between the straight and the resumed run")
        }
        #expect(finalA.config == finalB.config)
        // The checkpoint did not stand still: the second part changed the actor and every critic.
        let midFile = try Checkpoint.read(path: "\(dir)/rl-\(mode)-mid.safetensors")
        func group(_ c: Checkpoint, _ prefix: String) -> [String: TensorData] { c.tensors.filter { $0.key.hasPrefix(prefix) } }
        for prefix in ["actor.", "critic.0.", critic, "optim.critic."] where !(mode == "paper" && prefix == "critic.0.") {
            #expect(!group(midFile, prefix).isEmpty && group(midFile, prefix) != group(finalA, prefix), "\(prefix) did not change")
        }
        let (ra, rb) = (try Self.results("\(dir)/rl-\(mode)-a.json"), try Self.results("\(dir)/rl-\(mode)-b.json"))
        #expect(ra.count == 1)
        #expect(ra.isEqual(rb), "\(ra) vs \(rb)")
    }

    @Test func restoreRefusesOtherDataAndBrokenFiles() throws {
        let saving = CLI.script("saving.rmtl", Self.prelude + """
            actor esmm embed=8 bottom=[16] tower=[8]
            save "\(Self.folder)/untrained.safetensors"
            """)
        let saved = try CLI.run(["run", saving])
        #expect(saved.status == 0, "\(saved.stderr)")
        let other = CLI.script("other.rmtl", """
            seed 11
            generate retailrocket "\(Self.folder)/rr2" events=20k seed=6
            load retailrocket "\(Self.folder)/rr2"
            sessionize gap=30m
            split time 0.6 0.2 0.2
            restore "\(Self.folder)/untrained.safetensors"
            """)
        let r = try CLI.run(["run", other])
        #expect(r.status == 70)
        #expect(r.stderr.contains("untrained.safetensors: "), "\(r.stderr)")
        #expect(r.stderr.contains("fingerprint"), "\(r.stderr)")
        _ = FileManager.default.createFile(atPath: "\(Self.folder)/broken.safetensors", contents: Data([1, 2, 3]))
        let broken = CLI.script("broken.rmtl", Self.prelude + "restore \"\(Self.folder)/broken.safetensors\"\n")
        let b = try CLI.run(["run", broken])
        #expect(b.status == 70)
        #expect(b.stderr.contains("broken.safetensors"), "\(b.stderr)")
    }

    /// An actor-only checkpoint replaces critics the session had (the RL commands then say there are
    /// none), and a restore with another thread count says that bit-identity needs the saved one.
    @Test func actorOnlyCheckpointDropsCriticsAndThreadsAreReported() throws {
        let dir = Self.folder
        let c = CapturedSession()
        let setup = Self.prelude + """
            threads 2
            actor esmm embed=8 bottom=[16] tower=[8]
            train actor epochs=1 batch=256
            save "\(dir)/actor-only.safetensors"
            critic mode=paper episodes=50 memory=100

            """
        #expect(c.session.run(source: setup, file: "setup.rmtl", mode: .run).status == .ok, "\(c.diagnostics)")
        let w = c.session.workspace
        #expect(w.agent != nil)
        w.threads = 1
        try w.restore(from: "\(dir)/actor-only.safetensors")
        #expect(w.agent == nil && !w.isCriticTrained && w.actor?.threads == 1)
        #expect(c.stdout.contains { $0.hasPrefix("note: saved with 2 threads, continuing with 1;") }, "\(c.stdout.suffix(3))")
        #expect(throws: WorkspaceError.failed("no critic: build one with 'critic'")) { try w.trainCritic(epochs: 1, batchSize: 64) }
    }

    /// What a refused restore must leave alone, captured before and compared after.
    struct Snapshot: Equatable {
        var actor: ObjectIdentifier?, actorValues: [Float]
        var agent: ObjectIdentifier?, criticValues: [[Float]], bufferCount: Int, bufferPosition: Int, totalSteps: Int
        var rng: TensorData, seed: UInt64, isCriticTrained: Bool, historyCount: Int

        init(_ w: Workspace) {
            actor = w.actor.map(ObjectIdentifier.init)
            actorValues = w.actor?.values.array ?? []
            agent = w.agent.map(ObjectIdentifier.init)
            criticValues = w.agent?.critics.map(\.values.array) ?? []
            bufferCount = w.agent?.buffer.count ?? -1
            bufferPosition = w.agent?.buffer.position ?? -1
            totalSteps = w.agent?.totalSteps ?? -1
            rng = w.rng.stateTensor
            seed = w.seed
            isCriticTrained = w.isCriticTrained
            historyCount = w.history.count
        }
    }

    /// Truncated, bit-flipped, wrong-version, wrong-shape, incomplete, over-complete and other-data
    /// checkpoints are each refused with a message naming the file (and the tensor where there is
    /// one), and the session keeps its actor, critics, buffer and random state: `eval` afterwards
    /// gives the numbers it gave before.
    @Test func refusedRLCheckpointLeavesTheWorkspaceAsItWas() throws {
        let dir = Self.folder
        let good = "\(dir)/refuse-good.safetensors"
        let c = CapturedSession()
        let setup = Self.prelude + """
            actor esmm embed=8 bottom=[16] tower=[8]
            train actor epochs=1 batch=256
            critic mode=code episodes=200 memory=300 actor_after=0 alive_sample=128
            train critic epochs=1 batch=64
            save "\(good)"
            train critic epochs=1 batch=64
            eval test as before

            """
        let outcome = c.session.run(source: setup, file: "setup.rmtl", mode: .run)
        #expect(outcome.status == .ok, "\(c.diagnostics)")
        let w = c.session.workspace
        let before = Snapshot(w)
        #expect(before.agent != nil && before.totalSteps > 0)
        let evalBefore = try #require(w.results(named: "before").first)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: good)))
        let file = try SafetensorsFile.read(path: good)
        let checkpoint = try Checkpoint.read(path: good)

        func write(_ name: String, _ data: [UInt8]) -> String {
            let path = "\(dir)/refuse-\(name).safetensors"
            _ = FileManager.default.createFile(atPath: path, contents: Data(data))
            return path
        }
        func rewritten(_ name: String, _ change: (inout Checkpoint) -> Void) throws -> String {
            var copy = checkpoint
            change(&copy)
            let path = "\(dir)/refuse-\(name).safetensors"
            try copy.write(to: path)
            return path
        }
        let names = checkpoint.tensors.keys.sorted()
        let weight = try #require(names.first { $0.hasPrefix("critic.1.") && checkpoint.tensors[$0]!.shape.count == 2 })
        let weightShape = checkpoint.tensors[weight]!.shape
        let moment = try #require(names.first { $0.hasPrefix("optim.critic.0.v.") })
        let target = try #require(names.first { $0.hasPrefix("critic_target.1.") })
        let encoder = try #require(names.first { $0.hasPrefix("encoder.") && $0.hasSuffix(".mapping") })
        let mapping = try #require(checkpoint.tensors[encoder]?.int32s)
        let n = try #require(checkpoint.tensors["buffer.order"]).shape[0]
        #expect(n > 0)
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        let nameAt = try #require(header.range(of: "\"\(target)\""))
        var headerFlip = bytes
        headerFlip[8 + header.utf8.distance(from: header.startIndex, to: nameAt.lowerBound) + 3] ^= 0x20   // "crItic_target…"
        var dataFlip = bytes
        dataFlip[bytes.count - 3] ^= 0x01
        var oldVersion = file
        oldVersion.metadata["format_version"] = "1"

        let cases: [(path: String, message: String)] = [
            (write("truncated", Array(bytes.dropLast(1000))), "exceed the"),
            (write("header-flip", headerFlip), "checkpoint is corrupted"),
            (write("data-flip", dataFlip), "checkpoint is corrupted"),
            (write("old-version", oldVersion.encoded()), "checkpoint format version '1' is not supported (this rmtl reads version 2)"),
            (try rewritten("shape") {
                $0.tensors[weight] = TensorData(shape: [weightShape[0] + 1, weightShape[1]],
                                                floats: [Float](repeating: 0.5, count: (weightShape[0] + 1) * weightShape[1]))
            }, "tensor '\(weight)' is F32 [\(weightShape[0] + 1), \(weightShape[1])], expected F32 [\(weightShape[0]), \(weightShape[1])]"),
            (try rewritten("dtype") { $0.tensors["buffer.order"] = TensorData(shape: [n], int32s: (0..<n).map { Int32($0) }) },
             "tensor 'buffer.order' is I32 [\(n)], expected I64 [\(n)]"),
            (try rewritten("missing") { $0.tensors[moment] = nil }, "tensor '\(moment)' (F32 ["),
            (try rewritten("extra") { $0.tensors["critic.2" + weight.dropFirst("critic.1".count)] = $0.tensors[weight] },
             "tensor 'critic.2\(weight.dropFirst("critic.1".count))' does not belong to the configuration"),
            (try rewritten("order") { $0.tensors["buffer.order"] = TensorData(shape: [n], int64s: [Int64](repeating: 0, count: n)) },
             "tensor 'buffer.order' is not a permutation of 0..<\(n)"),
            (try rewritten("encoder") {
                $0.tensors[encoder] = TensorData(shape: [mapping.count], int32s: mapping.reversed())
            }, "tensor '\(encoder)' ("),
            (try rewritten("other-data") { $0.dataFingerprint = "fnv1a64:0" },
             "checkpoint was trained on data with fingerprint fnv1a64:0, but the loaded data has"),
        ]
        for (path, message) in cases {
            do {
                try w.restore(from: path)
                Issue.record("\(path) was restored")
            } catch WorkspaceError.rejected(let text, let hint) {
                #expect(text.hasPrefix(path + ": "), "\(text)")
                #expect(text.contains(message), "\(path): \(text)")
                #expect(hint?.isEmpty == false)
            }
            #expect(Snapshot(w) == before, "\(path) changed the workspace")
        }
        #expect(c.session.run(source: "eval test as after\n", file: "<prompt>", mode: .prompt).status == .ok)
        #expect(w.results(named: "after").first?.tasks == evalBefore.tasks)
        // The good file itself restores (so the refusals above are about the damage, not the file).
        try w.restore(from: good)
        #expect(Snapshot(w) != before)
        #expect(w.agent?.buffer.count == n && w.isCriticTrained)
    }
}

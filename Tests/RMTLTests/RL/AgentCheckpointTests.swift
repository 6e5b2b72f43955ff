import Foundation
import RMTL
import Testing

/// The engine saves and restores an RL agent on its own (no `.rmtl` workspace): a restored agent
/// continues training exactly as the one that never stopped, and a file that does not fit is
/// refused with the tensor or value named.
@Suite("RL agent checkpoint", .serialized) struct AgentCheckpointTests {
    static let folder: String = {
        let f = NSTemporaryDirectory() + "rmtl-agent-checkpoint-\(getpid())"
        try? FileManager.default.createDirectory(atPath: f, withIntermediateDirectories: true)
        return f
    }()

    /// An agent with every piece of state in use: a warm-up larger than the buffer (so it wraps),
    /// a critic epoch (critic moments, soft-updated targets, counters) and a DDPG epoch whose actor
    /// steps start at once (the target actor and the actor's Adam).
    func trainedAgent(_ mode: RMTLMode) throws -> (RLAgent, RandomGenerator) {
        var settings = tinySettings(mode)
        settings.bufferCapacity = 300
        settings.warmupEpisodes = 120
        settings.actorWarmupSteps = 0
        var rng = RandomGenerator(seed: 3)
        let actor = try tinyActor()
        let agent = try RLAgent(actor: actor, settings: settings, rng: &rng)
        try agent.warmUp(on: rlSplits.train, rng: &rng)
        try agent.trainCritic(epochs: 1, rng: &rng)
        try agent.trainDDPG(validation: rlSplits.validation, epochs: 1, rng: &rng)
        return (agent, rng)
    }

    /// More critic and DDPG training: the continuation both agents run.
    func continueTraining(_ agent: RLAgent, _ rng: inout RandomGenerator) throws {
        try agent.trainCritic(epochs: 1, rng: &rng)
        try agent.trainDDPG(validation: rlSplits.validation, epochs: 1, rng: &rng)
    }

    /// Every network's parameters, by name.
    func everything(_ agent: RLAgent) -> [String: [Float]] {
        var all = ["actor": agent.actor.values.array, "actor target": agent.actorTarget?.values.array ?? []]
        for i in agent.critics.indices {
            all["critic \(i)"] = agent.critics[i].values.array
            all["critic target \(i)"] = agent.targets[i].values.array
        }
        return all
    }

    /// The networks whose parameters differ between `a` and `b`, in name order.
    func differences(_ a: [String: [Float]], _ b: [String: [Float]]) -> [String] {
        Set(a.keys).union(b.keys).sorted().filter { a[$0] != b[$0] }
    }

    /// The tensors (and `config`, if it differs) in which two checkpoints differ, in name order.
    func mismatches(_ a: Checkpoint, _ b: Checkpoint) -> [String] {
        Set(a.tensors.keys).union(b.tensors.keys).sorted().filter { a.tensors[$0] != b.tensors[$0] }
            + (a.config == b.config ? [] : ["config"])
    }

    @Test(arguments: RMTLMode.allCases) func restoredAgentContinuesBitIdentically(_ mode: RMTLMode) throws {
        var (agent, rng) = try trainedAgent(mode)
        #expect(agent.buffer.count == agent.buffer.capacity && agent.buffer.position != 0, "the buffer did not wrap")
        #expect(agent.actorTarget != nil && agent.totalSteps > 0)
        let path = "\(Self.folder)/agent-\(mode).safetensors"
        try agent.checkpoint(rng: rng, dataFingerprint: "planted-5").write(to: path)

        var restoredRNG = RandomGenerator(seed: 99)
        let restored = try RLAgent.restore(from: Checkpoint.read(path: path, expectedFingerprint: "planted-5"), rng: &restoredRNG)
        #expect(restored !== agent && restored.actor !== agent.actor)
        #expect(restoredRNG.stateTensor == rng.stateTensor)
        #expect(restored.totalSteps == agent.totalSteps && restored.buffer.count == agent.buffer.count)
        // Saving the restored agent gives the same checkpoint: nothing was lost on the way.
        let lost = mismatches(try restored.checkpoint(rng: restoredRNG), try agent.checkpoint(rng: rng))
        #expect(lost.isEmpty, "saved again after the restore, these differ: \(lost.joined(separator: ", "))")

        let saved = everything(agent)
        try continueTraining(agent, &rng)
        try continueTraining(restored, &restoredRNG)
        #expect(differences(everything(agent), saved).contains("critic 0"), "the continuation did not train, so the comparison proves nothing")
        let diverged = differences(everything(restored), everything(agent))
        #expect(diverged.isEmpty, "the restored agent's \(diverged.joined(separator: ", ")) diverged from the original's")
        #expect(restoredRNG.stateTensor == rng.stateTensor)
        let diverged2 = mismatches(try restored.checkpoint(rng: restoredRNG), try agent.checkpoint(rng: rng))
        #expect(diverged2.isEmpty, "after the continuation, these differ: \(diverged2.joined(separator: ", "))")
    }

    /// The `config` JSON with `change` applied to its `agent` object.
    func editedConfig(_ checkpoint: Checkpoint, _ change: (inout [String: Any]) -> Void) throws -> Checkpoint {
        var root = try #require(try JSONSerialization.jsonObject(with: Data(checkpoint.config.utf8)) as? [String: Any])
        var agent = try #require(root["agent"] as? [String: Any])
        change(&agent)
        root["agent"] = agent
        var copy = checkpoint
        copy.config = String(decoding: try JSONSerialization.data(withJSONObject: root), as: UTF8.self)
        return copy
    }

    /// Why `RLAgent.restore` refused `checkpoint`; nil if it restored it.
    func refusal(of checkpoint: Checkpoint, rng: inout RandomGenerator) -> String? {
        do {
            _ = try RLAgent.restore(from: checkpoint, rng: &rng)
            return nil
        } catch {
            return error.message
        }
    }

    /// Checkpoints from before warnings carried their hint apart hold `warning: M; hint: H` strings.
    @Test func warningsOfOlderCheckpointsAreRead() throws {
        let json = #"["warning: the critic of task 0 is nearly dead; hint: init=live redraws it", "plain"]"#
        let read = try JSONDecoder().decode([RLWarning].self, from: Data(json.utf8))
        #expect(read == [RLWarning(message: "the critic of task 0 is nearly dead", hint: "init=live redraws it"),
                         RLWarning(message: "plain", hint: nil)])
        let current = RLWarning(message: "m", hint: "h")
        #expect(try JSONDecoder().decode(RLWarning.self, from: JSONEncoder().encode(current)) == current)
    }

    @Test func mismatchedOrCorruptedStateIsRefused() throws {
        let (agent, rng) = try trainedAgent(.code)
        let good = try agent.checkpoint(rng: rng)
        let names = good.tensors.keys.sorted()
        let moment = try #require(names.first { $0.hasPrefix("optim.critic.1.m.") })
        let weight = try #require(names.first { $0.hasPrefix("critic.0.") && good.tensors[$0]!.shape.count == 2 })
        let shape = good.tensors[weight]!.shape
        let n = good.tensors["buffer.order"]!.shape[0]

        func edited(_ change: (inout Checkpoint) -> Void) -> Checkpoint {
            var copy = good
            change(&copy)
            return copy
        }
        let cases: [(Checkpoint, String)] = [
            (edited { $0.tensors[moment] = nil }, "tensor '\(moment)' (F32 ["),
            (edited { $0.tensors[weight] = TensorData(shape: [shape[0], shape[1] + 1], floats: [Float](repeating: 0, count: shape[0] * (shape[1] + 1))) },
             "tensor '\(weight)' is F32 [\(shape[0]), \(shape[1] + 1)], expected F32 [\(shape[0]), \(shape[1])]"),
            (edited { $0.tensors["optim.actor.m.extra"] = TensorData(shape: [1], floats: [0]) },
             "tensor 'optim.actor.m.extra' does not belong to the configuration it was saved with"),
            (edited { $0.tensors["buffer.order"] = TensorData(shape: [n], int64s: [Int64](repeating: 1, count: n)) },
             "tensor 'buffer.order' is not a permutation of 0..<\(n)"),
            (edited { $0.tensors["buffer.states"] = TensorData(shape: good.tensors["buffer.states"]!.shape,
                                                                int32s: [Int32](repeating: 1_000_000, count: good.tensors["buffer.states"]!.elementCount)) },
             "tensor 'buffer.states' holds id 1000000 for field 0"),
            (try editedConfig(good) { agent in
                var adams = agent["criticOptimizers"] as! [[String: Any]]
                adams[0]["step"] = -1
                agent["criticOptimizers"] = adams
            }, "the critic 0 optimiser's step -1, learning rate"),
            (try editedConfig(good) { agent in
                var buffer = agent["buffer"] as! [String: Any]
                buffer["count"] = (buffer["count"] as! NSNumber).intValue + 1
                agent["buffer"] = buffer
            }, "the replay buffer's capacity 300, count \(n + 1) and position"),
            (try editedConfig(good) { agent in
                var settings = agent["settings"] as! [String: Any]
                settings["criticStructure"] = "shared"
                agent["settings"] = settings
            }, "the configuration has 2 critic optimisers for 1 shared critic network(s)"),
            (try editedConfig(good) { $0["totalSteps"] = -5 }, "the saved RL progress does not fit this agent"),
            (edited { $0.config = "{" }, "the checkpoint's configuration (metadata 'config') is unreadable"),
        ]
        for (checkpoint, message) in cases {
            var untouched = RandomGenerator(seed: 42)
            let refusal = refusal(of: checkpoint, rng: &untouched)
            #expect(refusal?.contains(message) == true, "expected '\(message)', got \(refusal ?? "a restored agent")")
            #expect(untouched.stateTensor == RandomGenerator(seed: 42).stateTensor, "a refused restore changed the random state")
        }

        // A flipped bit in the tensor data is refused by the content digest before any state is read.
        let path = "\(Self.folder)/corrupt.safetensors"
        try good.write(to: path)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 5] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: SafetensorsError.self) { try Checkpoint.read(path: path) }
        // The good checkpoint itself restores, so the refusals are about the damage.
        var rng2 = RandomGenerator(seed: 0)
        #expect(try RLAgent.restore(from: good, rng: &rng2).totalSteps == agent.totalSteps)
    }
}

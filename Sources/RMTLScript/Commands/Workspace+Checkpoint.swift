import Foundation
import RMTL

// MARK: - save, restore
//
// A checkpoint is a safetensors file (loadable by `safetensors.numpy.load_file`) in the envelope of
// `Checkpoint` (format version 2: format, version, data fingerprint, content digest), written
// atomically. Tensor names:
//
//   rng                                     U64 [4]             the random generator's state
//   actor.<param>                           F32                 the actor (PyTorch state_dict names)
//   encoder.<field>.mapping                 I32 [raw values]    per categorical field: raw id → model id
// and, once `critic` has built the RL stage, the agent's own tensors, which the engine writes and
// reads (`RLAgent+Checkpoint.swift`): critic.<net>.…, critic_target.<net>.…, optim.critic.<net>.…,
// actor_target.… and optim.actor.… (after `train ddpg`), buffer.….
//
// The `config` metadata entry is the JSON of `SavedState`: the actor's sizes and settings, seed,
// batch capacity and thread count, the encoders' sizes, the epoch history and, with an RL stage,
// the agent's `RLAgent.State` (every RMTLSettings field, batch capacity, counters, optimiser and
// buffer scalars) with the `critic` arguments and whether the critics were trained beside it.
//
// `restore` checks, in order: the safetensors structure, format, version, content digest and data
// fingerprint (`Checkpoint.read`); the configuration JSON; the encoders against the loaded data's;
// then it rebuilds the actor and agent from the configuration and requires every tensor that
// configuration implies, with its dtype and shape, and no other tensor. Everything is built into
// locals; the workspace changes only when all checks passed.
extension Workspace {
    struct SavedEncoder: Codable, Equatable {
        var name: String
        var cardinality: Int
        /// Raw values the mapping covers (the `encoder.<name>.mapping` length).
        var vocabulary: Int
    }

    /// The RL stage: the engine's `RLAgent.State` with the language's two fields beside its keys
    /// (one flat JSON object, as format version 2 has it).
    struct SavedRL: Codable {
        var agent: RLAgent.State
        /// The `critic …` arguments, for exports.
        var criticCommand: String
        var isCriticTrained: Bool

        init(agent: RLAgent.State, criticCommand: String, isCriticTrained: Bool) {
            self.agent = agent
            self.criticCommand = criticCommand
            self.isCriticTrained = isCriticTrained
        }

        private enum CodingKeys: String, CodingKey { case criticCommand, isCriticTrained }

        init(from decoder: any Decoder) throws {
            agent = try RLAgent.State(from: decoder)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            criticCommand = try c.decode(String.self, forKey: .criticCommand)
            isCriticTrained = try c.decode(Bool.self, forKey: .isCriticTrained)
        }

        func encode(to encoder: any Encoder) throws {
            try agent.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(criticCommand, forKey: .criticCommand)
            try c.encode(isCriticTrained, forKey: .isCriticTrained)
        }
    }

    /// What `save` records besides the tensors (the checkpoint's `config`, as JSON).
    struct SavedState: Codable {
        var model: ModelConfig
        var actor: ActorSettings
        var seed: UInt64
        var isTrained: Bool
        var actorCapacity: Int
        /// The thread count the state was trained with (results are bit-identical per thread count).
        var threads: Int
        var encoders: [SavedEncoder]
        var history: [EpochRecord]
        var rl: SavedRL?
    }

    static let mismatchHint = "the file does not match its own configuration; write it again with 'save'"

    /// `save "file"`: the actor, the encoders, the random state and, once `critic` ran, the whole RL
    /// stage (critics, targets, optimiser moments, replay buffer, counters), written atomically.
    public func save(to path: String) throws {
        guard let model = actor, let settings = actorSettings, let config = model.modelConfig, let fingerprint = dataFingerprint else {
            throw WorkspaceError.failed("nothing to save: build an actor over split data first")
        }
        var tensors: [String: TensorData] = ["rng": rng.stateTensor]
        model.saveTensors(prefix: "actor.", into: &tensors)
        let encoders = data?.encoders ?? []
        for e in encoders { tensors["encoder.\(e.name).mapping"] = TensorData(shape: [e.mapping.count], int32s: e.mapping) }
        // Critics built over an actor since replaced (`actor` again) are not this actor's; leave them out.
        let agent = self.agent.flatMap { $0.actor === model ? $0 : nil }
        let rl = agent.map {
            SavedRL(agent: $0.saveTensors(into: &tensors), criticCommand: self.config.first { $0.0 == "critic" }?.1 ?? "",
                    isCriticTrained: isCriticTrained)
        }
        let state = SavedState(
            model: config, actor: settings, seed: seed, isTrained: isActorTrained, actorCapacity: model.capacity,
            threads: model.threads,
            encoders: encoders.map { SavedEncoder(name: $0.name, cardinality: $0.cardinality, vocabulary: $0.mapping.count) },
            history: history, rl: rl)
        let json = String(decoding: try Checkpoint.configEncoder.encode(state), as: UTF8.self)
        do {
            try Checkpoint(tensors: tensors, dataFingerprint: fingerprint, config: json, extra: ["rmtl_version": rmtlVersion])
                .write(to: checkpointFile(path))
        } catch {
            throw WorkspaceError.rejected(Diagnostic.saveFailed(error), hint: Diagnostic.saveFailedHint(error))
        }
        recorder?.artifactWritten(kind: "checkpoint", path: path)
        let what = agent.map { a in
            "; the \(a.critics.count) critic network(s), targets, optimiser moments and \(a.buffer.count) buffered transitions"
                + (a.actorTarget != nil ? ", the target actor and its optimiser" : "")
        } ?? ""
        say("saved the \(config.kind.displayName) actor (\(model.parameterCount) parameters) and the random state\(what) to \(path)")
    }

    /// `restore "file"`: everything `save` wrote, over the same data (its fingerprint and encoders
    /// must match the loaded split), so the script continues exactly as if it had not stopped. Any
    /// mismatch is refused and the workspace is left as it was.
    public func restore(from path: String) throws {
        guard splits != nil, let fingerprint = dataFingerprint else {
            throw WorkspaceError.failed("load and split the data the checkpoint was trained on first")
        }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.read(path: checkpointFileToRead(path), expectedFingerprint: fingerprint) } catch {
            throw WorkspaceError.rejected("\(path): \(error.message)", hint: error.hint)
        }
        func refuse(_ message: String, hint: String = Self.mismatchHint) -> WorkspaceError {
            .rejected("\(path): \(message)", hint: hint)
        }
        let state: SavedState, restoredRNG: RandomGenerator, model: TrainableModel, restoredAgent: RLAgent?
        do {
            do { state = try Checkpoint.configDecoder.decode(SavedState.self, from: Data(checkpoint.config.utf8)) } catch {
                throw refuse("the checkpoint's configuration (metadata 'config') is unreadable: \(error)")
            }
            var reader = CheckpointReader(checkpoint.tensors)
            guard let rng = RandomGenerator(stateTensor: try reader.tensor("rng", .u64, [4])) else {
                throw refuse("tensor 'rng' is not a random-generator state")
            }
            restoredRNG = rng

            // The encoders: the fingerprint covers their sizes; the mappings make the file self-describing.
            let encoders = data?.encoders ?? []
            guard state.encoders.map(\.name) == encoders.map(\.name) else {
                throw refuse("the checkpoint has encoders for fields [\(state.encoders.map(\.name).joined(separator: ", "))], "
                             + "the loaded data [\(encoders.map(\.name).joined(separator: ", "))]",
                             hint: "load and split the data as when the checkpoint was saved")
            }
            for (saved, current) in zip(state.encoders, encoders) {
                let name = "encoder.\(saved.name).mapping"
                let mapping = try reader.tensor(name, .i32, [saved.vocabulary]).int32s!
                guard saved.cardinality == current.cardinality, mapping == current.mapping else {
                    throw refuse("tensor '\(name)' (\(saved.cardinality) ids over \(saved.vocabulary) raw values) differs from the loaded "
                                 + "data's encoder (\(current.cardinality) ids over \(current.mapping.count) raw values)",
                                 hint: "load and split the data as when the checkpoint was saved")
                }
            }

            model = try TrainableModel.restore(state.model, batchCapacity: state.actorCapacity, threads: threads,
                                               group: replicaGroup, prefix: "actor.", from: &reader)
            restoredAgent = try state.rl.map { try RLAgent.restore($0.agent, actor: model, from: &reader) }
            try reader.requireAllUsed()
        } catch let mismatch as CheckpointMismatch {
            throw refuse(mismatch.message, hint: mismatch.hint ?? Self.mismatchHint)
        }

        // Every check passed: only now does the workspace change.
        actor = model
        actorSettings = state.actor
        isActorTrained = state.isTrained
        seed = state.seed
        rng = restoredRNG
        agent = restoredAgent
        isCriticTrained = state.rl?.isCriticTrained ?? false
        history = state.history
        actorRun = history.last(where: { $0.phase != "critic" })?.run
        setConfig("actor", state.actor.model)
        if let rl = state.rl { setConfig("critic", rl.criticCommand) }
        let what = restoredAgent.map { a in
            ", \(a.critics.count) critic network(s) (\(a.settings.criticStructure.rawValue)), targets, optimiser moments and "
                + "\(a.buffer.count) buffered transitions at step \(a.totalSteps)"
                + (a.actorTarget != nil ? ", the target actor and its optimiser" : "")
        } ?? ""
        say("restored the \(state.model.kind.displayName) actor (\(model.parameterCount) parameters)\(what) and the random state from \(path)")
        if state.threads != model.threads {
            say("note: saved with \(state.threads) threads, continuing with \(model.threads); "
                + "results repeat bit for bit only with the same thread count ('threads \(state.threads)' before 'restore')")
        }
    }
}

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
// and, once `critic` has built the RL stage:
//   critic.<net>.<param>                    F32                 the online critics
//   critic_target.<net>.<param>             F32                 their target networks
//   optim.critic.<net>.m.<param>            F32                 the critics' Adam first moments
//   optim.critic.<net>.v.<param>            F32                 ... and second moments
//   actor_target.<param>                    F32                 the target actor (after `train ddpg`)
//   optim.actor.m.<param> / .v.<param>      F32                 the actor's DDPG Adam (after `train ddpg`)
//   buffer.states, buffer.next_states       I32 [count, fields] the replay buffer's stored rows
//   buffer.state_numeric, buffer.next_numeric  F32 [count, numeric]
//   buffer.actions, buffer.labels, buffer.rewards  F32 [count, tasks]
//   buffer.done                             F32 [count]
//   buffer.order                            I64 [count]         the sampling permutation
//
// `<net>` is the task index (`0`, `1`, …) for the code's independent critics (critic=independent)
// and `shared` for the paper's shared-bottom critic with a tower per task (critic=shared).
// `<param>` is the network's parameter name (`bottom.mlp.0.weight`, …). The moments are stored per
// parameter; the slab's alignment padding between parameters is always zero and is not stored.
//
// The `config` metadata entry is the JSON of `SavedState`: the actor's sizes and settings, seed,
// batch capacity and thread count, the encoders' sizes, the epoch history and, with an RL stage,
// every RMTLSettings field, the agent's batch capacity and counters (total steps, redraws, alive
// fractions, warnings), each Adam's step count, learning rate and weight decay, and the buffer's
// capacity, count and write position.
//
// `restore` checks, in order: the safetensors structure, format, version, content digest and data
// fingerprint (`Checkpoint.read`); the configuration JSON; the encoders against the loaded data's;
// then it rebuilds the actor and agent from the configuration and requires every tensor that
// configuration implies, with its dtype and shape, and no other tensor. Everything is built into
// locals; the workspace changes only when all checks passed.
extension Workspace {
    /// An Adam's scalars (its moments are tensors).
    struct SavedAdam: Codable, Equatable {
        var step: Int
        var learningRate: Float
        var weightDecay: Float
    }

    struct SavedBuffer: Codable, Equatable {
        var capacity: Int
        var count: Int
        var position: Int
    }

    struct SavedEncoder: Codable, Equatable {
        var name: String
        var cardinality: Int
        /// Raw values the mapping covers (the `encoder.<name>.mapping` length).
        var vocabulary: Int
    }

    /// The RL stage's scalars.
    struct SavedRL: Codable {
        var settings: RMTLSettings
        /// The `critic …` arguments, for exports.
        var criticCommand: String
        /// `RLAgent.batchCapacity`: the agent is rebuilt with this batch size, then given `settings`.
        var batchCapacity: Int
        var isCriticTrained: Bool
        var totalSteps: Int
        var criticsChecked: Bool
        var aliveFractions: [Double]
        var redraws: Int
        var warnings: [String]
        var criticOptimizers: [SavedAdam]
        /// Present once `train ddpg` made the target actor and the actor's optimiser.
        var actorOptimizer: SavedAdam?
        var buffer: SavedBuffer
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

    static var checkpointEncoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    static var checkpointDecoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// `critic.<net>.` names: the task index for independent critics, `shared` for the shared one.
    static func criticKey(_ agent: RLAgent, _ net: Int) -> String {
        agent.settings.criticStructure == .shared ? "shared" : String(net)
    }

    /// `save "file"`: the actor, the encoders, the random state and, once `critic` ran, the whole RL
    /// stage (critics, targets, optimiser moments, replay buffer, counters), written atomically.
    public func save(to path: String) throws {
        guard let model = actor, let settings = actorSettings, let config = model.modelConfig, let fingerprint = dataFingerprint else {
            throw WorkspaceError.failed("nothing to save: build an actor over split data first")
        }
        var tensors: [String: TensorData] = ["rng": rng.stateTensor]
        Self.addWeights(of: model, prefix: "actor.", to: &tensors)
        let encoders = data?.encoders ?? []
        for e in encoders { tensors["encoder.\(e.name).mapping"] = TensorData(shape: [e.mapping.count], int32s: e.mapping) }
        // Critics built over an actor since replaced (`actor` again) are not this actor's; leave them out.
        let agent = self.agent.flatMap { $0.actor === model ? $0 : nil }
        let rl = agent.map { saveAgent($0, into: &tensors) }
        let state = SavedState(
            model: config, actor: settings, seed: seed, isTrained: isActorTrained, actorCapacity: model.capacity,
            threads: model.threads,
            encoders: encoders.map { SavedEncoder(name: $0.name, cardinality: $0.cardinality, vocabulary: $0.mapping.count) },
            history: history, rl: rl)
        let json = String(decoding: try Self.checkpointEncoder.encode(state), as: UTF8.self)
        do {
            try Checkpoint(tensors: tensors, dataFingerprint: fingerprint, config: json, extra: ["rmtl_version": rmtlVersion]).write(to: path)
        } catch {
            throw WorkspaceError.rejected(error.description, hint: "check the folder exists and is writable")
        }
        recorder?.artifactWritten(kind: "checkpoint", path: path)
        let what = agent.map { a in
            "; the \(a.critics.count) critic network(s), targets, optimiser moments and \(a.buffer.count) buffered transitions"
                + (a.actorTarget != nil ? ", the target actor and its optimiser" : "")
        } ?? ""
        say("saved the \(config.kind.displayName) actor (\(model.parameterCount) parameters) and the random state\(what) to \(path)")
    }

    static func addWeights(of model: TrainableModel, prefix: String, to tensors: inout [String: TensorData]) {
        for (name, shape, values) in model.tensors() { tensors[prefix + name] = TensorData(shape: shape, floats: values) }
    }

    static func addMoments(of optimizer: Adam, model: TrainableModel, prefix: String, to tensors: inout [String: TensorData]) {
        let (m, v) = optimizer.moments
        for slot in model.layout.slots {
            let range = slot.offset..<(slot.offset + slot.count)
            tensors[prefix + "m." + slot.name] = TensorData(shape: slot.shape, floats: Array(m[range]))
            tensors[prefix + "v." + slot.name] = TensorData(shape: slot.shape, floats: Array(v[range]))
        }
    }

    func saveAgent(_ agent: RLAgent, into tensors: inout [String: TensorData]) -> SavedRL {
        func adam(_ o: Adam) -> SavedAdam { SavedAdam(step: o.step, learningRate: o.learningRate, weightDecay: o.weightDecay) }
        for i in agent.critics.indices {
            let key = Self.criticKey(agent, i)
            Self.addWeights(of: agent.critics[i], prefix: "critic.\(key).", to: &tensors)
            Self.addWeights(of: agent.targets[i], prefix: "critic_target.\(key).", to: &tensors)
            Self.addMoments(of: agent.criticOptimizers[i], model: agent.critics[i], prefix: "optim.critic.\(key).", to: &tensors)
        }
        var actorOptimizer: SavedAdam? = nil
        if let target = agent.actorTarget, let optimizer = agent.actorOptimizer {
            Self.addWeights(of: target, prefix: "actor_target.", to: &tensors)
            Self.addMoments(of: optimizer, model: agent.actor, prefix: "optim.actor.", to: &tensors)
            actorOptimizer = adam(optimizer)
        }
        let b = agent.buffer, n = b.count
        tensors["buffer.states"] = TensorData(shape: [n, b.fieldCount], int32s: Array(b.states[0..<(n * b.fieldCount)]))
        tensors["buffer.next_states"] = TensorData(shape: [n, b.fieldCount], int32s: Array(b.nextStates[0..<(n * b.fieldCount)]))
        tensors["buffer.state_numeric"] = TensorData(shape: [n, b.numericCount], floats: Array(b.stateNumeric[0..<(n * b.numericCount)]))
        tensors["buffer.next_numeric"] = TensorData(shape: [n, b.numericCount], floats: Array(b.nextNumeric[0..<(n * b.numericCount)]))
        tensors["buffer.actions"] = TensorData(shape: [n, b.taskCount], floats: Array(b.actions[0..<(n * b.taskCount)]))
        tensors["buffer.labels"] = TensorData(shape: [n, b.taskCount], floats: Array(b.labels[0..<(n * b.taskCount)]))
        tensors["buffer.rewards"] = TensorData(shape: [n, b.taskCount], floats: Array(b.rewards[0..<(n * b.taskCount)]))
        tensors["buffer.done"] = TensorData(shape: [n], floats: Array(b.done[0..<n]))
        tensors["buffer.order"] = TensorData(shape: [n], int64s: b.samplingOrder.map { Int64($0) })
        return SavedRL(
            settings: agent.settings, criticCommand: config.first { $0.0 == "critic" }?.1 ?? "",
            batchCapacity: agent.batchCapacity, isCriticTrained: isCriticTrained, totalSteps: agent.totalSteps,
            criticsChecked: agent.criticsChecked, aliveFractions: agent.aliveFractions, redraws: agent.redraws,
            warnings: agent.warnings, criticOptimizers: agent.criticOptimizers.map(adam), actorOptimizer: actorOptimizer,
            buffer: SavedBuffer(capacity: b.capacity, count: b.count, position: b.position))
    }

    /// `restore "file"`: everything `save` wrote, over the same data (its fingerprint and encoders
    /// must match the loaded split), so the script continues exactly as if it had not stopped. Any
    /// mismatch is refused and the workspace is left as it was.
    public func restore(from path: String) throws {
        guard splits != nil, let fingerprint = dataFingerprint else {
            throw WorkspaceError.failed("load and split the data the checkpoint was trained on first")
        }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.read(path: path, expectedFingerprint: fingerprint) } catch {
            throw WorkspaceError.rejected("\(path): \(error.message)", hint: error.hint)
        }
        var reader = CheckpointTensors(checkpoint.tensors, path: path)
        let state: SavedState
        do { state = try Self.checkpointDecoder.decode(SavedState.self, from: Data(checkpoint.config.utf8)) } catch {
            throw reader.refuse("the checkpoint's configuration (metadata 'config') is unreadable: \(error)")
        }
        guard let restoredRNG = RandomGenerator(stateTensor: try reader.tensor("rng", .u64, [4])) else {
            throw reader.refuse("tensor 'rng' is not a random-generator state")
        }

        // The encoders: the fingerprint covers their sizes; the mappings make the file self-describing.
        let encoders = data?.encoders ?? []
        guard state.encoders.map(\.name) == encoders.map(\.name) else {
            throw reader.refuse("the checkpoint has encoders for fields [\(state.encoders.map(\.name).joined(separator: ", "))], "
                                + "the loaded data [\(encoders.map(\.name).joined(separator: ", "))]",
                                hint: "load and split the data as when the checkpoint was saved")
        }
        for (saved, current) in zip(state.encoders, encoders) {
            let name = "encoder.\(saved.name).mapping"
            let mapping = try reader.tensor(name, .i32, [saved.vocabulary]).int32s!
            guard saved.cardinality == current.cardinality, mapping == current.mapping else {
                throw reader.refuse("tensor '\(name)' (\(saved.cardinality) ids over \(saved.vocabulary) raw values) differs from the loaded "
                                    + "data's encoder (\(current.cardinality) ids over \(current.mapping.count) raw values)",
                                    hint: "load and split the data as when the checkpoint was saved")
            }
        }

        var unused = RandomGenerator(seed: 0)
        let model: TrainableModel
        do { model = try TrainableModel(state.model, batchCapacity: state.actorCapacity, threads: threads, rng: &unused) } catch {
            throw reader.refuse("the saved actor configuration does not build a model: \(error)")
        }
        try reader.load(model, prefix: "actor.")
        let restoredAgent = try state.rl.map { try rebuildAgent($0, actor: model, reader: &reader) }
        try reader.requireAllUsed()

        // Every check passed: only now does the workspace change.
        actor = model
        actorSettings = state.actor
        isActorTrained = state.isTrained
        seed = state.seed
        rng = restoredRNG
        agent = restoredAgent
        isCriticTrained = state.rl?.isCriticTrained ?? false
        history = state.history
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

    /// Builds the agent `rl` describes over `actor` and fills it from the checkpoint.
    func rebuildAgent(_ rl: SavedRL, actor model: TrainableModel, reader: inout CheckpointTensors) throws -> RLAgent {
        var building = rl.settings
        building.batchSize = rl.batchCapacity
        var scratch = RandomGenerator(seed: 0)
        let agent: RLAgent
        do {
            agent = try RLAgent(actor: model, settings: building, rng: &scratch)
            try agent.update { $0 = rl.settings }
        } catch {
            throw reader.refuse("the saved RL settings do not build the critics: \(error)")
        }
        guard rl.criticOptimizers.count == agent.critics.count else {
            throw reader.refuse("the configuration has \(rl.criticOptimizers.count) critic optimisers for \(agent.critics.count) "
                                + "\(rl.settings.criticStructure.rawValue) critic network(s)")
        }
        func fill(_ optimizer: Adam, _ saved: SavedAdam, _ moments: (m: [Float], v: [Float]), _ name: String) throws {
            guard saved.step >= 0, saved.learningRate > 0, saved.weightDecay >= 0 else {
                throw reader.refuse("the \(name) optimiser's step \(saved.step), learning rate \(saved.learningRate) "
                                    + "or weight decay \(saved.weightDecay) is impossible")
            }
            optimizer.restore(step: saved.step, m: moments.m, v: moments.v)
            optimizer.learningRate = saved.learningRate
            optimizer.weightDecay = saved.weightDecay
        }
        for i in agent.critics.indices {
            let key = Self.criticKey(agent, i)
            try reader.load(agent.critics[i], prefix: "critic.\(key).")
            try reader.load(agent.targets[i], prefix: "critic_target.\(key).")
            try fill(agent.criticOptimizers[i], rl.criticOptimizers[i],
                        try reader.moments(of: agent.critics[i], prefix: "optim.critic.\(key)."), "critic \(key)")
        }
        if let saved = rl.actorOptimizer {
            do { try agent.makeActorTarget() } catch { throw reader.refuse("cannot rebuild the target actor: \(error)") }
            try reader.load(agent.actorTarget!, prefix: "actor_target.")
            try fill(agent.actorOptimizer!, saved, try reader.moments(of: model, prefix: "optim.actor."), "actor")
        }

        // The replay buffer: saved rows are the first `count` slots; the rest are zero, as never written.
        let buffer = agent.buffer, b = rl.buffer
        let (n, f, nn, k, capacity) = (b.count, buffer.fieldCount, buffer.numericCount, buffer.taskCount, buffer.capacity)
        guard b.capacity == capacity, (0...capacity).contains(b.count),
              b.count < capacity ? b.position == b.count : (0..<capacity).contains(b.position) else {
            throw reader.refuse("the replay buffer's capacity \(b.capacity), count \(b.count) and position \(b.position) "
                                + "are inconsistent (settings say capacity \(capacity))")
        }
        func padded<T: Numeric>(_ values: [T], _ width: Int) -> [T] { values + [T](repeating: 0, count: (capacity - n) * width) }
        let states = try reader.tensor("buffer.states", .i32, [n, f]).int32s!
        let nextStates = try reader.tensor("buffer.next_states", .i32, [n, f]).int32s!
        let cardinalities = agent.criticConfig.cardinalities
        for (name, ids) in [("buffer.states", states), ("buffer.next_states", nextStates)] {
            for (i, id) in ids.enumerated() where id < 0 || Int(id) >= cardinalities[i % f] {
                throw reader.refuse("tensor '\(name)' holds id \(id) for field \(i % f), outside 0..<\(cardinalities[i % f])")
            }
        }
        let order = try reader.tensor("buffer.order", .i64, [n]).int64s!
        var seen = [Bool](repeating: false, count: n)
        for o in order {
            guard o >= 0, o < Int64(n), !seen[Int(o)] else {
                throw reader.refuse("tensor 'buffer.order' is not a permutation of 0..<\(n)")
            }
            seen[Int(o)] = true
        }
        do {
            try buffer.restore(
                count: n, position: b.position,
                states: padded(states, f), stateNumeric: padded(try reader.floats("buffer.state_numeric", [n, nn]), nn),
                nextStates: padded(nextStates, f), nextNumeric: padded(try reader.floats("buffer.next_numeric", [n, nn]), nn),
                actions: padded(try reader.floats("buffer.actions", [n, k]), k),
                labels: padded(try reader.floats("buffer.labels", [n, k]), k),
                rewards: padded(try reader.floats("buffer.rewards", [n, k]), k),
                done: padded(try reader.floats("buffer.done", [n]), 1))
            buffer.samplingOrder = order.map { Int($0) }
            try agent.restoreProgress(totalSteps: rl.totalSteps, criticsChecked: rl.criticsChecked, aliveFractions: rl.aliveFractions,
                                      redraws: rl.redraws, warnings: rl.warnings)
        } catch let error as WorkspaceError {
            throw error
        } catch {
            throw reader.refuse("the saved RL state does not fit the rebuilt agent: \(error)")
        }
        return agent
    }
}

/// The tensors of a checkpoint being restored: typed, shape-checked access that remembers which
/// names were used, so a tensor the configuration does not account for is refused too.
struct CheckpointTensors {
    let tensors: [String: TensorData]
    let path: String
    private(set) var used: Set<String> = []
    static let mismatchHint = "the file does not match its own configuration; write it again with 'save'"

    init(_ tensors: [String: TensorData], path: String) {
        self.tensors = tensors
        self.path = path
    }

    func refuse(_ message: String, hint: String = mismatchHint) -> WorkspaceError {
        .rejected("\(path): \(message)", hint: hint)
    }

    private static func describe(_ dtype: TensorDType, _ shape: [Int]) -> String {
        "\(dtype.rawValue) [" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    /// The tensor `name`, which must exist with this dtype and shape.
    mutating func tensor(_ name: String, _ dtype: TensorDType, _ shape: [Int]) throws -> TensorData {
        guard let t = tensors[name] else {
            throw refuse("tensor '\(name)' (\(Self.describe(dtype, shape))) is missing")
        }
        guard t.dtype == dtype, t.shape == shape else {
            throw refuse("tensor '\(name)' is \(Self.describe(t.dtype, t.shape)), expected \(Self.describe(dtype, shape))")
        }
        used.insert(name)
        return t
    }

    mutating func floats(_ name: String, _ shape: [Int]) throws -> [Float] {
        try tensor(name, .f32, shape).floats!
    }

    /// Every parameter of `model` from `prefix + name`.
    mutating func load(_ model: TrainableModel, prefix: String) throws {
        for slot in model.layout.slots { try model.setTensor(slot.name, try floats(prefix + slot.name, slot.shape)) }
    }

    /// Adam moments laid out as `model`'s slab (padding zero) from `prefix + "m." / "v." + name`.
    mutating func moments(of model: TrainableModel, prefix: String) throws -> (m: [Float], v: [Float]) {
        var m = [Float](repeating: 0, count: model.values.count), v = m
        for slot in model.layout.slots {
            let range = slot.offset..<(slot.offset + slot.count)
            m.replaceSubrange(range, with: try floats(prefix + "m." + slot.name, slot.shape))
            v.replaceSubrange(range, with: try floats(prefix + "v." + slot.name, slot.shape))
        }
        return (m, v)
    }

    /// Refuses a tensor the rebuilt state has no place for.
    func requireAllUsed() throws {
        let extra = tensors.keys.filter { !used.contains($0) }.sorted()
        if let first = extra.first {
            throw refuse("tensor '\(first)' does not belong to the configuration it was saved with"
                         + (extra.count > 1 ? " (and \(extra.count - 1) more)" : ""))
        }
    }
}

import Foundation

/// The RL stage in a checkpoint. `saveTensors` writes every tensor of the agent except its actor's
/// own weights (the caller saves the actor: a `.rmtl` workspace does so with its own settings):
///
///   critic.<net>.<param>                    F32   the online critics
///   critic_target.<net>.<param>             F32   their target networks
///   optim.critic.<net>.m.<param> / .v.      F32   the critics' Adam moments (`Adam+Checkpoint.swift`)
///   actor_target.<param>                    F32   the target actor (once DDPG made it)
///   optim.actor.m.<param> / .v.<param>      F32   the actor's DDPG Adam (likewise)
///   buffer.…                                      the replay buffer (`ReplayBuffer+Checkpoint.swift`)
///
/// `<net>` is the task index (`0`, `1`, …) for independent critics and `shared` for the shared-bottom
/// critic with a tower per task; `<param>` is the network's parameter name (`bottom.mlp.0.weight`, …).
/// The scalars (settings, batch capacity, counters, each Adam's step and rates, the buffer's
/// capacity, count and position) are `State`, which the caller stores as JSON in the checkpoint's
/// `config`. `restore` rebuilds an agent from both; it checks everything and refuses with a
/// `CheckpointMismatch` rather than return a partial agent.
///
/// `checkpoint(rng:dataFingerprint:)` and `restore(from:rng:)` do the whole round trip (actor
/// included) for programs that use the engine alone.
extension RLAgent {
    /// The largest RL batch the agent was built for (`settings.batchSize` at construction): the
    /// size of its transition batch. A restore builds the agent with this batch size, then applies
    /// the saved settings, so every buffer has the capacity it had when the agent was saved.
    public var batchCapacity: Int { batch.capacity }

    /// The agent's scalars (its weights, moments and buffer rows are tensors).
    public struct State: Codable, Sendable {
        public var settings: RMTLSettings
        /// `RLAgent.batchCapacity`: the agent is rebuilt with this batch size, then given `settings`.
        public var batchCapacity: Int
        public var totalSteps: Int
        public var criticsChecked: Bool
        public var aliveFractions: [Double]
        public var redraws: Int
        public var warnings: [RLWarning]
        public var criticOptimizers: [Adam.State]
        /// Present once `trainDDPG` made the target actor and the actor's optimiser.
        public var actorOptimizer: Adam.State?
        public var buffer: ReplayBuffer.State
    }

    /// The `<net>` of critic `i`'s tensor names: the task index for independent critics, `shared`
    /// for the shared one.
    func checkpointKey(ofNet i: Int) -> String {
        settings.criticStructure == .shared ? "shared" : String(i)
    }

    /// Adds every tensor of the agent but the actor's weights (see above); returns the scalars.
    public func saveTensors(into tensors: inout [String: TensorData]) -> State {
        var criticAdams: [Adam.State] = []
        for i in critics.indices {
            let key = checkpointKey(ofNet: i)
            critics[i].saveTensors(prefix: "critic.\(key).", into: &tensors)
            targets[i].saveTensors(prefix: "critic_target.\(key).", into: &tensors)
            criticAdams.append(criticOptimizers[i].saveTensors(layout: critics[i].layout, prefix: "optim.critic.\(key).", into: &tensors))
        }
        var actorAdam: Adam.State? = nil
        if let target = actorTarget, let optimizer = actorOptimizer {
            target.saveTensors(prefix: "actor_target.", into: &tensors)
            actorAdam = optimizer.saveTensors(layout: actor.layout, prefix: "optim.actor.", into: &tensors)
        }
        return State(
            settings: settings, batchCapacity: batchCapacity, totalSteps: totalSteps, criticsChecked: criticsChecked,
            aliveFractions: aliveFractions, redraws: redraws, warnings: warnings, criticOptimizers: criticAdams,
            actorOptimizer: actorAdam, buffer: buffer.saveTensors(prefix: "buffer.", into: &tensors))
    }

    /// Builds the agent `saved` describes over `actor` (whose weights the caller restored) and fills
    /// it from `reader`: every tensor `saveTensors` wrote for that state is required, with its dtype
    /// and shape. The caller calls `reader.requireAllUsed()` once it has read its own tensors too.
    public static func restore(
        _ saved: State, actor: TrainableModel, from reader: inout CheckpointReader
    ) throws(CheckpointMismatch) -> RLAgent {
        var building = saved.settings
        building.batchSize = saved.batchCapacity
        var scratch = RandomGenerator(seed: 0)
        let agent: RLAgent
        do {
            agent = try RLAgent(actor: actor, settings: building, rng: &scratch)
            try agent.update { $0 = saved.settings }
        } catch {
            throw CheckpointMismatch("the saved RL settings do not build the critics: \(error)")
        }
        guard saved.criticOptimizers.count == agent.critics.count else {
            throw CheckpointMismatch("the configuration has \(saved.criticOptimizers.count) critic optimisers for \(agent.critics.count) "
                                     + "\(saved.settings.criticStructure.rawValue) critic network(s)")
        }
        for i in agent.critics.indices {
            let key = agent.checkpointKey(ofNet: i)
            try agent.critics[i].restoreTensors(prefix: "critic.\(key).", from: &reader)
            try agent.targets[i].restoreTensors(prefix: "critic_target.\(key).", from: &reader)
            try agent.criticOptimizers[i].restore(saved.criticOptimizers[i], layout: agent.critics[i].layout,
                                                  prefix: "optim.critic.\(key).", from: &reader, name: "critic \(key)")
        }
        if let actorAdam = saved.actorOptimizer {
            do { try agent.makeActorTarget() } catch { throw CheckpointMismatch("cannot rebuild the target actor: \(error)") }
            try agent.actorTarget!.restoreTensors(prefix: "actor_target.", from: &reader)
            try agent.actorOptimizer!.restore(actorAdam, layout: actor.layout, prefix: "optim.actor.", from: &reader, name: "actor")
        }
        try agent.buffer.restore(saved.buffer, cardinalities: agent.criticConfig.cardinalities, prefix: "buffer.", from: &reader)
        guard saved.totalSteps >= 0, saved.redraws >= 0,
              saved.aliveFractions.isEmpty || saved.aliveFractions.count == agent.taskCount else {
            throw CheckpointMismatch("the saved RL state does not fit the rebuilt agent: "
                                     + "invalid 'checkpoint': the saved RL progress does not fit this agent")
        }
        agent.totalSteps = saved.totalSteps
        agent.criticsChecked = saved.criticsChecked
        agent.aliveFractions = saved.aliveFractions
        agent.redraws = saved.redraws
        agent.warnings = saved.warnings
        return agent
    }

    // MARK: - The whole agent in one file

    /// `config` of `checkpoint(rng:dataFingerprint:)`.
    private struct Saved: Codable {
        var actor: ModelConfig
        var actorCapacity: Int
        var threads: Int
        var agent: State
    }

    /// The whole agent as a checkpoint: the actor's weights as `actor.<param>`, every tensor of
    /// `saveTensors`, `rng`'s state as `rng` (so training continues bit for bit), and as `config`
    /// the actor's configuration, batch capacity and thread count with the agent's `State`. Write
    /// it with `Checkpoint.write(to:)`.
    public func checkpoint(rng: RandomGenerator, dataFingerprint: String = "") throws -> Checkpoint {
        var tensors: [String: TensorData] = ["rng": rng.stateTensor]
        actor.saveTensors(prefix: "actor.", into: &tensors)
        let saved = Saved(actor: actor.modelConfig!, actorCapacity: actor.capacity, threads: actor.threads,
                          agent: saveTensors(into: &tensors))
        let config = String(decoding: try Checkpoint.configEncoder.encode(saved), as: UTF8.self)
        return Checkpoint(tensors: tensors, dataFingerprint: dataFingerprint, config: config)
    }

    /// The agent (actor included) `checkpoint(rng:dataFingerprint:)` saved, on `threads` threads
    /// (default: as saved; results repeat bit for bit only with the same count), and `rng` set to
    /// the saved random state. Read the file with `Checkpoint.read(path:expectedFingerprint:)`,
    /// which checks its structure, version and digest. Nothing changes unless every check passes.
    public static func restore(
        from checkpoint: Checkpoint, threads: Int? = nil, rng: inout RandomGenerator
    ) throws(CheckpointMismatch) -> RLAgent {
        let saved: Saved
        do { saved = try Checkpoint.configDecoder.decode(Saved.self, from: Data(checkpoint.config.utf8)) } catch {
            throw CheckpointMismatch("the checkpoint's configuration (metadata 'config') is unreadable: \(error)")
        }
        var reader = CheckpointReader(checkpoint.tensors)
        guard let restoredRNG = RandomGenerator(stateTensor: try reader.tensor("rng", .u64, [4])) else {
            throw CheckpointMismatch("tensor 'rng' is not a random-generator state")
        }
        let actor = try TrainableModel.restore(saved.actor, batchCapacity: saved.actorCapacity, threads: threads ?? saved.threads,
                                               prefix: "actor.", from: &reader)
        let agent = try restore(saved.agent, actor: actor, from: &reader)
        try reader.requireAllUsed()
        rng = restoredRNG
        return agent
    }
}

import Foundation

/// The RL stage of RMTL around one pretrained actor (rmtl-reference.md §3): the replay buffer,
/// the per-task critics and their targets, critic training with the actor frozen, the
/// critic-weighted fine-tuning loss (`RLAgent+RMTLLoss.swift`) and the DDPG baseline
/// (`RLAgent+DDPG.swift`).
///
/// A `.rmtl` session drives it as:
/// ```
/// let agent = try RLAgent(actor: model, settings: settings, rng: &rng)       // critic …
/// try agent.warmUp(on: splits.train, rng: &rng)                               //   (fills the buffer)
/// try agent.trainCritic(rng: &rng) { print($0) }                              // train critic
/// try agent.fineTune(train: …, validation: …, config: …, lambda: 0.7, rng: &rng) // train rmtl lambda=0.7
/// try agent.trainDDPG(validation: …, epochs: 1, rng: &rng)                    // train ddpg
/// print(agent.summary)                                                        // show model
/// ```
/// Everything random draws from the `rng` passed in. `RLAgent+Checkpoint.swift` saves and restores
/// all state (weights, targets, optimiser moments, buffer, step count).
public final class RLAgent: @unchecked Sendable {
    public private(set) var settings: RMTLSettings
    /// The online actor (a multi-task model). Frozen during critic training; fine-tuning and DDPG
    /// change it in place.
    public let actor: TrainableModel
    public let criticConfig: CriticConfig
    public let taskCount: Int
    /// `.independent`: one network per task (one head each); `.shared`: one network with a head per task.
    public let critics: [TrainableModel]
    public let targets: [TrainableModel]
    public let criticOptimizers: [Adam]
    /// The target actor, created by DDPG; nil while the actor is frozen (the target then equals
    /// the actor: the code's soft update of a never-updated actor is a no-op, §3.5 step 7).
    public internal(set) var actorTarget: TrainableModel?
    public internal(set) var actorOptimizer: Adam?
    public let buffer: ReplayBuffer
    /// The agent's `total_step`: soft updates happen when it is a multiple of `updatePeriod`.
    public var totalSteps = 0
    /// Per task, the latest fraction of sampled buffer pairs with a live critic unit (z > 0).
    public internal(set) var aliveFractions: [Double] = []
    /// Redraws the `init=live` guard made.
    public internal(set) var redraws = 0
    /// Warnings raised so far (dead critics), newest last.
    public internal(set) var warnings: [RLWarning] = []
    public internal(set) var criticsChecked = false

    let batch: TransitionBatch
    let tableOffsets: [Int], tableRows: Int
    let shardCapacity: Int
    let partActions: [Activation], partGradients: [Activation], partQ: [Activation]

    /// Builds the critics (and targets) for `actor`, with the actor's embedding size, MLP sizes and
    /// dropout unless `criticConfig` is given. The critics' embeddings start from the actor's table.
    public init(
        actor: TrainableModel, settings: RMTLSettings, criticConfig: CriticConfig? = nil, rng: inout RandomGenerator
    ) throws {
        try settings.validate()
        guard let model = actor.modelConfig else {
            throw ConfigurationError(parameter: "actor", .mismatch(.actorNotMultiTask))
        }
        var config = criticConfig ?? CriticConfig(cardinalities: model.cardinalities, numericCount: model.numericCount)
        if criticConfig == nil {
            config.embedDim = model.embedDim
            config.bottom = model.bottom
            config.tower = model.tower
            config.dropout = model.dropout
            config.freezesPaddingRow = model.freezesPaddingRow
        }
        guard config.cardinalities == model.cardinalities, config.numericCount == model.numericCount else {
            throw ConfigurationError(parameter: "critic", .mismatch(.criticFields))
        }
        self.settings = settings
        self.actor = actor
        self.criticConfig = config
        taskCount = model.taskCount
        let capacity = max(settings.batchSize, actor.capacity)
        let netCount = settings.criticStructure == .independent ? taskCount : 1
        try RLAgent.admitMemory(model: model, settings: settings, capacity: capacity, netCount: netCount, threads: actor.threads)
        func build(_ rng: inout RandomGenerator) throws -> TrainableModel {
            switch settings.criticStructure {
            case .independent:
                return try TrainableModel(batchCapacity: capacity, threads: actor.threads, group: actor.group, rng: &rng) { Critic(config, &$0) }
            case .shared:
                let k = model.taskCount
                return try TrainableModel(batchCapacity: capacity, threads: actor.threads, group: actor.group, rng: &rng) { SharedCritic(config, taskCount: k, &$0) }
            }
        }
        var critics: [TrainableModel] = []
        for i in 0..<netCount {
            if i > 0 && settings.criticsStartIdentical {
                var scratch = RandomGenerator(seed: 0)
                let c = try build(&scratch)
                c.values.copy(from: critics[0].values.array)
                critics.append(c)
            } else {
                critics.append(try build(&rng))
            }
        }
        guard critics[0].threads == actor.threads else {
            throw ConfigurationError(parameter: "threads", .mismatch(.threads(actor: actor.threads)))
        }
        self.critics = critics
        var scratch = RandomGenerator(seed: 0)
        targets = try critics.map { _ in try build(&scratch) }
        criticOptimizers = critics.map {
            Adam(count: $0.values.count, learningRate: settings.criticLearningRate, weightDecay: settings.criticWeightDecay)
        }
        buffer = ReplayBuffer(capacity: settings.bufferCapacity, fieldCount: model.cardinalities.count,
                              numericCount: model.numericCount, taskCount: model.taskCount)
        batch = TransitionBatch(capacity: settings.batchSize, fieldCount: model.cardinalities.count,
                                numericCount: model.numericCount, taskCount: model.taskCount)
        var running = 0
        tableOffsets = model.cardinalities.map { c in defer { running += c }; return running }
        tableRows = running
        shardCapacity = (capacity + actor.threads - 1) / actor.threads
        partActions = (0..<actor.threads).map { _ in Activation(capacity: (capacity + actor.threads - 1) / actor.threads, columns: model.taskCount) }
        partGradients = (0..<actor.threads).map { _ in Activation(capacity: (capacity + actor.threads - 1) / actor.threads, columns: model.taskCount) }
        partQ = (0..<actor.threads).map { _ in Activation(capacity: (capacity + actor.threads - 1) / actor.threads, columns: model.taskCount) }
        for i in critics.indices {
            try copyActorEmbedding(into: i)
            targets[i].values.copy(from: critics[i].values.array)
        }
    }

    /// Changes settings after construction. The critics' structure, the buffer capacity and the
    /// batch capacity are fixed when the agent is built; changing them here is refused.
    public func update(_ change: (inout RMTLSettings) -> Void) throws {
        var s = settings
        change(&s)
        try s.validate()
        if s.criticStructure != settings.criticStructure {
            throw ConfigurationError(parameter: "critic", .fixedOnceBuilt)
        }
        if s.bufferCapacity != settings.bufferCapacity {
            throw ConfigurationError(parameter: "memory", .fixedOnceBuilt)
        }
        if s.batchSize > batch.capacity {
            throw ConfigurationError(parameter: "batch", .aboveCapacity(value: s.batchSize, capacity: batch.capacity, of: .agent))
        }
        settings = s
    }

    // MARK: - Structure

    /// Which network and which of its heads score task `k`.
    func head(ofTask k: Int) -> (net: Int, column: Int) {
        settings.criticStructure == .independent ? (k, 0) : (0, k)
    }

    /// Tasks served by network `i`.
    func tasks(ofNet i: Int) -> Range<Int> {
        settings.criticStructure == .independent ? i..<(i + 1) : 0..<taskCount
    }

    /// The actions network `i` scores: task i's column, or all columns for the shared critic.
    func actions(_ all: Matrix, forNet i: Int) -> Matrix {
        settings.criticStructure == .independent ? all.columns(i, 1) : all
    }

    func copyActorEmbedding(into i: Int) throws {
        guard settings.criticEmbeddingFromActor else { return }
        // Single-Task keeps a table per task; critic i takes its task's table.
        let name = actor.layout.slot(named: "embedding.embedding.weight") != nil
            ? "embedding.embedding.weight" : "embedding.\(tasks(ofNet: i).lowerBound).embedding.weight"
        guard let table = actor.tensor(named: name) else {
            throw ConfigurationError(parameter: "critic", .mismatch(.embeddingTable(name)))
        }
        try critics[i].setTensor("embedding.embedding.weight", table)
    }

    /// One line per setting and the state of the stage (`show model`).
    public var summary: String {
        let nets = critics.map { "\($0.parameterCount)" }.joined(separator: " + ")
        let alive = aliveFractions.isEmpty ? "not measured" : aliveFractions.map { String(format: "%.3f", $0) }.joined(separator: ", ")
        return """
            \(settings.description)
              critics: \(critics.count) network(s), \(nets) parameters; buffer \(buffer.count)/\(buffer.capacity); steps \(totalSteps)
              alive fraction per task: \(alive)\(redraws > 0 ? " (\(redraws) redraws)" : "")
            """
    }

    // MARK: - Replay buffer

    /// Fills the buffer with `episodes` (default `settings.warmupEpisodes`) episodes of `data`'s
    /// session MDP, acting as `settings.warmupPolicy` says.
    @discardableResult
    public func warmUp(on data: Dataset, episodes: Int? = nil, rng: inout RandomGenerator) throws -> WarmupReport {
        guard data.cardinalities == criticConfig.cardinalities, data.taskCount == taskCount,
              data.numericCount == criticConfig.numericCount else {
            throw ConfigurationError(parameter: "data", .mismatch(.datasetShape))
        }
        let predictions = settings.warmupPolicy == .actor ? actor.predict(data) : nil
        return try buffer.warmUp(SessionMDP(data), data: data, settings: settings, predictions: predictions,
                                 episodes: episodes ?? settings.warmupEpisodes, rng: &rng)
    }
}

extension RLAgent {
    /// Refuses, before anything is allocated, critics, targets, a replay buffer and a batch that
    /// would not fit in the memory available: `memory=` (the buffer) or `batch=` is blamed,
    /// whichever takes more.
    static func admitMemory(model: ModelConfig, settings: RMTLSettings, capacity: Int, netCount: Int, threads: Int) throws(ResourceError) {
        var critic = ModelConfig(kind: .sharedbottom, cardinalities: model.cardinalities, numericCount: model.numericCount,
                                 taskCount: settings.criticStructure == .shared ? model.taskCount : 1)
        critic.embedDim = model.embedDim
        critic.bottom = model.bottom
        critic.tower = model.tower
        // critics and their targets
        let networks = 2 * Double(netCount) * critic.estimatedBytes(batchCapacity: capacity, threads: threads)
        // states, next states, actions, labels, rewards and done flags of one transition
        let perTransition = 4 * (2 * Double(model.cardinalities.count + model.numericCount) + 3 * Double(model.taskCount) + 1)
        let buffer = Double(settings.bufferCapacity) * perTransition
        let batch = Double(settings.batchSize) * perTransition
        try ResourceError.admit(networks + buffer + batch, available: Machine.availableMemory,
                                parameter: buffer >= networks + batch ? "memory" : "batch",
                                what: "the critics, their targets, the replay buffer and the RL batch")
    }
}

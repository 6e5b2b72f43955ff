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
/// Everything random draws from the `rng` passed in; all state (weights, targets, optimiser
/// moments, buffer, step count) is public for checkpoints.
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
    public private(set) var aliveFractions: [Double] = []
    /// Redraws the `init=live` guard made.
    public private(set) var redraws = 0
    /// Warnings raised so far (dead critics), newest last.
    public private(set) var warnings: [String] = []
    public private(set) var criticsChecked = false

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
            throw ConfigurationError(parameter: "actor", message: "the RL stage needs a multi-task model as its actor")
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
            throw ConfigurationError(parameter: "critic", message: "the critic's fields must be the actor's")
        }
        self.settings = settings
        self.actor = actor
        self.criticConfig = config
        taskCount = model.taskCount
        let capacity = max(settings.batchSize, actor.capacity)
        let netCount = settings.criticStructure == .independent ? taskCount : 1
        func build(_ rng: inout RandomGenerator) throws -> TrainableModel {
            switch settings.criticStructure {
            case .independent:
                return try TrainableModel(batchCapacity: capacity, threads: actor.threads, rng: &rng) { Critic(config, &$0) }
            case .shared:
                let k = model.taskCount
                return try TrainableModel(batchCapacity: capacity, threads: actor.threads, rng: &rng) { SharedCritic(config, taskCount: k, &$0) }
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
            throw ConfigurationError(parameter: "threads", message: "the critics need as many threads as the actor (\(actor.threads))")
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
            throw ConfigurationError(parameter: "critic", message: "the critic structure is fixed once the critics exist; build a new agent")
        }
        if s.bufferCapacity != settings.bufferCapacity {
            throw ConfigurationError(parameter: "memory", message: "the buffer capacity is fixed once the buffer exists")
        }
        if s.batchSize > batch.capacity {
            throw ConfigurationError(parameter: "batch", message: "the RL batch can shrink but not grow past \(batch.capacity)")
        }
        settings = s
    }

    /// Puts back the bookkeeping a checkpoint saves besides the tensors (critics, targets, actor
    /// target), the optimisers' moments (`Adam.restore`) and the buffer (`ReplayBuffer.restore`).
    public func restoreProgress(
        totalSteps: Int, criticsChecked: Bool, aliveFractions: [Double], redraws: Int, warnings: [String] = []
    ) throws {
        guard totalSteps >= 0, redraws >= 0, aliveFractions.isEmpty || aliveFractions.count == taskCount else {
            throw ConfigurationError(parameter: "checkpoint", message: "the saved RL progress does not fit this agent")
        }
        self.totalSteps = totalSteps
        self.criticsChecked = criticsChecked
        self.aliveFractions = aliveFractions
        self.redraws = redraws
        self.warnings = warnings
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

    private func copyActorEmbedding(into i: Int) throws {
        guard settings.criticEmbeddingFromActor else { return }
        // Single-Task keeps a table per task; critic i takes its task's table.
        let name = actor.layout.slot(named: "embedding.embedding.weight") != nil
            ? "embedding.embedding.weight" : "embedding.\(tasks(ofNet: i).lowerBound).embedding.weight"
        guard let table = actor.tensor(named: name) else {
            throw ConfigurationError(parameter: "critic", message: "the actor has no embedding table '\(name)' to copy")
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
            throw ConfigurationError(parameter: "data", message: "the dataset's fields or tasks differ from the actor's")
        }
        let predictions = settings.warmupPolicy == .actor ? actor.predict(data) : nil
        return try buffer.warmUp(SessionMDP(data), data: data, settings: settings, predictions: predictions,
                                 episodes: episodes ?? settings.warmupEpisodes, rng: &rng)
    }

    // MARK: - Dead-critic guard

    /// Per task, the fraction of (evenly spaced) buffer pairs `(s, a_k)` whose critic pre-activation
    /// `z` is positive, with dropout off and the same input transform as critic training. A dead
    /// pair (`z ≤ 0`) has `Q = 0` and passes no gradient.
    public func measureAliveFractions() -> [Double] {
        let n = min(buffer.count, settings.aliveSampleSize)
        guard n > 0 else { return [Double](repeating: .nan, count: taskCount) }
        var alive = [Int](repeating: 0, count: taskCount)
        let all = (0..<n).map { $0 * buffer.count / n }
        var start = 0
        var unused = RandomGenerator(seed: 0)
        let z = batch.scratch.matrix(rows: batch.capacity)
        while start < n {
            let rows = min(batch.capacity, n - start)
            batch.gather(buffer, Array(all[start..<(start + rows)]))
            if settings.normalizesStates { normalizeStates(current: true) }
            for i in critics.indices {
                let zi = z.prefix(rows: rows)
                critics[i].forwardShards(batch.state(actions: actions(batch.actions, forNet: i)), isTraining: false, rng: &unused) {
                    part, range, _ in
                    let logits = (self.critics[i].replica(part) as! ActionValueNetwork).logits(rows: range.count)
                    for r in 0..<range.count { for h in 0..<logits.columns { zi[range.lowerBound + r, h] = logits[r, h] } }
                }
                for (h, k) in tasks(ofNet: i).enumerated() {
                    for r in 0..<rows where zi[r, h] > 0 { alive[k] += 1 }
                }
            }
            start += rows
        }
        return alive.map { Double($0) / Double(n) }
    }

    /// Measures the alive fractions; with `init=live`, redraws every critic network whose worst
    /// head is below `liveThreshold` (new draws from `rng`, the actor's embedding copied again),
    /// up to `maxRedraws` times, then throws `DeadCriticError`. Warns below `aliveWarning`.
    @discardableResult
    public func checkCritics(rng: inout RandomGenerator) throws -> [Double] {
        guard buffer.count > 0 else {
            throw ConfigurationError(parameter: "critic", message: "the replay buffer is empty; warm it up before checking the critics")
        }
        var fractions = measureAliveFractions()
        if settings.criticInit == .live {
            for i in critics.indices {
                var tries = 0
                while tasks(ofNet: i).map({ fractions[$0] }).min()! < settings.liveThreshold {
                    if tries == settings.maxRedraws {
                        throw DeadCriticError(task: tasks(ofNet: i).lowerBound, aliveFraction: tasks(ofNet: i).map { fractions[$0] }.min()!,
                                              redraws: tries, threshold: settings.liveThreshold)
                    }
                    critics[i].redraw(rng: &rng)
                    try copyActorEmbedding(into: i)
                    targets[i].values.copy(from: critics[i].values.array)
                    tries += 1
                    redraws += 1
                    fractions = measureAliveFractions()
                }
            }
        }
        aliveFractions = fractions
        criticsChecked = true
        warnIfDead(fractions, when: "after initialisation")
        return fractions
    }

    private func warnIfDead(_ fractions: [Double], when: String) {
        for (k, f) in fractions.enumerated() where f < settings.aliveWarning {
            let percent = String(format: "%.1f", 100 * f)
            warnings.append("warning: the critic of task \(k) is nearly dead \(when): \(percent)% of buffer pairs have z > 0 "
                            + "(Q = −ReLU(z) passes no gradient there); hint: init=live redraws it")
        }
    }

    // MARK: - Critic training

    /// Epochs of critic updates over the buffer with the actor frozen (§3.5, §3.6): `buffer.count /
    /// batchSize` steps each, `criticEpochs` of them, or fewer with `criticConverges`. Checks the
    /// critics first (dead-critic guard) if not yet done.
    @discardableResult
    public func trainCritic(
        epochs: Int? = nil, rng: inout RandomGenerator, onEpoch: (CriticEpochReport) -> Void = { _ in }
    ) throws -> [CriticEpochReport] {
        let b = settings.batchSize
        guard buffer.count >= b else {
            throw ConfigurationError(parameter: "batch", message:
                "the replay buffer holds \(buffer.count) transitions, fewer than one batch of \(b); run more warm-up episodes or lower batch=")
        }
        if !criticsChecked { try checkCritics(rng: &rng) }
        let steps = max(1, buffer.count / b)
        var reports: [CriticEpochReport] = []
        var calm = 0
        for epoch in 1...(epochs ?? settings.criticEpochs) {
            let start = DispatchTime.now().uptimeNanoseconds
            var lossSum = 0.0, qSum = 0.0
            for step in 0..<steps {
                try Interrupt.check()
                let (loss, q) = tdUpdate(rows: b, target: settings.tdTarget, normalizes: settings.normalizesStates,
                                         noise: settings.nextActionNoise, rng: &rng)
                guard loss.isFinite else { throw NonFiniteLossError(epoch: epoch, step: step + 1, loss: loss) }
                if totalSteps % settings.updatePeriod == 0 { softUpdateCritics() }
                totalSteps += 1
                lossSum += loss
                qSum += q
            }
            aliveFractions = measureAliveFractions()
            let sampleLoss = measureTDLoss()
            let before = warnings.count
            warnIfDead(aliveFractions, when: "after epoch \(epoch)")
            let report = CriticEpochReport(
                epoch: epoch, steps: steps, tdLoss: lossSum / Double(steps), sampleTDLoss: sampleLoss, meanQ: qSum / Double(steps),
                aliveFractions: aliveFractions, warnings: Array(warnings[before...]),
                seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            if let last = reports.last {
                let change = abs(report.tdLoss - last.tdLoss) / max(abs(last.tdLoss), 1e-12)
                calm = change < settings.convergenceEpsilon ? calm + 1 : 0
            }
            reports.append(report)
            onEpoch(report)
            if settings.criticConverges && calm >= settings.convergenceTrials { break }
        }
        return reports
    }

    /// The Bellman error on a fixed, evenly spaced sample of the buffer, without updating anything:
    /// `mean_k mean (Q_k(s, a_k) − y_k)²` with `y` formed by the settings' TD rule, and dropout and
    /// next-action noise off, so the number is comparable across epochs (a diagnostic; the epoch
    /// reports carry the training-batch loss).
    public func measureTDLoss() -> Double {
        let n = min(buffer.count, settings.aliveSampleSize)
        guard n > 0 else { return .nan }
        let all = (0..<n).map { $0 * buffer.count / n }
        var unused = RandomGenerator(seed: 0)
        var total = 0.0, start = 0
        while start < n {
            let rows = min(batch.capacity, n - start)
            batch.gather(buffer, Array(all[start..<(start + rows)]))
            if settings.normalizesStates { normalizeStates(current: true); normalizeStates(current: false) }
            let nextActions = batch.nextActions.matrix(rows: rows)
            (actorTarget ?? actor).forward(batch.nextState(actions: nil), isTraining: false, rng: &unused, into: nextActions)
            let qBar = batch.scratch.matrix(rows: rows), qOnline = batch.scratch2.matrix(rows: rows)
            let q = batch.targets.matrix(rows: rows)
            for i in critics.indices {
                let cols = tasks(ofNet: i)
                let next = batch.nextState(actions: actions(nextActions, forNet: i))
                targets[i].forward(next, isTraining: false, rng: &unused, into: qBar.columns(cols.lowerBound, cols.count))
                critics[i].forward(next, isTraining: false, rng: &unused, into: qOnline.columns(cols.lowerBound, cols.count))
                critics[i].forward(batch.state(actions: actions(batch.actions, forNet: i)), isTraining: false, rng: &unused,
                                   into: q.columns(cols.lowerBound, cols.count))
            }
            let rewards = batch.rewards.matrix(rows: rows)
            for r in 0..<rows {
                for k in 0..<taskCount {
                    let y = RLAgent.tdTarget(reward: rewards[r, k], isDone: batch.done[r], gamma: settings.gamma, target: qBar[r, k],
                                             online: settings.tdTarget == .minimum ? qOnline[r, k] : nil)
                    let d = Double(q[r, k] - y)
                    total += d * d
                }
            }
            start += rows
        }
        return total / Double(n * taskCount)
    }

    /// `target ← τ·online + (1 − τ)·target` for every critic (and the target actor if it exists).
    public func softUpdateCritics() {
        for (t, c) in zip(targets, critics) { softUpdate(target: t.values, online: c.values, tau: settings.tau) }
    }

    /// One TD step on every critic (§3.5): sample `rows` transitions, form
    /// `y_k = r_k + γ·(1 − done)·Q̄_k(s′, a′_k)` (or the min of target and online critic), with
    /// `a′ = actor_target(s′) + ε`, then one Adam step per critic network on the MSE. Returns the TD
    /// loss (mean over tasks of the batch-mean squared error) and the mean Q(s, a).
    func tdUpdate(rows b: Int, target: TDTarget, normalizes: Bool, noise: Float, rng: inout RandomGenerator) -> (Double, Double) {
        batch.gather(buffer, buffer.sample(b, rng: &rng))
        if normalizes { normalizeStates(current: true); normalizeStates(current: false) }
        let nextActions = batch.nextActions.matrix(rows: b)
        (actorTarget ?? actor).forward(batch.nextState(actions: nil), isTraining: false, rng: &rng, into: nextActions)
        if noise > 0 {
            // One draw per task per batch, shared by the rows (DDPG_ESMM_BC.py:59, 65-67).
            for k in 0..<taskCount {
                let e = min(max(rng.nextNormal() * noise, -settings.nextActionNoiseClip), settings.nextActionNoiseClip)
                for r in 0..<b { nextActions[r, k] += e }
            }
        }
        let y = batch.targets.matrix(rows: b), qBar = batch.scratch.matrix(rows: b), qOnline = batch.scratch2.matrix(rows: b)
        for i in critics.indices {
            let input = batch.nextState(actions: actions(nextActions, forNet: i))
            let cols = tasks(ofNet: i)
            targets[i].forward(input, isTraining: settings.criticDropoutInTarget, rng: &rng, into: qBar.columns(cols.lowerBound, cols.count))
            if target == .minimum {
                critics[i].forward(input, isTraining: settings.criticDropoutInTarget, rng: &rng,
                                   into: qOnline.columns(cols.lowerBound, cols.count))
            }
        }
        let rewards = batch.rewards.matrix(rows: b)
        for r in 0..<b {
            let isDone = batch.done[r]
            for k in 0..<taskCount {
                y[r, k] = RLAgent.tdTarget(reward: rewards[r, k], isDone: isDone, gamma: settings.gamma,
                                           target: qBar[r, k], online: target == .minimum ? qOnline[r, k] : nil)
            }
        }
        var loss = 0.0, qSum = 0.0
        let sums = PerPart([Double](repeating: 0, count: actor.threads))
        for i in critics.indices {
            let cols = tasks(ofNet: i), yi = y.columns(cols.lowerBound, cols.count)
            for p in 0..<sums.count { sums[p] = 0 }
            let l = critics[i].accumulateGradients(batch.state(actions: actions(batch.actions, forNet: i)), isTraining: true, rng: &rng) {
                part, range, q, dq in
                let (l, s) = tdSquaredError(q, yi, range, b, dq)
                sums[part] = s
                return l
            }
            critics[i].applyGradients(criticOptimizers[i])
            loss += l * Double(cols.count)
            for p in 0..<sums.count { qSum += sums[p] }
        }
        return (loss / Double(taskCount), qSum / Double(b * taskCount))
    }

    /// The authors' batch z-score quirk (§3.5 step 2), in place on the current or next states:
    /// every state column is standardised within the batch, `(x − mean)/(std + 1e-3)` with the
    /// unbiased std (torch's default), and the id columns are truncated toward zero and used as ids.
    /// A negative id reaches into the previous field's rows of the shared table, as in PyTorch; ids
    /// that would leave the table (where PyTorch raises) are clamped to its first or last row.
    func normalizeStates(current: Bool) {
        let rows = batch.rows, f = batch.fieldCount
        let ids = current ? batch.ids : batch.nextIds
        let numeric = (current ? batch.numeric : batch.nextNumeric).matrix(rows: rows)
        for j in 0..<f {
            let column = (0..<rows).map { Float(ids[$0 * f + j]) }
            let mapped = RLAgent.zScoredIDs(column, offset: tableOffsets[j], tableRows: tableRows)
            for r in 0..<rows { ids[r * f + j] = mapped[r] }
        }
        for c in 0..<numeric.columns {
            let z = RLAgent.batchZScore((0..<rows).map { numeric[$0, c] })
            for r in 0..<rows { numeric[r, c] = z[r] }
        }
    }
}

extension RLAgent {
    /// `(x − mean)/(std + 1e-3)` over one batch column, with torch's unbiased std (0 for one row).
    public static func batchZScore(_ x: [Float]) -> [Float] {
        let n = x.count
        guard n > 0 else { return [] }
        let mean = x.reduce(0.0) { $0 + Double($1) } / Double(n)
        let ss = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
        let std = n > 1 ? (ss / Double(n - 1)).squareRoot() : 0
        return x.map { Float((Double($0) - mean) / (std + 1e-3)) }
    }

    /// One id column after the quirk: z-scored in the batch, truncated toward zero, and read as
    /// ids of the field whose rows start at `offset` in a shared table of `tableRows` rows. A
    /// negative id lands in an earlier field's rows as in PyTorch; one that would leave the table
    /// (where PyTorch raises) is clamped to its first or last row.
    public static func zScoredIDs(_ ids: [Float], offset: Int, tableRows: Int) -> [Int32] {
        let low = Float(-offset), high = Float(tableRows - 1 - offset)
        return batchZScore(ids).map { Int32(min(max($0.rounded(.towardZero), low), high)) }
    }
}

extension RLAgent {
    /// The TD target of one transition and task: `y = r + γ·(1 − done)·Q̄(s′, a′)` with the target
    /// critic's value (paper), or `min(Q̄, Q)(s′, a′)` when the online critic's `online` value is
    /// given (the authors' code, §3.5 step 5).
    @inline(__always)
    public static func tdTarget(reward: Float, isDone: Float, gamma: Float, target: Float, online: Float?) -> Float {
        let next = online.map { min(target, $0) } ?? target
        return reward + gamma * (1 - isDone) * next
    }

    /// The fine-tuning weight of one sample and task (§3.8): `1 − λ·Q` (RMTL), `constant` (CW),
    /// `1 − λ·y·Q` (WL) or `−Q` (NLC).
    @inline(__always)
    public static func lossWeight(_ weighting: LossWeighting, lambda: Float, q: Float, label y: Float, constant: Float) -> Float {
        switch weighting {
        case .critic: return 1 - lambda * q
        case .constant: return constant
        case .label: return 1 - lambda * y * q
        case .negativeQ: return -q
        }
    }
}

/// `mean_k mean_b (q − y)²` over a shard and its gradient `2(q − y)/(B·K)`; also the shard's Σ q.
func tdSquaredError(_ q: Matrix, _ y: Matrix, _ rows: Range<Int>, _ batchRows: Int, _ dq: Matrix) -> (Double, Double) {
    let k = q.columns
    let scale = 2 / Float(batchRows * k)
    var total = 0.0, sum = 0.0
    for r in 0..<q.rows {
        for c in 0..<k {
            let d = q[r, c] - y[rows.lowerBound + r, c]
            total += Double(d * d)
            dq[r, c] = scale * d
            sum += Double(q[r, c])
        }
    }
    return (total / Double(batchRows * k), sum)
}

/// What one critic epoch did.
public struct CriticEpochReport: Sendable, Codable {
    public var epoch: Int
    public var steps: Int
    /// Mean over steps of the TD loss (mean over tasks of the batch MSE).
    public var tdLoss: Double
    /// `RLAgent.measureTDLoss()` after the epoch: the Bellman error on a fixed buffer sample.
    public var sampleTDLoss: Double
    /// Mean over steps of the mean Q(s, a) on the training batches (dropout on).
    public var meanQ: Double
    /// Per task, after the epoch.
    public var aliveFractions: [Double]
    public var warnings: [String]
    public var seconds: Double
}

/// `init=live` could not find a live critic.
public struct DeadCriticError: Error, CustomStringConvertible {
    public let task: Int
    public let aliveFraction: Double
    public let redraws: Int
    public let threshold: Double
    public var description: String {
        String(format: "the critic of task %d stayed dead after %d redraws: %.1f%% of buffer pairs alive, %.0f%% needed; "
               + "hint: use init=faithful to keep it anyway, or lower live=", task, redraws, 100 * aliveFraction, 100 * threshold)
    }
}

/// One sampled batch of transitions as the networks read them.
final class TransitionBatch: @unchecked Sendable {
    let capacity: Int, fieldCount: Int, taskCount: Int
    let ids: UnsafeMutablePointer<Int32>, nextIds: UnsafeMutablePointer<Int32>
    let numeric: Activation, nextNumeric: Activation
    let actionBuffer: Activation, nextActions: Activation, rewards: Activation, targets: Activation
    let scratch: Activation, scratch2: Activation
    var done: [Float]
    private(set) var rows = 0

    init(capacity: Int, fieldCount: Int, numericCount: Int, taskCount: Int) {
        self.capacity = capacity
        self.fieldCount = fieldCount
        self.taskCount = taskCount
        ids = .allocate(capacity: max(capacity * fieldCount, 1))
        nextIds = .allocate(capacity: max(capacity * fieldCount, 1))
        numeric = Activation(capacity: capacity, columns: numericCount)
        nextNumeric = Activation(capacity: capacity, columns: numericCount)
        actionBuffer = Activation(capacity: capacity, columns: taskCount)
        nextActions = Activation(capacity: capacity, columns: taskCount)
        rewards = Activation(capacity: capacity, columns: taskCount)
        targets = Activation(capacity: capacity, columns: taskCount)
        scratch = Activation(capacity: capacity, columns: taskCount)
        scratch2 = Activation(capacity: capacity, columns: taskCount)
        done = [Float](repeating: 0, count: capacity)
    }

    deinit { ids.deallocate(); nextIds.deallocate() }

    var actions: Matrix { actionBuffer.matrix(rows: rows) }

    func gather(_ buffer: ReplayBuffer, _ indices: [Int]) {
        precondition(indices.count <= capacity)
        rows = indices.count
        let f = fieldCount, n = numeric.columns, k = taskCount
        let num = numeric.matrix(rows: rows), nextNum = nextNumeric.matrix(rows: rows)
        let a = actionBuffer.matrix(rows: rows), rw = rewards.matrix(rows: rows)
        for (r, i) in indices.enumerated() {
            for j in 0..<f {
                ids[r * f + j] = buffer.states[i * f + j]
                nextIds[r * f + j] = buffer.nextStates[i * f + j]
            }
            for j in 0..<n {
                num[r, j] = buffer.stateNumeric[i * n + j]
                nextNum[r, j] = buffer.nextNumeric[i * n + j]
            }
            for t in 0..<k {
                a[r, t] = buffer.actions[i * k + t]
                rw[r, t] = buffer.rewards[i * k + t]
            }
            done[r] = buffer.done[i]
        }
    }

    func state(actions: Matrix?) -> BatchInput {
        BatchInput(ids: ids, fieldCount: fieldCount, numeric: numeric.matrix(rows: rows), actions: actions)
    }

    func nextState(actions: Matrix?) -> BatchInput {
        BatchInput(ids: nextIds, fieldCount: fieldCount, numeric: nextNumeric.matrix(rows: rows), actions: actions)
    }
}

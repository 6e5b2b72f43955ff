import Foundation

/// Critic training with the actor frozen (rmtl-reference.md §3.5, §3.6).
extension RLAgent {

    /// Epochs of critic updates over the buffer with the actor frozen (§3.5, §3.6): `buffer.count /
    /// batchSize` steps each, `criticEpochs` of them, or fewer with `criticConverges`. Checks the
    /// critics first (dead-critic guard) if not yet done.
    @discardableResult
    public func trainCritic(
        epochs: Int? = nil, rng: inout RandomGenerator, onEpoch: (CriticEpochReport) -> Void = { _ in }
    ) throws -> [CriticEpochReport] {
        let b = settings.batchSize
        guard buffer.count >= b else {
            throw ConfigurationError(parameter: "batch", .bufferBelowBatch(transitions: buffer.count, batch: b))
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
                let (loss, q) = criticStep(rng: &rng)
                guard loss.isFinite else { throw NonFiniteLossError(epoch: epoch, step: step + 1, loss: loss) }
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

    /// One step of critic training (what `trainCritic` repeats, and `rmtl bench --model critic-update`
    /// times): a TD update of every critic on a sampled batch with the settings' rule, then the soft
    /// update when `totalSteps` is a multiple of `updatePeriod`. Returns the TD loss and mean Q.
    func criticStep(rng: inout RandomGenerator) -> (Double, Double) {
        let result = tdUpdate(rows: settings.batchSize, target: settings.tdTarget, normalizes: settings.normalizesStates,
                              noise: settings.nextActionNoise, rng: &rng)
        if totalSteps % settings.updatePeriod == 0 { softUpdateCritics() }
        totalSteps += 1
        return result
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
        // a′ = actor(s′) once per distinct s′ (the actor runs without dropout, so equal states get
        // equal actions), then gathered to the rows.
        let distinct = batch.distinctNext
        distinct.find(batch.nextState(actions: nil))
        let distinctActions = batch.distinctActions.matrix(rows: distinct.count)
        (actorTarget ?? actor).forward(distinct.input, isTraining: false, rng: &rng, into: distinctActions)
        for r in 0..<b {
            let from = distinctActions.row(Int(distinct.index[r]))
            for k in 0..<taskCount { nextActions[r, k] = from[k] }
        }
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
            critics[i].group.allgather(sums.pointer, count: sums.count)
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
    public var warnings: [RLWarning]
    public var seconds: Double
}

import Foundation

/// The D-PLE / DDPG baseline (rmtl-reference.md §3.7, `DDPG_wESMMAgent.update`): per step a TD
/// update of the critics with the *target critic only* and no state normalisation, then — once
/// `totalSteps > actorWarmupSteps` and on every `actorUpdatePeriod`-th step — one actor step on
///
/// ```
/// J(θ) = −(1/B)·Σ_b Σ_k Q_k(s_b, π_k(s_b; θ))
/// ```
/// whose gradient reaches the actor through the critics' action input (dQ/da), followed by the soft
/// update of the target critics and the target actor (only after an actor step). The actor's
/// dropout is off (the authors' actor is a deep copy of the eval-mode pretrained model).
extension RLAgent {
    /// What one DDPG epoch did.
    public struct DDPGEpochReport: Sendable, Codable {
        public var epoch: Int
        public var steps: Int
        public var actorSteps: Int
        public var tdLoss: Double
        /// Mean over actor steps of `−J = mean_b Σ_k Q_k(s, π(s))`.
        public var meanPolicyQ: Double
        public var validation: [TaskMetrics]
        /// Per task, the actor's mean predicted probability on `validation` and the label rate there:
        /// calibration, which AUC ignores and logloss punishes (docs/results.md, "D-PLE's logloss").
        public var meanPredictions: [Double]
        public var labelRates: [Double]
        public var meanAUC: Double
        public var isBest: Bool
        public var seconds: Double
    }

    /// Runs `epochs` DDPG epochs (`buffer.count / batchSize` steps each), evaluating the actor on
    /// `validation` after each and keeping the best epoch's weights (the starting weights compete
    /// with `settings.keepBest`).
    @discardableResult
    public func trainDDPG(
        validation: Dataset, epochs: Int, rng: inout RandomGenerator, onEpoch: (DDPGEpochReport) -> Void = { _ in }
    ) throws -> [DDPGEpochReport] {
        let b = settings.batchSize
        guard epochs >= 1 else { throw ConfigurationError(parameter: "epochs", .belowMinimum(value: epochs, minimum: 1)) }
        guard buffer.count >= b else {
            throw ConfigurationError(parameter: "batch", .bufferBelowBatch(transitions: buffer.count, batch: b))
        }
        guard b <= actor.capacity else {
            throw ConfigurationError(parameter: "batch", .aboveCapacity(value: b, capacity: actor.capacity, of: .actor))
        }
        if actorTarget == nil { try makeActorTarget() }
        var best = -Double.infinity
        var bestValues: [Float]? = nil
        if settings.keepBest {
            best = meanAUC(actor.evaluate(on: validation))
            bestValues = actor.values.array
        }
        var side = RandomGenerator(seed: rng.state.1 ^ 0x2545_F491_4F6C_DD1D)
        let streams = PerPart((0..<actor.threads).map { _ in side.split() })
        let steps = max(1, buffer.count / b)
        var reports: [DDPGEpochReport] = []
        for epoch in 1...epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            var lossSum = 0.0, policySum = 0.0, actorSteps = 0
            for step in 0..<steps {
                try Interrupt.check()
                let (loss, _) = tdUpdate(rows: b, target: .target, normalizes: false, noise: 0, rng: &rng)
                guard loss.isFinite else { throw NonFiniteLossError(epoch: epoch, step: step + 1, loss: loss) }
                lossSum += loss
                if totalSteps > settings.actorWarmupSteps && (totalSteps + 1) % settings.actorUpdatePeriod == 0 {
                    let j = actorStep(rows: b, streams: streams, rng: &rng)
                    guard j.isFinite else { throw NonFiniteLossError(epoch: epoch, step: step + 1, loss: j) }
                    policySum -= j
                    actorSteps += 1
                    softUpdateCritics()
                    softUpdate(target: actorTarget!.values, online: actor.values, tau: settings.tau)
                }
                totalSteps += 1
            }
            let predictions = actor.predict(validation)
            let metrics = RMTL.evaluate(predictions: predictions, on: validation)
            let mean = meanAUC(metrics)
            let improved = mean > best || bestValues == nil
            if improved { best = mean; bestValues = actor.values.array }
            let report = DDPGEpochReport(
                epoch: epoch, steps: steps, actorSteps: actorSteps, tdLoss: lossSum / Double(steps),
                meanPolicyQ: actorSteps > 0 ? policySum / Double(actorSteps) : .nan, validation: metrics,
                meanPredictions: predictions.map { $0.reduce(0.0) { $0 + Double($1) } / Double(max($0.count, 1)) },
                labelRates: validation.labels.map { $0.reduce(0.0) { $0 + Double($1) } / Double(max($0.count, 1)) }, meanAUC: mean,
                isBest: improved, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            reports.append(report)
            onEpoch(report)
        }
        if let bestValues { actor.values.copy(from: bestValues) }
        return reports
    }

    /// Creates the target actor (a copy of the actor) and the actor's Adam, as the first
    /// `trainDDPG` does; a checkpoint restore calls it before copying the saved values in.
    public func makeActorTarget() throws {
        var scratch = RandomGenerator(seed: 0)
        let target = try TrainableModel(actor.modelConfig!, batchCapacity: actor.capacity, threads: actor.threads, group: actor.group, rng: &scratch)
        target.values.copy(from: actor.values.array)
        actorTarget = target
        actorOptimizer = Adam(count: actor.values.count, learningRate: settings.actorLearningRate, weightDecay: 0)
    }

    /// One actor step on the batch `tdUpdate` just sampled (raw states): returns J.
    func actorStep(rows b: Int, streams: PerPart<RandomGenerator>, rng: inout RandomGenerator) -> Double {
        let input = batch.state(actions: nil)
        let dropout = settings.criticDropoutAtUse
        let j = actor.accumulateGradients(input, isTraining: false, rng: &rng) { part, range, p, dp in
            policyGradient(input.rows(range.lowerBound, range.count), predictions: p, batchRows: b, part: part,
                           isTraining: dropout, rng: &streams.pointer[part], dPredictions: dp)
        }
        actor.applyGradients(actorOptimizer!)
        return j
    }

    /// For one shard: `J = −(1/B)·Σ_rows Σ_k Q_k(s, p_k)` and `dJ/dp` into `dp`, by a backward pass
    /// through each critic with `dJ/dQ = −1/B` (the critics' parameter gradients this leaves in
    /// their replica slabs are discarded: every critic step zeroes them first).
    func policyGradient(
        _ input: BatchInput, predictions p: Matrix, batchRows b: Int, part: Int, isTraining: Bool,
        rng: inout RandomGenerator, dPredictions dp: Matrix
    ) -> Double {
        let n = input.rows
        let a = partActions[part].matrix(rows: n)
        for r in 0..<n { for t in 0..<taskCount { a[r, t] = p[r, t] } }
        var total = 0.0
        for i in critics.indices {
            let net = critics[i].replica(part) as! ActionValueNetwork
            let scored = input.with(actions: actions(a, forNet: i))
            let q = net.forward(scored, isTraining: isTraining, rng: &rng)
            let dq = partGradients[part].matrix(rows: n).columns(0, net.headCount)
            for r in 0..<n { for h in 0..<net.headCount { total += Double(q[r, h]); dq[r, h] = -1 / Float(b) } }
            net.backward(scored, dOutput: dq)
            let g = net.actionGradient(rows: n)
            for (h, t) in tasks(ofNet: i).enumerated() { for r in 0..<n { dp[r, t] = g[r, h] } }
        }
        return -total / Double(b)
    }
}

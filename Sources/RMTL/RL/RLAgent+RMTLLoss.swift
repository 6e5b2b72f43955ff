/// The RMTL loss (rmtl-reference.md §3.8): fine-tune the actor from its current (pretrained)
/// weights with a fresh Adam, weighting each sample's and task's BCE by the frozen critic:
///
/// ```
/// w_k = 1 − λ·Q_k(s, ŷ_k)        ŷ = this forward's prediction, Q not differentiated (Q ≤ 0, so w ≥ 1)
/// L   = (1/K)·Σ_k mean_b(w_k · BCE(ŷ_k, y_k))
/// ```
/// Ablations (`settings.weighting`): constant `w`, label-weighted `w = 1 − λ·y·Q`, and `w = −Q`.
/// `lambda = 0` is the control: the same extra fine-tuning without the critic, bit-identical to
/// plain BCE training from the same weights and seed.
extension RLAgent {
    /// Fine-tunes `actor` on `train` with the critic-weighted loss and the supervised trainer's early
    /// stopping on `validation`. `lambda` overrides `settings.lambda`. With `settings.keepBest` the
    /// pretrained weights compete on validation; otherwise at least one fine-tuned epoch is kept
    /// (the authors' stopper starts at 0).
    @discardableResult
    public func fineTune(
        train: Dataset, validation: Dataset, config: TrainConfig, lambda: Float? = nil, rng: inout RandomGenerator,
        onEpoch: (EpochReport) -> Void = { _ in }, onStep: (Int, Int, Double) -> Void = { _, _, _ in }
    ) throws -> [EpochReport] {
        let lambda = lambda ?? settings.lambda
        guard lambda.isFinite else {
            throw SettingError.outOfRange(key: "lambda", value: .real(Double(lambda)), domain: RMTLSettings.setting("lambda")!.domain)
        }
        guard config.batchSize <= shardCapacity * actor.threads else {
            throw ConfigurationError(parameter: "batch", .aboveCapacity(value: config.batchSize, capacity: shardCapacity * actor.threads, of: .critics))
        }
        let weighting = settings.weighting
        let usesCritic = weighting == .negativeQ || ((weighting == .critic || weighting == .label) && lambda != 0)
        // The critics' dropout masks draw from their own per-thread streams, derived without
        // advancing `rng`, so λ = 0 trains on exactly the bits plain training would.
        var side = RandomGenerator(seed: rng.state.0 ^ 0x5851_F42D_4C95_7F2D)
        let streams = PerPart((0..<actor.threads).map { _ in side.split() })
        let current = BatchBox()
        let constant = settings.constantWeight, dropout = settings.criticDropoutAtUse
        let context = UncheckedSendable(self)
        var trainer = SupervisedTrainer(config: config)
        trainer.startingWeightsCompete = settings.keepBest
        trainer.willTrain = { current.batch = $0 }
        trainer.loss = { part, rows, p, labels, batchRows, dp in
            let agent = context.value
            let n = rows.count, k = p.columns
            let q = agent.partQ[part].matrix(rows: n)
            if usesCritic {
                let input = current.batch!.input.rows(rows.lowerBound, n)
                agent.criticValues(input, predictions: p, part: part, isTraining: dropout, rng: &streams.pointer[part], into: q)
            }
            let scale = 1 / Float(batchRows * k)
            var total = 0.0
            for r in 0..<n {
                for t in 0..<k {
                    let y = labels[rows.lowerBound + r, t]
                    // Without the critic (λ = 0) the weight is exactly 1, so the loss is plain BCE bit for bit.
                    let w: Float = usesCritic || weighting == .constant
                        ? RLAgent.lossWeight(weighting, lambda: lambda, q: q[r, t], label: y, constant: constant) : 1
                    total += Double(w * binaryCrossEntropy(p[r, t], y))
                    dp[r, t] = w * binaryCrossEntropyGradient(p[r, t], y) * scale
                }
            }
            return total / Double(batchRows * k)
        }
        return try trainer.train(actor, train: train, validation: validation, rng: &rng, onEpoch: onEpoch, onStep: onStep)
    }

    /// `Q_k(s, a_k)` for every task of one shard, with shard `part`'s critic replicas; `q` is (rows, K).
    /// The actions are copied first, so `predictions` may be any view.
    func criticValues(
        _ input: BatchInput, predictions p: Matrix, part: Int, isTraining: Bool, rng: inout RandomGenerator, into q: Matrix
    ) {
        let n = input.rows
        let a = partActions[part].matrix(rows: n)
        for r in 0..<n { for t in 0..<taskCount { a[r, t] = p[r, t] } }
        for i in critics.indices {
            let net = critics[i].replica(part)
            let out = net.forward(input.with(actions: actions(a, forNet: i)), isTraining: isTraining, rng: &rng)
            for (h, t) in tasks(ofNet: i).enumerated() { for r in 0..<n { q[r, t] = out[r, h] } }
        }
    }

    /// Q of the actor's own predictions on `data` (dropout off): `result[task][row]`, for reports.
    public func criticValues(on data: Dataset) -> [[Float]] {
        let predictions = actor.predict(data)
        var result = [[Float]](repeating: [Float](repeating: 0, count: data.rowCount), count: taskCount)
        let batch = Batch(capacity: shardCapacity, fieldCount: data.fieldCount, numericCount: data.numericCount, taskCount: taskCount)
        let p = Activation(capacity: shardCapacity, columns: taskCount), q = Activation(capacity: shardCapacity, columns: taskCount)
        var unused = RandomGenerator(seed: 0)
        var start = 0
        while start < data.rowCount {
            let n = min(shardCapacity, data.rowCount - start)
            batch.gather(data, Array(start..<(start + n))[...])
            let pm = p.matrix(rows: n), qm = q.matrix(rows: n)
            for r in 0..<n { for t in 0..<taskCount { pm[r, t] = predictions[t][start + r] } }
            criticValues(batch.input, predictions: pm, part: 0, isTraining: false, rng: &unused, into: qm)
            for r in 0..<n { for t in 0..<taskCount { result[t][start + r] = qm[r, t] } }
            start += n
        }
        return result
    }
}

/// The batch the supervised trainer is about to train on, for the loss closure.
final class BatchBox: @unchecked Sendable {
    var batch: Batch?
}

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

/// Adam exactly as PyTorch's `torch.optim.Adam` (not AdamW): weight decay is L2 added to the
/// gradient, `g ← g + wd·θ`, then
/// `m ← m + (1−β₁)(g − m)`, `v ← β₂v + (1−β₂)g²`, `θ ← θ − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε)`,
/// with the bias corrections computed in Double as Python does.
///
/// **Lazy rows** (`embeddings=sparse`): for a table given as `RowGradients`, only the rows some
/// replica's shard looked up this step are updated, each with exactly the formula above (its L2
/// term included) and the common step count t; every other row of the table keeps its value *and*
/// both moments unchanged (no decay of m and v, no weight decay) until it is looked up again. This is
/// PyTorch's `SparseAdam` and TensorFlow's `LazyAdam` rule, with two stated differences from
/// `SparseAdam`: ε is added after the bias correction, as in `Adam` above (`SparseAdam` divides by
/// `√v + ε` and scales the step by `√(1−β₂ᵗ)`, i.e. its ε is `√(1−β₂ᵗ)` times this one), and weight
/// decay applies to touched rows (`SparseAdam` has none). So when every row but the padding row is
/// touched, a lazy step equals the dense one bit for bit, except that dense decays the never-touched
/// padding row when wd > 0.
///
/// The gradient is the sum of the replicas' gradients, added in replica order (deterministic). The
/// update is split across threads by fixed ranges of the slab and of the touched rows; it clears the
/// row gradients it read. `Adam+Checkpoint.swift` saves and restores the moments and scalars.
public final class Adam: @unchecked Sendable {
    public var learningRate: Float
    public var weightDecay: Float
    public let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    public internal(set) var step = 0
    package let m: FloatBuffer, v: FloatBuffer

    public init(count: Int, learningRate: Float, weightDecay: Float) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        m = FloatBuffer(count: count)
        v = FloatBuffer(count: count)
    }

    /// One step over `ranges` of the slab (default: all of it; the rest is left untouched) and the
    /// touched rows of `rowTables` (per table, its `RowGradients` of every replica in replica order;
    /// their ranges must not be in `ranges`).
    public func update(
        _ values: FloatBuffer, gradients: [FloatBuffer], threads: Int, ranges: [Range<Int>]? = nil,
        rowTables: [[RowGradients]] = []
    ) {
        step += 1
        let rule = Rule(
            stepSize: Float(Double(learningRate) / (1 - pow(Double(beta1), Double(step)))),
            correction2: Float((1 - pow(Double(beta2), Double(step))).squareRoot()),
            beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        let ranges = ranges ?? [0..<values.count]
        let n = ranges.reduce(0) { $0 + $1.count }
        let parts = max(1, min(threads, n / 65_536))
        let grads = UncheckedSendable(gradients.map { $0.base })
        let (p, mp, vp) = (UncheckedSendable(values.base), UncheckedSendable(m.base), UncheckedSendable(v.base))
        parallelFor(parts) { part in
            let p = p.value, m = mp.value, v = vp.value, grads = grads.value
            for whole in ranges {
                let piece = shard(whole.count, part: part, of: parts)
                for i in (whole.lowerBound + piece.lowerBound)..<(whole.lowerBound + piece.upperBound) {
                    var g = grads[0][i]
                    for r in 1..<grads.count { g += grads[r][i] }
                    rule.apply(g, p + i, m + i, v + i)
                }
            }
        }
        for table in rowTables { updateRows(table, values, rule, threads: threads) }
    }

    /// The lazy step of one table: each row some replica touched, once, with the replicas'
    /// gradients summed in replica order; then the row gradients are cleared.
    private func updateRows(_ replicas: [RowGradients], _ values: FloatBuffer, _ rule: Rule, threads: Int) {
        var touched: [Int32] = []
        for (r, own) in replicas.enumerated() {
            for row in own.rows where !replicas[..<r].contains(where: { $0.gradient(ofTouched: Int(row)) != nil }) {
                touched.append(row)
            }
        }
        let width = replicas[0].width, offset = replicas[0].offset
        let parts = max(1, min(threads, touched.count * width / 65_536))
        let (p, mp, vp) = (UncheckedSendable(values.base), UncheckedSendable(m.base), UncheckedSendable(v.base))
        let rows = UncheckedSendable(touched)
        parallelFor(parts) { part in
            let p = p.value, m = mp.value, v = vp.value
            for k in shard(rows.value.count, part: part, of: parts) {
                let row = Int(rows.value[k])
                let sources = replicas.compactMap { $0.gradient(ofTouched: row) }
                let start = offset + row * width
                for c in 0..<width {
                    var g: Float = 0
                    for source in sources { g += source[c] }
                    rule.apply(g, p + start + c, m + start + c, v + start + c)
                }
            }
        }
        for own in replicas { own.clear() }
    }

    /// One element's update with this step's constants.
    private struct Rule {
        let stepSize: Float, correction2: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float

        @inline(__always)
        func apply(_ gradient: Float, _ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>) {
            let g = gradient + weightDecay * p.pointee
            m.pointee += (1 - beta1) * (g - m.pointee)
            v.pointee = beta2 * v.pointee + (1 - beta2) * g * g
            p.pointee -= stepSize * m.pointee / (v.pointee.squareRoot() / correction2 + epsilon)
        }
    }
}

@_silgen_name("pow") private func pow(_ x: Double, _ y: Double) -> Double

/// Adam exactly as PyTorch's `torch.optim.Adam` (not AdamW): weight decay is L2 added to the
/// gradient, `g ← g + wd·θ`, then
/// `m ← m + (1−β₁)(g − m)`, `v ← β₂v + (1−β₂)g²`, `θ ← θ − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε)`,
/// with the bias corrections computed in Double as Python does.
///
/// The gradient is the sum of the replicas' gradient slabs, added in replica order (deterministic).
/// The update is split across threads by fixed ranges of the slab. `Adam+Checkpoint.swift` saves
/// and restores the moments and scalars.
public final class Adam: @unchecked Sendable {
    public var learningRate: Float
    public var weightDecay: Float
    public let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    public internal(set) var step = 0
    let m: FloatBuffer, v: FloatBuffer

    public init(count: Int, learningRate: Float, weightDecay: Float) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        m = FloatBuffer(count: count)
        v = FloatBuffer(count: count)
    }

    /// One step over `ranges` of the slab (default: all of it); the rest is left untouched.
    public func update(_ values: FloatBuffer, gradients: [FloatBuffer], threads: Int, ranges: [Range<Int>]? = nil) {
        step += 1
        let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), Double(step))))
        let correction2 = Float((1 - pow(Double(beta2), Double(step))).squareRoot())
        let ranges = ranges ?? [0..<values.count]
        let n = ranges.reduce(0) { $0 + $1.count }
        let parts = max(1, min(threads, n / 65_536))
        let grads = UncheckedSendable(gradients.map { $0.base })
        let (p, mp, vp) = (UncheckedSendable(values.base), UncheckedSendable(m.base), UncheckedSendable(v.base))
        let (b1, b2, eps, wd) = (beta1, beta2, epsilon, weightDecay)
        parallelFor(parts) { part in
            let p = p.value, m = mp.value, v = vp.value, grads = grads.value
            for whole in ranges {
                let piece = shard(whole.count, part: part, of: parts)
                for i in (whole.lowerBound + piece.lowerBound)..<(whole.lowerBound + piece.upperBound) {
                    var g = grads[0][i]
                    for r in 1..<grads.count { g += grads[r][i] }
                    g += wd * p[i]
                    m[i] += (1 - b1) * (g - m[i])
                    v[i] = b2 * v[i] + (1 - b2) * g * g
                    p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2 + eps)
                }
            }
        }
    }
}

@_silgen_name("pow") private func pow(_ x: Double, _ y: Double) -> Double

extension TrainableModel {
    /// Forward only over `input`, cut into the same fixed shards as `accumulateGradients`, one per
    /// replica, all of them on every process (`forEachShard`); `body(part, rows, output)` runs on
    /// shard `part`'s thread, while `replica(part)` holds the shard's activations, and must copy
    /// what it needs.
    /// With `isTraining` (dropout on) each shard draws from its own `rng.split()`; without, `rng`
    /// is untouched.
    func forwardShards(
        _ input: BatchInput, isTraining: Bool, rng: inout RandomGenerator, _ body: (Int, Range<Int>, Matrix) -> Void
    ) {
        precondition(input.rows <= capacity, "batch of \(input.rows) rows exceeds capacity \(capacity)")
        let parts = min(threads, input.rows)
        guard parts > 0 else { return }
        var rngs = isTraining ? (0..<parts).map { _ in rng.split() } : [RandomGenerator](repeating: RandomGenerator(seed: 0), count: parts)
        rngs.withUnsafeMutableBufferPointer { pointer in
            let shared = UncheckedSendable(pointer)
            forEachShard(parts) { part in
                let range = shard(input.rows, part: part, of: parts)
                let out = self.replica(part).forward(
                    input.rows(range.lowerBound, range.count), isTraining: isTraining, rng: &shared.value[part])
                body(part, range, out)
            }
        }
    }

    /// `forwardShards` in chunks of at most `capacity` rows, writing the outputs into `output`
    /// (input.rows, outputCount).
    func forward(_ input: BatchInput, isTraining: Bool, rng: inout RandomGenerator, into output: Matrix) {
        var start = 0
        while start < input.rows {
            let n = min(capacity, input.rows - start)
            let offset = start
            forwardShards(input.rows(start, n), isTraining: isTraining, rng: &rng) { _, range, out in
                for r in 0..<out.rows { output.row(offset + range.lowerBound + r).update(from: out.row(r), count: out.columns) }
            }
            start += n
        }
    }

    /// Draws fresh initial weights into the values slab (PyTorch's distributions), as at construction.
    func redraw(rng: inout RandomGenerator) {
        values.zero()
        layout.initialize(values.base, rng: &rng)
    }

    /// The values of the tensor named `name`, if it exists.
    func tensor(named name: String) -> [Float]? {
        guard let slot = layout.slot(named: name) else { return nil }
        return Array(UnsafeBufferPointer(start: values.base + slot.offset, count: slot.count))
    }
}

/// Polyak averaging, `target ← τ·online + (1 − τ)·target`, elementwise over a whole slab.
///
/// This is the authors' code (DDPG_ESMM.py:244-253, τ = 0.2: the target keeps 80% of itself). The
/// translated paper writes `θ̃ ← β·θ̃ + (1 − β)·θ` with β = 0.2, which would keep only 20%
/// (rmtl-reference.md §8.4); to get that form, pass `tau = 1 − β`. `1 − τ` is formed in Double and
/// rounded once, as Python's `(1 - tau)` times a float32 tensor is.
public func softUpdate(target: FloatBuffer, online: FloatBuffer, tau: Float) {
    precondition(target.count == online.count)
    let keep = Float(1 - Double(tau))
    let t = target.base, o = online.base
    for i in 0..<target.count { t[i] = tau * o[i] + keep * t[i] }
}

/// Per-thread values that worker shards read and write by index (each shard owns its slot).
final class PerPart<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    let count: Int
    init(_ values: [T]) {
        count = values.count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(from: values, count: count)
    }
    deinit { pointer.deinitialize(count: count); pointer.deallocate() }
    subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }
}

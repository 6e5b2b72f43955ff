/// Each categorical field's distinct ids in one shard, for `FieldFactoredLinear`: per field, the
/// number of distinct ids, each row's index among them (ascending id order) and the first row of each.
/// Found by sorting (id, row) pairs, so it costs O(rows log rows) a field and no memory that grows
/// with the vocabulary.
public final class FieldGroups {
    public let fieldCount: Int
    public let capacity: Int
    public private(set) var rows = 0
    /// Distinct ids of field `j` in the shard.
    public private(set) var counts: [Int]
    /// (fieldCount, capacity), field-major: row r's index among its field's distinct ids.
    let slots: UnsafeMutablePointer<Int32>
    /// (fieldCount, capacity), field-major: the first row holding each distinct id.
    let firstRows: UnsafeMutablePointer<Int32>
    private let keys: UnsafeMutablePointer<UInt64>

    public init(fieldCount: Int, capacity: Int) {
        self.fieldCount = fieldCount
        self.capacity = capacity
        counts = [Int](repeating: 0, count: fieldCount)
        slots = .allocate(capacity: max(1, fieldCount * capacity))
        firstRows = .allocate(capacity: max(1, fieldCount * capacity))
        keys = .allocate(capacity: max(1, capacity))
    }

    deinit {
        slots.deallocate()
        firstRows.deallocate()
        keys.deallocate()
    }

    /// Groups the rows of `batch` by id, field by field.
    public func find(_ batch: BatchInput) {
        precondition(batch.fieldCount == fieldCount && batch.rows <= capacity)
        rows = batch.rows
        for j in 0..<fieldCount {
            for r in 0..<rows {
                keys[r] = UInt64(UInt32(bitPattern: batch.ids[r * fieldCount + j])) << 32 | UInt64(r)
            }
            var sorted = UnsafeMutableBufferPointer(start: keys, count: rows)
            sorted.sort()
            let slot = slots + j * capacity, first = firstRows + j * capacity
            var n = -1
            var previous = UInt64.max
            for i in 0..<rows {
                let id = keys[i] >> 32, r = Int(keys[i] & 0xFFFF_FFFF)
                if id != previous { n += 1; first[n] = Int32(r); previous = id }
                slot[r] = Int32(n)
            }
            counts[j] = n + 1
        }
    }

    /// Whether field `j` is computed over its distinct ids: only when they are at most 3/4 of the
    /// rows, where the saved GEMM work clearly outweighs the gathers and scatters it adds.
    @inline(__always) package func isFactored(_ j: Int) -> Bool { 4 * counts[j] <= 3 * rows }
}

/// A Linear whose input is a `FeatureEmbedding`'s output (one `embedDim` slot per categorical field,
/// then the dense slots: numeric, extra), computed field by field where ids repeat in the shard.
///
/// `y = x·Wᵀ + b` splits over the input slots: `y = b + Σ_j x_j·W_jᵀ`, and a field's slot `x_j` is
/// the table row of the row's id, so `x_j·W_jᵀ` takes only as many values as the field has distinct
/// ids in the shard. A field with few of them (`FieldGroups.isFactored`) gets the product
/// `P_j = E[ids_j]·W_jᵀ` once per distinct id, added to the rows that hold it; the other slots run as
/// one GEMM per run of adjacent slots. Backward sums `dy` per distinct id (`G_j`) first:
/// `dW_j += G_jᵀ·E[ids_j]` and the id's input gradient `G_j·W_j`. Equal to the dense layer up to
/// rounding order (the parity and gradient tests check it); with no field factored it is the dense
/// layer's exact call sequence.
///
/// **`dInput` of a factored field is per id, not per row:** each id's whole gradient sits on its
/// first row and the other rows of that id get 0 in that slot. The only reader of these slots is
/// `FeatureEmbedding.backward`, which adds every row into its id's table row, so the table gradient
/// is the same; the dense slots (numeric, extra) hold the true per-row gradient.
package final class FieldFactoredLinear {
    let linear: Linear
    let fieldCount: Int
    let embedDim: Int
    private let gathered: Activation     // (capacity, embedDim): one field's distinct embeddings
    private let products: Activation     // (capacity, out): P_j forward, G_j backward
    private let dGathered: Activation    // (capacity, embedDim): G_j·W_j
    /// Multiply-adds the last forward left out against the dense layer, ×2 (FLOPs).
    private(set) var savedFlops = 0.0

    package init(_ linear: Linear, fieldCount: Int, embedDim: Int, capacity: Int) {
        precondition(linear.inputCount >= fieldCount * embedDim && linear.inputCount % embedDim == 0)
        self.linear = linear
        self.fieldCount = fieldCount
        self.embedDim = embedDim
        gathered = Activation(capacity: capacity, columns: embedDim)
        products = Activation(capacity: capacity, columns: linear.outputCount)
        dGathered = Activation(capacity: capacity, columns: embedDim)
    }

    /// Runs of adjacent dense slots, as (first slot, slot count).
    private func denseRuns(_ groups: FieldGroups) -> [(Int, Int)] {
        var runs: [(Int, Int)] = []
        for s in 0..<(linear.inputCount / embedDim) where s >= fieldCount || !groups.isFactored(s) {
            if let last = runs.last, last.0 + last.1 == s { runs[runs.count - 1].1 += 1 } else { runs.append((s, 1)) }
        }
        return runs
    }

    /// Field `j`'s distinct embeddings (`n` rows), gathered from `x` at each id's first row.
    private func gather(_ x: Matrix, field j: Int, _ groups: FieldGroups) -> Matrix {
        let n = groups.counts[j], d = embedDim, first = groups.firstRows + j * groups.capacity
        let a = gathered.matrix(rows: n)
        for k in 0..<n { a.row(k).update(from: x.row(Int(first[k])) + j * d, count: d) }
        return a
    }

    package func forward(_ x: Matrix, groups: FieldGroups, into y: Matrix) {
        precondition(groups.rows == x.rows)
        let d = embedDim, w = linear.weightMatrix, out = linear.outputCount
        setRows(y, to: linear.bias.value)
        for (s, count) in denseRuns(groups) {
            gemm(x.columns(s * d, count * d), w.columns(s * d, count * d), transposeB: true, into: y, beta: 1)
        }
        savedFlops = 0
        for j in 0..<fieldCount where groups.isFactored(j) {
            let n = groups.counts[j], slot = groups.slots + j * groups.capacity
            let p = products.matrix(rows: n)
            gemm(gather(x, field: j, groups), w.columns(j * d, d), transposeB: true, into: p)
            for r in 0..<x.rows { add(p.row(Int(slot[r])), into: y.row(r), out) }
            savedFlops += 2 * Double((x.rows - n) * d * out)
        }
    }

    /// Adds the parameter gradients; `dInput` (+)= the input gradient, per id in factored slots
    /// (see the type's documentation).
    package func backward(input x: Matrix, groups: FieldGroups, dOutput dy: Matrix, dInput dx: Matrix?, accumulate: Bool) {
        let d = embedDim, w = linear.weightMatrix, dw = linear.weightGradient, out = linear.outputCount
        addColumnSums(of: dy, into: linear.bias.gradient)
        for (s, count) in denseRuns(groups) {
            gemm(dy, transposeA: true, x.columns(s * d, count * d), into: dw.columns(s * d, count * d), beta: 1)
            if let dx { gemm(dy, w.columns(s * d, count * d), into: dx.columns(s * d, count * d), beta: accumulate ? 1 : 0) }
        }
        for j in 0..<fieldCount where groups.isFactored(j) {
            let n = groups.counts[j], slot = groups.slots + j * groups.capacity, first = groups.firstRows + j * groups.capacity
            let g = products.matrix(rows: n)
            g.zero()
            for r in 0..<x.rows { add(dy.row(r), into: g.row(Int(slot[r])), out) }
            gemm(g, transposeA: true, gather(x, field: j, groups), into: dw.columns(j * d, d), beta: 1)
            guard let dx else { continue }
            let dj = dGathered.matrix(rows: n)
            gemm(g, w.columns(j * d, d), into: dj)
            let block = dx.columns(j * d, d)
            if !accumulate { block.zero() }
            for k in 0..<n { add(dj.row(k), into: block.row(Int(first[k])), d) }
        }
    }
}

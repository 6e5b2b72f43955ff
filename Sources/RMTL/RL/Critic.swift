/// Sizes of one RMTL critic; defaults are the authors' `CriticNeg` (rmtl-reference.md §3.4).
public struct CriticConfig: Sendable, Equatable, Codable {
    public var cardinalities: [Int]
    public var numericCount: Int
    public var embedDim = 128
    public var bottom = [512, 256]
    public var tower = [128, 64]
    public var dropout: Float = 0.2
    public var freezesPaddingRow = true

    public init(cardinalities: [Int], numericCount: Int) {
        self.cardinalities = cardinalities
        self.numericCount = numericCount
    }

    /// Width of the critic's input: field embeddings ⊕ numeric slot ⊕ action slot.
    public var inputWidth: Int { (cardinalities.count + 2) * embedDim }
}

/// One task's critic, the authors' `CriticNeg`: its own embedding of the state's fields, the numeric
/// fields through Linear(n, 128), the action through Linear(1, 128), concatenated (1152 wide at the
/// paper's sizes) → bottom MLP 512, 256 → tower 128, 64 → 1, and `Q = −ReLU(z) ≤ 0`.
///
/// Shapes: batch ids (rows, fields), numeric (rows, n), actions (rows, 1); output Q (rows, 1).
/// Names: `embedding.embedding.weight`, `numerical_layer.*`, `action_layer.*`, `bottom.mlp.*`,
/// `tower.mlp.*`.
public final class Critic: ActionValueNetwork, SplitFirstLayerCritic {
    public let config: CriticConfig
    let embedding: FeatureEmbedding
    let action: Linear
    let bottom: MLP
    let tower: MLP
    let q: Activation
    let dLogit: Activation, dBottom: Activation
    let dAction: Activation
    let firstLayer: CriticFirstLayer

    public init(_ c: CriticConfig, _ b: inout ModelBuilder) {
        config = c
        embedding = FeatureEmbedding(
            &b, cardinalities: c.cardinalities, embedDim: c.embedDim, numericCount: c.numericCount,
            freezesPaddingRow: c.freezesPaddingRow, extraSlots: 1)
        action = b.scoped("action_layer") { Linear(&$0, inputCount: 1, outputCount: c.embedDim) }
        bottom = b.scoped("bottom") { MLP(&$0, inputCount: c.inputWidth, hidden: c.bottom, dropout: c.dropout, hasOutputLayer: false) }
        tower = b.scoped("tower") { MLP(&$0, inputCount: c.bottom.last!, hidden: c.tower, dropout: c.dropout, hasOutputLayer: true) }
        q = Activation(capacity: b.capacity, columns: 1)
        dLogit = Activation(capacity: b.capacity, columns: 1)
        dBottom = Activation(capacity: b.capacity, columns: c.bottom.last!)
        dAction = Activation(capacity: b.capacity, columns: 1)
        firstLayer = CriticFirstLayer(c, capacity: b.capacity)
    }

    public var headCount: Int { 1 }
    public func logits(rows: Int) -> Matrix { tower.logits!.matrix(rows: rows) }
    public func actionGradient(rows: Int) -> Matrix { dAction.matrix(rows: rows) }

    public var outputCount: Int { 1 }

    public func forward(_ batch: BatchInput, isTraining: Bool, rng: inout RandomGenerator) -> Matrix {
        guard batch.actions != nil else { preconditionFailure("a critic scores actions: the batch has none") }
        firstLayer.forward(batch, embedding: embedding, action: action, bottom: bottom)
        let h = bottom.forwardFromFirstLayer(rows: batch.rows, isTraining: isTraining, rng: &rng)
        let z = tower.forward(h, isTraining: isTraining, rng: &rng)
        let out = q.matrix(rows: batch.rows)
        for r in 0..<batch.rows { out[r, 0] = -max(z[r, 0], 0) }
        return out
    }

    public func backward(_ batch: BatchInput, dOutput dq: Matrix) {
        let rows = batch.rows
        let z = tower.logits!.matrix(rows: rows), dz = dLogit.matrix(rows: rows)
        for r in 0..<rows { dz[r, 0] = z[r, 0] > 0 ? -dq[r, 0] : 0 }     // Q = −ReLU(z)
        let dh = dBottom.matrix(rows: rows)
        tower.backward(input: bottom.activations.last!.matrix(rows: rows), dOutput: dz, dInput: dh, accumulate: false)
        let dy = bottom.backwardToFirstLayer(rows: rows, dOutput: dh)
        firstLayer.backward(batch, dy: dy, embedding: embedding, action: action, bottom: bottom, dAction: dAction.matrix(rows: rows))
    }

    public var flopsPerRow: Double {
        bottom.flopsPerRow + tower.flopsPerRow + action.flopsPerRow + embedding.numeric.flopsPerRow
    }
}

/// A critic whose bottom's first layer runs as `CriticFirstLayer`, with one block of rows per head.
protocol SplitFirstLayerCritic: ActionValueNetwork {
    var config: CriticConfig { get }
    var firstLayer: CriticFirstLayer { get }
}

/// The bottom's first layer of a critic, in two parts that together equal the dense layer up to
/// float rounding order: `x·W₀ᵀ = [state embedding, numeric]·W_sᵀ + action_layer(a)·W_aᵀ`.
///
/// - State part (1024 of the 1152 input columns at the paper's sizes): computed once per distinct
///   state and gathered. Rows of a batch often share their state (the z-scored ids of the code's RL
///   stage take a handful of values, and an item recurs across sessions), and a critic that scores
///   one action per task for the same state (the paper's shared critic, its task blocks stacked as
///   (K·rows, ·)) uses it K times.
/// - Action part: the action layer is Linear(1, d), so it is rank one:
///   `action_layer(a)·W_aᵀ = a·(W_a·w)ᵀ + (W_a·b)ᵀ`, O(bottom[0]) per row instead of a GEMM.
///
/// Backward sums the rows' layer-0 gradients (over rows and blocks) per distinct state before the
/// state GEMMs. Block k of the stacked rows scores the actions' column k.
final class CriticFirstLayer {
    let states: DistinctStates
    let stateWidth: Int                // the state part's input columns: field embeddings ⊕ numeric
    let embedDim: Int
    let stateProduct: Activation       // (cap, bottom[0]): state part of layer 0, per distinct state
    let dStates: Activation            // (cap, bottom[0]): layer-0 gradient summed per distinct state
    let dEmbedding: Activation         // (cap, input width): per distinct state
    let actionDirection: Activation, actionOffset: Activation    // (1, bottom[0]): W_a·w, W_a·b + b₀
    let sumA: Activation, sumOne: Activation                      // (1, bottom[0]): Σ a·dy, Σ dy

    init(_ c: CriticConfig, capacity: Int) {
        states = DistinctStates(capacity: capacity, fieldCount: c.cardinalities.count, numericCount: c.numericCount)
        stateWidth = (c.cardinalities.count + 1) * c.embedDim
        embedDim = c.embedDim
        stateProduct = Activation(capacity: capacity, columns: c.bottom[0])
        dStates = Activation(capacity: capacity, columns: c.bottom[0])
        dEmbedding = Activation(capacity: capacity, columns: c.inputWidth)
        actionDirection = Activation(capacity: 1, columns: c.bottom[0])
        actionOffset = Activation(capacity: 1, columns: c.bottom[0])
        sumA = Activation(capacity: 1, columns: c.bottom[0])
        sumOne = Activation(capacity: 1, columns: c.bottom[0])
    }

    /// Writes the first layer's pre-activation of `bottom` for the `batch.actions.columns` blocks.
    func forward(_ batch: BatchInput, embedding: FeatureEmbedding, action: Linear, bottom: MLP) {
        let actions = batch.actions!, rows = batch.rows, blocks = actions.columns, d = embedDim, width = stateWidth
        states.find(batch)
        let u = states.count
        let e = embedding.forward(states.input)                 // (u, ·): one row per distinct state
        let first = bottom.layers[0], w = first.weightMatrix, h0 = first.outputCount
        let ys = stateProduct.matrix(rows: u)
        gemm(e.columns(0, width), w.columns(0, width), transposeB: true, into: ys)
        let direction = actionDirection.buffer.base, offset = actionOffset.buffer.base
        let aw = action.weight.value, ab = action.bias.value, b0 = first.bias.value
        for i in 0..<h0 {
            let wi = w.row(i) + width
            var dw: Float = 0, db: Float = 0
            for j in 0..<d { dw += wi[j] * aw[j]; db += wi[j] * ab[j] }
            direction[i] = dw
            offset[i] = db + b0[i]
        }
        let y = bottom.firstPreactivation(rows: blocks * rows)
        let index = states.index
        for k in 0..<blocks {
            for r in 0..<rows {
                let out = y.row(k * rows + r), from = ys.row(Int(index[r])), a = actions[r, k]
                for i in 0..<h0 { out[i] = from[i] + (offset[i] + a * direction[i]) }
            }
        }
    }

    /// Back from `dy`, the gradient of the stacked first pre-activation (blocks·rows, bottom[0]):
    /// accumulates the layer's, the action layer's and the embedding's parameter gradients, and
    /// writes d loss / d action (rows, blocks) into `dAction` (kept for DDPG's actor step).
    func backward(_ batch: BatchInput, dy: Matrix, embedding: FeatureEmbedding, action: Linear, bottom: MLP, dAction: Matrix) {
        let actions = batch.actions!, rows = batch.rows, blocks = actions.columns, d = embedDim, width = stateWidth
        let u = states.count
        let first = bottom.layers[0], w = first.weightMatrix, gw = first.weightGradient, h0 = first.outputCount
        // Action part, rank one: with e_a = a·w + b the action slot and g_r = dy_r·W_a,
        // dW_a = (Σ a·dy)⊗w + (Σ dy)⊗b, dw = W_aᵀ·Σ a·dy, db = W_aᵀ·Σ dy, and dQ/da = dy·(W_a·w).
        let sa = sumA.buffer.base, s1 = sumOne.buffer.base, direction = actionDirection.buffer.base
        sa.update(repeating: 0, count: h0)
        s1.update(repeating: 0, count: h0)
        addColumnSums(of: dy, into: s1)
        add(s1, into: first.bias.gradient, h0)
        for k in 0..<blocks {
            for r in 0..<rows {
                let g = dy.row(k * rows + r), a = actions[r, k]
                var dq: Float = 0
                for i in 0..<h0 { sa[i] += a * g[i]; dq += g[i] * direction[i] }
                dAction[r, k] = dq
            }
        }
        let aw = action.weight.value, ab = action.bias.value
        let awGradient = action.weight.gradient, abGradient = action.bias.gradient
        for i in 0..<h0 {
            let gi = gw.row(i) + width, wi = w.row(i) + width
            let x = sa[i], one = s1[i]
            for j in 0..<d {
                gi[j] += x * aw[j] + one * ab[j]
                awGradient[j] += wi[j] * x
                abGradient[j] += wi[j] * one
            }
        }
        // State part, per distinct state, summed over the blocks.
        let ds = dStates.matrix(rows: u)
        ds.zero()
        let index = states.index
        for k in 0..<blocks {
            for r in 0..<rows { add(dy.row(k * rows + r), into: ds.row(Int(index[r])), h0) }
        }
        gemm(ds, transposeA: true, embedding.output.matrix(rows: u).columns(0, width), into: gw.columns(0, width), beta: 1)
        let de = dEmbedding.matrix(rows: u)
        gemm(ds, w.columns(0, width), into: de.columns(0, width))
        embedding.backward(states.input, dOutput: de)
    }
}

/// A critic as the RL code uses it: actions (rows, headCount) in, Q (rows, headCount) out, one head
/// per task. After `forward`, `logits` holds the pre-activation `z` (Q = −ReLU(z); `z > 0` means the
/// unit is alive); after `backward`, `actionGradient` holds d loss / d action (rows, headCount).
public protocol ActionValueNetwork: Network {
    var headCount: Int { get }
    func logits(rows: Int) -> Matrix
    func actionGradient(rows: Int) -> Matrix
}

/// The distinct states (ids and numeric values, bit for bit) of a batch, in order of first
/// appearance: `index[r]` is row r's state, `input` the distinct states as a batch. Allocated once.
final class DistinctStates {
    let capacity: Int, fieldCount: Int, numericCount: Int
    let ids: UnsafeMutablePointer<Int32>
    let numeric: Activation
    let index: UnsafeMutablePointer<Int32>
    private let slots: UnsafeMutablePointer<Int32>
    private let mask: Int
    private(set) var count = 0

    init(capacity: Int, fieldCount: Int, numericCount: Int) {
        self.capacity = capacity
        self.fieldCount = fieldCount
        self.numericCount = numericCount
        ids = .allocate(capacity: max(capacity * fieldCount, 1))
        numeric = Activation(capacity: capacity, columns: numericCount)
        index = .allocate(capacity: max(capacity, 1))
        var size = 16
        while size < 2 * capacity { size *= 2 }
        mask = size - 1
        slots = .allocate(capacity: size)
    }

    deinit { ids.deallocate(); index.deallocate(); slots.deallocate() }

    var input: BatchInput { BatchInput(ids: ids, fieldCount: fieldCount, numeric: numeric.matrix(rows: count)) }

    func find(_ batch: BatchInput) {
        let rows = batch.rows, f = fieldCount, n = numericCount
        precondition(rows <= capacity)
        slots.update(repeating: -1, count: mask + 1)
        let num = batch.numeric, distinctNumeric = numeric.matrix(rows: capacity)
        count = 0
        for r in 0..<rows {
            let rowIds = batch.ids + r * f, rowNumeric = num.row(r)
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for j in 0..<f { h = (h ^ UInt64(UInt32(bitPattern: rowIds[j]))) &* 0x100_0000_01b3 }
            for j in 0..<n { h = (h ^ UInt64(rowNumeric[j].bitPattern)) &* 0x100_0000_01b3 }
            var slot = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
            while true {
                let s = Int(slots[slot])
                if s < 0 {
                    slots[slot] = Int32(count)
                    index[r] = Int32(count)
                    (ids + count * f).update(from: rowIds, count: f)
                    distinctNumeric.row(count).update(from: rowNumeric, count: n)
                    count += 1
                    break
                }
                if same(ids + s * f, rowIds, f) && same(distinctNumeric.row(s), rowNumeric, n) {
                    index[r] = Int32(s)
                    break
                }
                slot = (slot + 1) & mask
            }
        }
    }

    @inline(__always) private func same(_ a: UnsafePointer<Int32>, _ b: UnsafePointer<Int32>, _ n: Int) -> Bool {
        for j in 0..<n where a[j] != b[j] { return false }
        return true
    }

    @inline(__always) private func same(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Bool {
        for j in 0..<n where a[j].bitPattern != b[j].bitPattern { return false }
        return true
    }
}

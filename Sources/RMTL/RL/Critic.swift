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
public final class Critic: ActionValueNetwork {
    public let config: CriticConfig
    let embedding: FeatureEmbedding
    let action: Linear
    let bottom: MLP
    let tower: MLP
    let q: Activation
    let dLogit: Activation, dBottom: Activation, dEmbedding: Activation
    let dAction: Activation

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
        dEmbedding = Activation(capacity: b.capacity, columns: c.inputWidth)
        dAction = Activation(capacity: b.capacity, columns: 1)
    }

    public var headCount: Int { 1 }
    public func logits(rows: Int) -> Matrix { tower.logits!.matrix(rows: rows) }
    public func actionGradient(rows: Int) -> Matrix { dAction.matrix(rows: rows) }

    public var outputCount: Int { 1 }
    private var actionSlot: Int { (config.cardinalities.count + 1) * config.embedDim }

    public func forward(_ batch: BatchInput, isTraining: Bool, rng: inout RandomGenerator) -> Matrix {
        guard let actions = batch.actions else { preconditionFailure("a critic scores actions: the batch has none") }
        let e = embedding.forward(batch)
        action.forward(actions, into: e.columns(actionSlot, config.embedDim))
        let h = bottom.forward(e, isTraining: isTraining, rng: &rng)
        let z = tower.forward(h, isTraining: isTraining, rng: &rng)
        let out = q.matrix(rows: batch.rows)
        for r in 0..<batch.rows { out[r, 0] = -max(z[r, 0], 0) }
        return out
    }

    public func backward(_ batch: BatchInput, dOutput dq: Matrix) {
        let rows = batch.rows
        let z = tower.logits!.matrix(rows: rows), dz = dLogit.matrix(rows: rows)
        for r in 0..<rows { dz[r, 0] = z[r, 0] > 0 ? -dq[r, 0] : 0 }     // Q = −ReLU(z)
        let dh = dBottom.matrix(rows: rows), de = dEmbedding.matrix(rows: rows)
        tower.backward(input: bottom.activations.last!.matrix(rows: rows), dOutput: dz, dInput: dh, accumulate: false)
        bottom.backward(input: embedding.output.matrix(rows: rows), dOutput: dh, dInput: de, accumulate: false)
        // dQ/da = d(action slot) · W_action, kept for DDPG's actor step.
        action.backward(input: batch.actions!, dOutput: de.columns(actionSlot, config.embedDim),
                        dInput: dAction.matrix(rows: rows), accumulate: false)
        embedding.backward(batch, dOutput: de)
    }

    public var flopsPerRow: Double {
        bottom.flopsPerRow + tower.flopsPerRow + action.flopsPerRow + embedding.numeric.flopsPerRow
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

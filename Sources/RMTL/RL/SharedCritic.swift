/// The paper's critic (rmtl-reference.md §8.3; paper "Critic Network"): one network whose shared
/// bottom "transforms user-item features and action information simultaneously", with one tower
/// (the task's action-value head φ_k) per task.
///
/// rmtl's reading: the authors' `CriticNeg` input `[field embeddings, numeric, action layer(a_k)]`
/// (1152 wide at the paper's sizes) goes through the *shared* bottom MLP 512, 256 once per task
/// (the embedding, numeric layer, 1×128 action layer and bottom are shared), then task k's tower
/// 128, 64 → 1 and `Q_k = −ReLU(z_k) ≤ 0`. With nothing shared it would be the code's two critics.
///
/// Shapes: ids (rows, fields), numeric (rows, n), actions (rows, K); output Q (rows, K). The K task
/// blocks are stacked as (K·rows, width) so the bottom runs as one GEMM per layer; its first layer
/// (`CriticFirstLayer`) computes the state part once per distinct state for all K blocks and the
/// action part as a rank-one term, which equals the dense layer up to rounding order.
/// Names: `embedding.embedding.weight`, `numerical_layer.*`, `action_layer.*`, `bottom.mlp.*`,
/// `tower.{k}.mlp.*`.
public final class SharedCritic: ActionValueNetwork, SplitFirstLayerCritic {
    public let config: CriticConfig
    public let taskCount: Int
    let embedding: FeatureEmbedding
    let action: Linear
    let bottom: MLP
    let towers: [MLP]
    let firstLayer: CriticFirstLayer
    let q: Activation, z: Activation   // (cap, K)
    let dLogit: Activation             // (cap, 1)
    let dHidden: Activation            // (K·cap, bottom.last)
    let dAction: Activation            // (cap, K)

    public init(_ c: CriticConfig, taskCount: Int, _ b: inout ModelBuilder) {
        precondition(taskCount >= 1)
        config = c
        self.taskCount = taskCount
        let cap = b.capacity
        embedding = FeatureEmbedding(
            &b, cardinalities: c.cardinalities, embedDim: c.embedDim, numericCount: c.numericCount,
            freezesPaddingRow: c.freezesPaddingRow, extraSlots: 1)
        action = b.scoped("action_layer") { Linear(&$0, inputCount: 1, outputCount: c.embedDim) }
        b.capacity = cap * taskCount       // the bottom sees the K stacked blocks
        bottom = b.scoped("bottom") { MLP(&$0, inputCount: c.inputWidth, hidden: c.bottom, dropout: c.dropout, hasOutputLayer: false) }
        b.capacity = cap
        towers = (0..<taskCount).map { k in
            b.scoped("tower.\(k)") { MLP(&$0, inputCount: c.bottom.last!, hidden: c.tower, dropout: c.dropout, hasOutputLayer: true) }
        }
        firstLayer = CriticFirstLayer(c, capacity: cap)
        q = Activation(capacity: cap, columns: taskCount)
        z = Activation(capacity: cap, columns: taskCount)
        dLogit = Activation(capacity: cap, columns: 1)
        dHidden = Activation(capacity: cap * taskCount, columns: c.bottom.last!)
        dAction = Activation(capacity: cap, columns: taskCount)
    }

    public var outputCount: Int { taskCount }
    public var headCount: Int { taskCount }
    public func logits(rows: Int) -> Matrix { z.matrix(rows: rows) }
    public func actionGradient(rows: Int) -> Matrix { dAction.matrix(rows: rows) }

    public func forward(_ batch: BatchInput, isTraining: Bool, rng: inout RandomGenerator) -> Matrix {
        guard let actions = batch.actions, actions.columns == taskCount else {
            preconditionFailure("the shared critic scores one action per task: (rows, \(taskCount))")
        }
        let rows = batch.rows
        firstLayer.forward(batch, embedding: embedding, action: action, bottom: bottom)
        let h = bottom.forwardFromFirstLayer(rows: taskCount * rows, isTraining: isTraining, rng: &rng)
        let out = q.matrix(rows: rows), logit = z.matrix(rows: rows)
        for k in 0..<taskCount {
            let zk = towers[k].forward(h.rows(k * rows, rows), isTraining: isTraining, rng: &rng)
            for r in 0..<rows {
                logit[r, k] = zk[r, 0]
                out[r, k] = -max(zk[r, 0], 0)
            }
        }
        return out
    }

    public func backward(_ batch: BatchInput, dOutput dq: Matrix) {
        let rows = batch.rows
        let h = bottom.activations.last!.matrix(rows: taskCount * rows)
        let dh = dHidden.matrix(rows: taskCount * rows), logit = z.matrix(rows: rows)
        for k in 0..<taskCount {
            let dz = dLogit.matrix(rows: rows)
            for r in 0..<rows { dz[r, 0] = logit[r, k] > 0 ? -dq[r, k] : 0 }     // Q = −ReLU(z)
            towers[k].backward(input: h.rows(k * rows, rows), dOutput: dz, dInput: dh.rows(k * rows, rows), accumulate: false)
        }
        let dy = bottom.backwardToFirstLayer(rows: taskCount * rows, dOutput: dh)
        firstLayer.backward(batch, dy: dy, embedding: embedding, action: action, bottom: bottom, dAction: dAction.matrix(rows: rows))
    }

    public var flopsPerRow: Double {
        Double(taskCount) * (bottom.flopsPerRow + action.flopsPerRow)
            + towers.reduce(0) { $0 + $1.flopsPerRow } + embedding.numeric.flopsPerRow
    }
}

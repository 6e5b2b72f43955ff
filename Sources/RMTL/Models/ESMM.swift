/// ESMM as the authors coded it (rmtl-reference.md §2.3, §8.14): a shared embedding, a separate bottom
/// and tower per task, `p_ctr = σ(t₀)` and `p_ctcvr = σ(t₁) · p_ctr`. Exactly two tasks.
/// Names: `embedding.embedding.weight`, `numerical_layer.*`, `bottom.{t}.mlp.*`, `tower.{t}.mlp.*`.
public final class ESMM: MultiTaskModel {
    public let config: ModelConfig
    let embedding: FeatureEmbedding
    let bottoms: [MLP]
    let towers: [MLP]
    let probabilities: Activation       // (rows, 2): p_ctr, p_ctcvr
    let cvr: Activation                 // (rows, 1): σ(t₁)
    let dLogit: Activation, dBottom: Activation, dEmbedding: Activation
    /// The shard's distinct ids per field: both bottoms' first layers run per distinct id where ids repeat.
    let fields: FieldGroups

    init(_ c: ModelConfig, _ b: inout ModelBuilder) {
        config = c
        let embedding = FeatureEmbedding(&b, config: c)
        self.embedding = embedding
        bottoms = (0..<2).map { t in
            b.scoped("bottom.\(t)") {
                MLP(&$0, inputCount: c.inputWidth, hidden: c.bottom, dropout: c.dropout, hasOutputLayer: false, fieldsOf: embedding)
            }
        }
        towers = (0..<2).map { t in
            b.scoped("tower.\(t)") { MLP(&$0, inputCount: c.bottom.last!, hidden: c.tower, dropout: c.dropout, hasOutputLayer: true) }
        }
        probabilities = Activation(capacity: b.capacity, columns: 2)
        cvr = Activation(capacity: b.capacity, columns: 1)
        dLogit = Activation(capacity: b.capacity, columns: 1)
        dBottom = Activation(capacity: b.capacity, columns: c.bottom.last!)
        dEmbedding = Activation(capacity: b.capacity, columns: c.inputWidth)
        fields = FieldGroups(fieldCount: c.cardinalities.count, capacity: b.capacity)
    }

    public func forward(_ batch: BatchInput, isTraining: Bool, rng: inout RandomGenerator) -> Matrix {
        let e = embedding.forward(batch)
        fields.find(batch)
        let z = (0..<2).map { t in
            towers[t].forward(bottoms[t].forward(e, isTraining: isTraining, rng: &rng, fields: fields), isTraining: isTraining, rng: &rng)
        }
        let p = probabilities.matrix(rows: batch.rows), q = cvr.matrix(rows: batch.rows)
        for r in 0..<batch.rows {
            p[r, 0] = sigmoid(z[0][r, 0])
            q[r, 0] = sigmoid(z[1][r, 0])
            p[r, 1] = q[r, 0] * p[r, 0]
        }
        return p
    }

    public func backward(_ batch: BatchInput, dOutput dp: Matrix) {
        let rows = batch.rows
        let p = probabilities.matrix(rows: rows), q = cvr.matrix(rows: rows)
        let e = embedding.output.matrix(rows: rows), de = dEmbedding.matrix(rows: rows)
        let dz = dLogit.matrix(rows: rows), dh = dBottom.matrix(rows: rows)
        for t in 0..<2 {
            for r in 0..<rows {
                let ctr = p[r, 0], cv = q[r, 0]
                // p_ctcvr = cv · ctr: its gradient reaches both sigmoids.
                let dCtr = dp[r, 0] + dp[r, 1] * cv
                dz[r, 0] = t == 0 ? dCtr * ctr * (1 - ctr) : dp[r, 1] * ctr * cv * (1 - cv)
            }
            towers[t].backward(input: bottoms[t].activations.last!.matrix(rows: rows), dOutput: dz, dInput: dh, accumulate: false)
            bottoms[t].backward(input: e, dOutput: dh, dInput: de, accumulate: t > 0)
        }
        embedding.backward(batch, dOutput: de)
    }

    public var flopsPerRow: Double { zip(bottoms, towers).reduce(0) { $0 + $1.0.flopsPerRow + $1.1.flopsPerRow } }
    public var savedFlops: Double { bottoms.reduce(0) { $0 + $1.savedFlops } }
}

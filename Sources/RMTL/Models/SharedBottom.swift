/// Shared-Bottom: shared embedding and bottom MLP, one tower per task (authors' sharedbottom.py).
/// Names: `embedding.embedding.weight`, `numerical_layer.*`, `bottom.mlp.*`, `tower.{t}.mlp.*`.
public final class SharedBottom: MultiTaskModel {
    public let config: ModelConfig
    let embedding: FeatureEmbedding
    let bottom: MLP
    let towers: [MLP]
    let outputs: TaskOutputs
    let dBottom: Activation, dEmbedding: Activation

    init(_ c: ModelConfig, _ b: inout ModelBuilder) {
        config = c
        embedding = FeatureEmbedding(&b, config: c)
        bottom = b.scoped("bottom") { MLP(&$0, inputCount: c.inputWidth, hidden: c.bottom, dropout: c.dropout, hasOutputLayer: false) }
        towers = (0..<c.taskCount).map { t in
            b.scoped("tower.\(t)") { MLP(&$0, inputCount: c.bottom.last!, hidden: c.tower, dropout: c.dropout, hasOutputLayer: true) }
        }
        outputs = TaskOutputs(b, taskCount: c.taskCount)
        dBottom = Activation(capacity: b.capacity, columns: c.bottom.last!)
        dEmbedding = Activation(capacity: b.capacity, columns: c.inputWidth)
    }

    public func forward(_ batch: BatchInput, isTraining: Bool, rng: inout RandomGenerator) -> Matrix {
        let e = embedding.forward(batch)
        let h = bottom.forward(e, isTraining: isTraining, rng: &rng)
        return outputs.forward(logits: towers.map { $0.forward(h, isTraining: isTraining, rng: &rng) })
    }

    public func backward(_ batch: BatchInput, dOutput dp: Matrix) {
        let rows = batch.rows
        let e = embedding.output.matrix(rows: rows), h = bottom.activations.last!.matrix(rows: rows)
        let dh = dBottom.matrix(rows: rows), de = dEmbedding.matrix(rows: rows)
        for (t, tower) in towers.enumerated() {
            tower.backward(input: h, dOutput: outputs.dLogit(t, dOutput: dp), dInput: dh, accumulate: t > 0)
        }
        bottom.backward(input: e, dOutput: dh, dInput: de, accumulate: false)
        embedding.backward(batch, dOutput: de)
    }

    public var flopsPerRow: Double {
        bottom.flopsPerRow + towers.reduce(0) { $0 + $1.flopsPerRow } + embedding.numeric.flopsPerRow
    }
}

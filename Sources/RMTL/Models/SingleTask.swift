/// Single-Task: each task has its own embedding table, numeric layer, bottom and tower; nothing is
/// shared (authors' singletask.py). Names: `embedding.{t}.embedding.weight`, `numerical_layer.{t}.*`,
/// `bottom.{t}.mlp.*`, `tower.{t}.mlp.*`.
public final class SingleTask: MultiTaskModel {
    public let config: ModelConfig
    let embeddings: [FeatureEmbedding]
    let bottoms: [MLP]
    let towers: [MLP]
    let outputs: TaskOutputs
    let dBottom: Activation, dEmbedding: Activation

    init(_ c: ModelConfig, _ b: inout ModelBuilder) {
        config = c
        embeddings = (0..<c.taskCount).map { FeatureEmbedding(&b, config: c, task: $0) }
        bottoms = (0..<c.taskCount).map { t in
            b.scoped("bottom.\(t)") { MLP(&$0, inputCount: c.inputWidth, hidden: c.bottom, dropout: c.dropout, hasOutputLayer: false) }
        }
        towers = (0..<c.taskCount).map { t in
            b.scoped("tower.\(t)") { MLP(&$0, inputCount: c.bottom.last!, hidden: c.tower, dropout: c.dropout, hasOutputLayer: true) }
        }
        outputs = TaskOutputs(b, taskCount: c.taskCount)
        dBottom = Activation(capacity: b.capacity, columns: c.bottom.last!)
        dEmbedding = Activation(capacity: b.capacity, columns: c.inputWidth)
    }

    public func forward(_ batch: BatchInput, isTraining: Bool, rng: inout RandomGenerator) -> Matrix {
        var logits: [Matrix] = []
        for t in 0..<config.taskCount {
            let e = embeddings[t].forward(batch)
            let h = bottoms[t].forward(e, isTraining: isTraining, rng: &rng)
            logits.append(towers[t].forward(h, isTraining: isTraining, rng: &rng))
        }
        return outputs.forward(logits: logits)
    }

    public func backward(_ batch: BatchInput, dOutput dp: Matrix) {
        let rows = batch.rows
        let dh = dBottom.matrix(rows: rows), de = dEmbedding.matrix(rows: rows)
        for t in 0..<config.taskCount {
            let h = bottoms[t].activations.last!.matrix(rows: rows)
            towers[t].backward(input: h, dOutput: outputs.dLogit(t, dOutput: dp), dInput: dh, accumulate: false)
            bottoms[t].backward(input: embeddings[t].output.matrix(rows: rows), dOutput: dh, dInput: de, accumulate: false)
            embeddings[t].backward(batch, dOutput: de)
        }
    }

    public var flopsPerRow: Double {
        zip(bottoms, towers).reduce(0) { $0 + $1.0.flopsPerRow + $1.1.flopsPerRow }
    }
}

/// OMoE and MMoE (authors' omoe.py, mmoe.py): `experts` MLP experts over the shared embedding, mixed
/// by softmax gates, then a tower per task. OMoE has one gate whose mixture feeds every tower; MMoE
/// has one gate per task. Names: `expert.{e}.mlp.*`, `gate.0.*` (OMoE) or `gate.{t}.0.*` (MMoE),
/// `tower.{t}.mlp.*`, and the embedding's.
public final class MixtureOfExperts: MultiTaskModel {
    public let config: ModelConfig
    let embedding: FeatureEmbedding
    let experts: ExpertStack
    let gates: [Gate]
    let towers: [MLP]
    let mixtures: [Activation]          // one per gate: (rows, width)
    let dMixtures: [Activation]
    let outputs: TaskOutputs
    let dEmbedding: Activation
    /// The shard's distinct ids per field: the experts' fused first layer runs per distinct id where ids repeat.
    let fields: FieldGroups

    init(_ c: ModelConfig, _ b: inout ModelBuilder, gatePerTask: Bool) {
        config = c
        let embedding = FeatureEmbedding(&b, config: c)
        self.embedding = embedding
        experts = ExpertStack(&b, count: c.experts, inputCount: c.inputWidth, hidden: c.bottom, dropout: c.dropout,
                              fieldsOf: embedding) { "expert.\($0)" }
        towers = (0..<c.taskCount).map { t in
            b.scoped("tower.\(t)") { MLP(&$0, inputCount: c.bottom.last!, hidden: c.tower, dropout: c.dropout, hasOutputLayer: true) }
        }
        let gateScopes = gatePerTask ? (0..<c.taskCount).map { "gate.\($0)" } : ["gate"]
        gates = gateScopes.map { scope in b.scoped(scope) { Gate(&$0, inputCount: c.inputWidth, expertCount: c.experts) } }
        mixtures = gates.map { _ in Activation(capacity: b.capacity, columns: c.bottom.last!) }
        dMixtures = gates.map { _ in Activation(capacity: b.capacity, columns: c.bottom.last!) }
        outputs = TaskOutputs(b, taskCount: c.taskCount)
        dEmbedding = Activation(capacity: b.capacity, columns: c.inputWidth)
        fields = FieldGroups(fieldCount: c.cardinalities.count, capacity: b.capacity)
    }

    private func mixture(for task: Int) -> Int { gates.count == 1 ? 0 : task }

    public func forward(_ batch: BatchInput, isTraining: Bool, rng: inout RandomGenerator) -> Matrix {
        let e = embedding.forward(batch)
        fields.find(batch)
        let out = experts.forward(e, isTraining: isTraining, rng: &rng, fields: fields)
        let blocks = (0..<experts.count).map { experts.block(out, $0) }
        for (i, gate) in gates.enumerated() {
            mix(blocks, gate: gate.forward(e), into: mixtures[i].matrix(rows: batch.rows))
        }
        return outputs.forward(logits: towers.enumerated().map { t, tower in
            tower.forward(mixtures[mixture(for: t)].matrix(rows: batch.rows), isTraining: isTraining, rng: &rng)
        })
    }

    public func backward(_ batch: BatchInput, dOutput dp: Matrix) {
        let rows = batch.rows
        let e = embedding.output.matrix(rows: rows), de = dEmbedding.matrix(rows: rows)
        for (t, tower) in towers.enumerated() {
            let m = mixture(for: t)
            tower.backward(input: mixtures[m].matrix(rows: rows), dOutput: outputs.dLogit(t, dOutput: dp),
                           dInput: dMixtures[m].matrix(rows: rows), accumulate: gates.count == 1 && t > 0)
        }
        let out = experts.activations.last!.matrix(rows: rows), dOut = experts.outputGradient(rows: rows)
        dOut.zero()
        de.zero()
        let blocks = (0..<experts.count).map { experts.block(out, $0) }
        let dBlocks = (0..<experts.count).map { experts.block(dOut, $0) }
        for (i, gate) in gates.enumerated() {
            mixBackward(blocks, gate: gate.weights.matrix(rows: rows), dOutput: dMixtures[i].matrix(rows: rows),
                        dExperts: dBlocks, dGate: gate.gradient(rows: rows))
            gate.backward(input: e, dInput: de)
        }
        experts.backward(input: e, dInput: de)
        embedding.backward(batch, dOutput: de)
    }

    public var flopsPerRow: Double {
        let w = Double(config.bottom.last!) * 2 * Double(experts.count) * Double(gates.count)
        return experts.flopsPerRow + gates.reduce(0) { $0 + $1.flopsPerRow } + w + towers.reduce(0) { $0 + $1.flopsPerRow }
    }
    public var savedFlops: Double { experts.savedFlops }
}

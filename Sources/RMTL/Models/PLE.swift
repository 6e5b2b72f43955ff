/// Progressive Layered Extraction as the authors ship it (MTReclib's final `PLEModel`,
/// rmtl-reference.md §2.3).
///
/// One extraction level per `bottom` entry, each with `taskCount · specificExperts + sharedExperts`
/// single-layer experts. Expert `k` of level `i` is `expert.{i}.{k}`: task `j` owns
/// `k ∈ [j·S, (j+1)·S)`, the shared experts come last. Every branch runs *its* experts on *its own*
/// input: task `j` mixes [its experts, the shared experts] applied to its current feature, with
/// `gate.{i}.{j}`. The shared branch (`gate.{i}.{taskCount}`, mixing every expert) only ever feeds
/// the next level's shared branch, which is dropped after the last level: in the authors' model it
/// never reaches an output, so it has parameters but no gradient, and rmtl does not compute it.
/// At level 0 every branch reads the embedding, so without dropout each shared expert runs once
/// there; with dropout each task branch runs them itself, as PyTorch does, so each draws its own
/// dropout mask (one shared mask would correlate the tasks' noise, which the authors' model does not).
public final class PLE: MultiTaskModel {
    public let config: ModelConfig
    let embedding: FeatureEmbedding
    let levels: [Level]
    let towers: [MLP]
    let outputs: TaskOutputs
    let dEmbedding: Activation

    final class Level {
        let own: [ExpertStack]          // own[j]: task j's experts on task j's input
        let shared: [ExpertStack]       // shared[j]: the shared experts on task j's input (one stack at level 0 without dropout)
        let gates: [Gate]               // gates[j] for task j; the shared branch's gate is unused
        let outputs: [Activation], dOutputs: [Activation]

        init(_ b: inout ModelBuilder, _ c: ModelConfig, level i: Int, inputCount: Int) {
            let width = c.bottom[i], t = c.taskCount, s = c.specificExperts
            own = (0..<t).map { j in
                ExpertStack(&b, count: s, inputCount: inputCount, hidden: [width], dropout: c.dropout) { "expert.\(i).\(j * s + $0)" }
            }
            let first = ExpertStack(&b, count: c.sharedExperts, inputCount: inputCount, hidden: [width], dropout: c.dropout) {
                "expert.\(i).\(t * s + $0)"
            }
            shared = i == 0 && c.dropout == 0 ? [first] : [first] + (1..<t).map { ExpertStack(sharingParametersOf: first, &b, call: $0) }
            gates = (0..<t).map { j in
                b.scoped("gate.\(i).\(j)") { Gate(&$0, inputCount: inputCount, expertCount: c.sharedExperts + s) }
            }
            // The shared branch's gate: the authors' model has it, nothing reads it.
            _ = b.scoped("gate.\(i).\(t)") { Gate(&$0, inputCount: inputCount, expertCount: c.sharedExperts + t * s) }
            b.layout.markOutsideGraph(prefix: "gate.\(i).\(t).")
            outputs = (0..<t).map { _ in Activation(capacity: b.capacity, columns: width) }
            dOutputs = (0..<t).map { _ in Activation(capacity: b.capacity, columns: width) }
        }

        func sharedStack(for task: Int) -> ExpertStack { shared[shared.count == 1 ? 0 : task] }
        func blocks(_ stack: ExpertStack, _ m: Matrix) -> [Matrix] { (0..<stack.count).map { stack.block(m, $0) } }
    }

    init(_ c: ModelConfig, _ b: inout ModelBuilder) {
        config = c
        embedding = FeatureEmbedding(&b, config: c)
        var levels: [Level] = []
        for i in 0..<c.bottom.count {
            levels.append(Level(&b, c, level: i, inputCount: i == 0 ? c.inputWidth : c.bottom[i - 1]))
        }
        self.levels = levels
        towers = (0..<c.taskCount).map { t in
            b.scoped("tower.\(t)") { MLP(&$0, inputCount: c.bottom.last!, hidden: c.tower, dropout: c.dropout, hasOutputLayer: true) }
        }
        outputs = TaskOutputs(b, taskCount: c.taskCount)
        dEmbedding = Activation(capacity: b.capacity, columns: c.inputWidth)
    }

    /// Task `j`'s input at level `i` (the embedding at level 0), and its gradient buffer.
    private func input(_ i: Int, _ j: Int, rows: Int) -> Matrix {
        i == 0 ? embedding.output.matrix(rows: rows) : levels[i - 1].outputs[j].matrix(rows: rows)
    }
    private func dInput(_ i: Int, _ j: Int, rows: Int) -> Matrix {
        i == 0 ? dEmbedding.matrix(rows: rows) : levels[i - 1].dOutputs[j].matrix(rows: rows)
    }

    public func forward(_ batch: BatchInput, isTraining: Bool, rng: inout RandomGenerator) -> Matrix {
        let rows = batch.rows
        _ = embedding.forward(batch)
        for (i, level) in levels.enumerated() {
            for (k, stack) in level.shared.enumerated() {
                _ = stack.forward(input(i, k, rows: rows), isTraining: isTraining, rng: &rng)
            }
            for j in 0..<config.taskCount {
                let x = input(i, j, rows: rows)
                let own = level.blocks(level.own[j], level.own[j].forward(x, isTraining: isTraining, rng: &rng))
                let stack = level.sharedStack(for: j)
                let shared = level.blocks(stack, stack.activations[0].matrix(rows: rows))
                mix(own + shared, gate: level.gates[j].forward(x), into: level.outputs[j].matrix(rows: rows))
            }
        }
        let last = levels[levels.count - 1]
        return outputs.forward(logits: towers.enumerated().map { t, tower in
            tower.forward(last.outputs[t].matrix(rows: rows), isTraining: isTraining, rng: &rng)
        })
    }

    public func backward(_ batch: BatchInput, dOutput dp: Matrix) {
        let rows = batch.rows
        let last = levels[levels.count - 1]
        for (t, tower) in towers.enumerated() {
            tower.backward(input: last.outputs[t].matrix(rows: rows), dOutput: outputs.dLogit(t, dOutput: dp),
                           dInput: last.dOutputs[t].matrix(rows: rows), accumulate: false)
        }
        for i in stride(from: levels.count - 1, through: 0, by: -1) {
            let level = levels[i]
            for j in 0..<config.taskCount { dInput(i, j, rows: rows).zero() }
            for stack in level.own + level.shared { stack.outputGradient(rows: rows).zero() }
            for j in 0..<config.taskCount {
                let stack = level.sharedStack(for: j), gate = level.gates[j]
                let experts = level.blocks(level.own[j], level.own[j].activations[0].matrix(rows: rows))
                    + level.blocks(stack, stack.activations[0].matrix(rows: rows))
                let dExperts = level.blocks(level.own[j], level.own[j].outputGradient(rows: rows))
                    + level.blocks(stack, stack.outputGradient(rows: rows))
                mixBackward(experts, gate: gate.weights.matrix(rows: rows), dOutput: level.dOutputs[j].matrix(rows: rows),
                            dExperts: dExperts, dGate: gate.gradient(rows: rows))
                gate.backward(input: input(i, j, rows: rows), dInput: dInput(i, j, rows: rows))
                level.own[j].backward(input: input(i, j, rows: rows), dInput: dInput(i, j, rows: rows))
            }
            for (k, stack) in level.shared.enumerated() {
                stack.backward(input: input(i, k, rows: rows), dInput: dInput(i, k, rows: rows))
            }
        }
        embedding.backward(batch, dOutput: dEmbedding.matrix(rows: rows))
    }

    public var flopsPerRow: Double {
        var total = embedding.numeric.flopsPerRow
        for (i, level) in levels.enumerated() {
            let width = Double(config.bottom[i])
            total += level.own.reduce(0) { $0 + $1.flopsPerRow } + level.shared.reduce(0) { $0 + $1.flopsPerRow }
            total += level.gates.reduce(0) { $0 + $1.flopsPerRow + 2 * width * Double($1.expertCount) }
        }
        return total + towers.reduce(0) { $0 + $1.flopsPerRow }
    }
}

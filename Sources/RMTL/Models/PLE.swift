/// Progressive Layered Extraction as the authors (MTReclib) coded it (rmtl-reference.md §2.3).
///
/// One extraction level per `bottom` entry. At level `i` every branch (each task, and the shared
/// branch) has its own input; task `j` owns `specificExperts` single-layer experts and a gate over
/// [its experts, the shared experts]; the shared branch has `sharedExperts` experts and a gate over
/// [every task's experts in task order, the shared experts]. The last level's shared gate exists but
/// is unused, as in the authors' code. Towers read the task branches of the last level.
/// Names: `share_experts.{i}.{k}.mlp.0.*`, `share_gates.{i}.0.*`, `task_experts.{i}.{j}.{k}.mlp.0.*`,
/// `task_gates.{i}.{j}.0.*`, `tower.{j}.mlp.*`, and the embedding's.
public final class PLE: MultiTaskModel {
    public let config: ModelConfig
    let embedding: FeatureEmbedding
    let levels: [Level]
    let towers: [MLP]
    let outputs: TaskOutputs
    let dEmbedding: Activation

    final class Level {
        let shared: ExpertStack
        let specific: [ExpertStack]
        let taskGates: [Gate]
        let sharedGate: Gate
        let taskOutputs: [Activation], dTaskOutputs: [Activation]
        let sharedOutput: Activation, dSharedOutput: Activation

        init(_ b: inout ModelBuilder, _ c: ModelConfig, level i: Int, inputCount: Int) {
            let width = c.bottom[i], t = c.taskCount
            shared = ExpertStack(&b, count: c.sharedExperts, inputCount: inputCount, hidden: [width], dropout: c.dropout) {
                "share_experts.\(i).\($0)"
            }
            sharedGate = b.scoped("share_gates.\(i)") {
                Gate(&$0, inputCount: inputCount, expertCount: c.sharedExperts + t * c.specificExperts)
            }
            specific = (0..<t).map { j in
                ExpertStack(&b, count: c.specificExperts, inputCount: inputCount, hidden: [width], dropout: c.dropout) {
                    "task_experts.\(i).\(j).\($0)"
                }
            }
            taskGates = (0..<t).map { j in
                b.scoped("task_gates.\(i).\(j)") { Gate(&$0, inputCount: inputCount, expertCount: c.sharedExperts + c.specificExperts) }
            }
            taskOutputs = (0..<t).map { _ in Activation(capacity: b.capacity, columns: width) }
            dTaskOutputs = (0..<t).map { _ in Activation(capacity: b.capacity, columns: width) }
            sharedOutput = Activation(capacity: b.capacity, columns: width)
            dSharedOutput = Activation(capacity: b.capacity, columns: width)
        }

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

    /// The inputs of level `i`: per task, and shared (the embedding at level 0).
    private func inputs(_ i: Int, rows: Int) -> (tasks: [Matrix], shared: Matrix) {
        if i == 0 {
            let e = embedding.output.matrix(rows: rows)
            return (Array(repeating: e, count: config.taskCount), e)
        }
        let prev = levels[i - 1]
        return (prev.taskOutputs.map { $0.matrix(rows: rows) }, prev.sharedOutput.matrix(rows: rows))
    }

    /// The gradient buffers of the inputs of level `i` (all the embedding's at level 0).
    private func dInputs(_ i: Int, rows: Int) -> (tasks: [Matrix], shared: Matrix) {
        if i == 0 {
            let de = dEmbedding.matrix(rows: rows)
            return (Array(repeating: de, count: config.taskCount), de)
        }
        let prev = levels[i - 1]
        return (prev.dTaskOutputs.map { $0.matrix(rows: rows) }, prev.dSharedOutput.matrix(rows: rows))
    }

    public func forward(_ batch: BatchInput, isTraining: Bool, rng: inout RandomGenerator) -> Matrix {
        let rows = batch.rows
        _ = embedding.forward(batch)
        for (i, level) in levels.enumerated() {
            let (taskIn, sharedIn) = inputs(i, rows: rows)
            let sharedBlocks = level.blocks(level.shared, level.shared.forward(sharedIn, isTraining: isTraining, rng: &rng))
            var allTaskBlocks: [Matrix] = []
            for j in 0..<config.taskCount {
                let own = level.blocks(level.specific[j], level.specific[j].forward(taskIn[j], isTraining: isTraining, rng: &rng))
                allTaskBlocks += own
                mix(own + sharedBlocks, gate: level.taskGates[j].forward(taskIn[j]), into: level.taskOutputs[j].matrix(rows: rows))
            }
            if i != levels.count - 1 {
                mix(allTaskBlocks + sharedBlocks, gate: level.sharedGate.forward(sharedIn), into: level.sharedOutput.matrix(rows: rows))
            }
        }
        let last = levels[levels.count - 1]
        return outputs.forward(logits: towers.enumerated().map { t, tower in
            tower.forward(last.taskOutputs[t].matrix(rows: rows), isTraining: isTraining, rng: &rng)
        })
    }

    public func backward(_ batch: BatchInput, dOutput dp: Matrix) {
        let rows = batch.rows
        let last = levels[levels.count - 1]
        for (t, tower) in towers.enumerated() {
            tower.backward(input: last.taskOutputs[t].matrix(rows: rows), dOutput: outputs.dLogit(t, dOutput: dp),
                           dInput: last.dTaskOutputs[t].matrix(rows: rows), accumulate: false)
        }
        for i in stride(from: levels.count - 1, through: 0, by: -1) {
            let level = levels[i]
            let (taskIn, sharedIn) = inputs(i, rows: rows)
            let (dTaskIn, dSharedIn) = dInputs(i, rows: rows)
            dSharedIn.zero()
            for d in dTaskIn { d.zero() }
            let stacks = level.specific + [level.shared]
            for s in stacks { s.outputGradient(rows: rows).zero() }
            let outs = stacks.map { level.blocks($0, $0.activations[0].matrix(rows: rows)) }
            let dOuts = stacks.map { level.blocks($0, $0.outputGradient(rows: rows)) }
            let sharedBlocks = outs[config.taskCount], dSharedBlocks = dOuts[config.taskCount]
            if i != levels.count - 1 {
                let gate = level.sharedGate
                mixBackward(outs.dropLast().flatMap { $0 } + sharedBlocks, gate: gate.weights.matrix(rows: rows),
                            dOutput: level.dSharedOutput.matrix(rows: rows),
                            dExperts: dOuts.dropLast().flatMap { $0 } + dSharedBlocks, dGate: gate.gradient(rows: rows))
                gate.backward(input: sharedIn, dInput: dSharedIn)
            }
            for j in 0..<config.taskCount {
                let gate = level.taskGates[j]
                mixBackward(outs[j] + sharedBlocks, gate: gate.weights.matrix(rows: rows),
                            dOutput: level.dTaskOutputs[j].matrix(rows: rows), dExperts: dOuts[j] + dSharedBlocks,
                            dGate: gate.gradient(rows: rows))
                gate.backward(input: taskIn[j], dInput: dTaskIn[j])
            }
            level.shared.backward(input: sharedIn, dInput: dSharedIn)
            for j in 0..<config.taskCount { level.specific[j].backward(input: taskIn[j], dInput: dTaskIn[j]) }
        }
        embedding.backward(batch, dOutput: dEmbedding.matrix(rows: rows))
    }

    public var flopsPerRow: Double {
        var total = embedding.numeric.flopsPerRow
        for (i, level) in levels.enumerated() {
            let width = Double(config.bottom[i])
            total += level.shared.flopsPerRow + level.specific.reduce(0) { $0 + $1.flopsPerRow }
            total += level.taskGates.reduce(0) { $0 + $1.flopsPerRow + 2 * width * Double($1.expertCount) }
            if i != levels.count - 1 { total += level.sharedGate.flopsPerRow + 2 * width * Double(level.sharedGate.expertCount) }
        }
        return total + towers.reduce(0) { $0 + $1.flopsPerRow }
    }
}

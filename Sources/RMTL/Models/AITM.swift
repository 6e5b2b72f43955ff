import RealModule

/// AITM as in MTReclib/the authors' aitm.py (rmtl-reference.md §2.3): a bottom per task; for task
/// `i ≥ 1` the previous task's (already updated) feature goes through `g.{i−1}` = Linear(w, w) to give
/// `p`, the task's own feature is `q`, and self-attention over the two items {p, q} with shared
/// `h1` (V), `h2` (K), `h3` (Q) = Linear(w, w): `a_j = softmax_j(⟨K_j, Q_j⟩/√w)`, `fea_i = Σ_j a_j V_j`.
/// No calibrator loss. Names: `g.{i}.*`, `h1.*`, `h2.*`, `h3.*`, `bottom.{t}.mlp.*`, `tower.{t}.mlp.*`.
public final class AITM: MultiTaskModel {
    public let config: ModelConfig
    let embedding: FeatureEmbedding
    let bottoms: [MLP]
    let towers: [MLP]
    let transfer: [Linear]              // g.{i}
    let value: Linear, key: Linear, query: Linear
    let attention: [Attention]          // per task i ≥ 1
    let outputs: TaskOutputs
    let dFeatures: [Activation]         // d loss / d fea_t (final feature of task t)
    let dBottom: Activation, dEmbedding: Activation

    /// Buffers of one attention application: rows 0..<B hold item p, rows B..<2B item q.
    final class Attention {
        let x: Activation, v: Activation, k: Activation, q: Activation
        let dx: Activation, dv: Activation, dk: Activation, dq: Activation
        let weights: Activation         // (B, 2)
        let output: Activation          // (B, w): the new feature
        init(capacity: Int, width w: Int) {
            (x, v, k, q) = (Activation(capacity: 2 * capacity, columns: w), Activation(capacity: 2 * capacity, columns: w),
                            Activation(capacity: 2 * capacity, columns: w), Activation(capacity: 2 * capacity, columns: w))
            (dx, dv, dk, dq) = (Activation(capacity: 2 * capacity, columns: w), Activation(capacity: 2 * capacity, columns: w),
                                Activation(capacity: 2 * capacity, columns: w), Activation(capacity: 2 * capacity, columns: w))
            weights = Activation(capacity: capacity, columns: 2)
            output = Activation(capacity: capacity, columns: w)
        }
    }

    init(_ c: ModelConfig, _ b: inout ModelBuilder) {
        config = c
        let w = c.bottom.last!
        embedding = FeatureEmbedding(&b, config: c)
        transfer = (0..<c.taskCount - 1).map { i in b.scoped("g.\(i)") { Linear(&$0, inputCount: w, outputCount: w) } }
        value = b.scoped("h1") { Linear(&$0, inputCount: w, outputCount: w) }
        key = b.scoped("h2") { Linear(&$0, inputCount: w, outputCount: w) }
        query = b.scoped("h3") { Linear(&$0, inputCount: w, outputCount: w) }
        bottoms = (0..<c.taskCount).map { t in
            b.scoped("bottom.\(t)") { MLP(&$0, inputCount: c.inputWidth, hidden: c.bottom, dropout: c.dropout, hasOutputLayer: false) }
        }
        towers = (0..<c.taskCount).map { t in
            b.scoped("tower.\(t)") { MLP(&$0, inputCount: w, hidden: c.tower, dropout: c.dropout, hasOutputLayer: true) }
        }
        attention = (1..<c.taskCount).map { _ in Attention(capacity: b.capacity, width: w) }
        outputs = TaskOutputs(b, taskCount: c.taskCount)
        dFeatures = (0..<c.taskCount).map { _ in Activation(capacity: b.capacity, columns: w) }
        dBottom = Activation(capacity: b.capacity, columns: w)
        dEmbedding = Activation(capacity: b.capacity, columns: c.inputWidth)
    }

    private var width: Int { config.bottom.last! }

    /// The final feature of task `t` (the bottom output for task 0, the attention output after).
    private func feature(_ t: Int, rows: Int) -> Matrix {
        t == 0 ? bottoms[0].activations.last!.matrix(rows: rows) : attention[t - 1].output.matrix(rows: rows)
    }

    public func forward(_ batch: BatchInput, isTraining: Bool, rng: inout RandomGenerator) -> Matrix {
        let rows = batch.rows, w = width
        let scale = 1 / Float(w).squareRoot()
        let e = embedding.forward(batch)
        let raw = bottoms.map { $0.forward(e, isTraining: isTraining, rng: &rng) }
        for i in 1..<config.taskCount {
            let at = attention[i - 1]
            let x = at.x.matrix(rows: 2 * rows)
            transfer[i - 1].forward(feature(i - 1, rows: rows), into: x.rows(0, rows))
            x.rows(rows, rows).copy(from: raw[i])
            let v = at.v.matrix(rows: 2 * rows), k = at.k.matrix(rows: 2 * rows), q = at.q.matrix(rows: 2 * rows)
            value.forward(x, into: v)
            key.forward(x, into: k)
            query.forward(x, into: q)
            let a = at.weights.matrix(rows: rows), out = at.output.matrix(rows: rows)
            for r in 0..<rows {
                let s0 = dot(k.row(r), q.row(r), w) * scale, s1 = dot(k.row(rows + r), q.row(rows + r), w) * scale
                let m = max(s0, s1), e0 = Float.exp(s0 - m), e1 = Float.exp(s1 - m)
                a[r, 0] = e0 / (e0 + e1)
                a[r, 1] = e1 / (e0 + e1)
                let o = out.row(r)
                o.update(repeating: 0, count: w)
                axpy(a[r, 0], v.row(r), o, w)
                axpy(a[r, 1], v.row(rows + r), o, w)
            }
        }
        return outputs.forward(logits: towers.enumerated().map { t, tower in
            tower.forward(feature(t, rows: rows), isTraining: isTraining, rng: &rng)
        })
    }

    public func backward(_ batch: BatchInput, dOutput dp: Matrix) {
        let rows = batch.rows, w = width
        let scale = 1 / Float(w).squareRoot()
        for (t, tower) in towers.enumerated() {
            tower.backward(input: feature(t, rows: rows), dOutput: outputs.dLogit(t, dOutput: dp),
                           dInput: dFeatures[t].matrix(rows: rows), accumulate: false)
        }
        let e = embedding.output.matrix(rows: rows), de = dEmbedding.matrix(rows: rows)
        de.zero()
        for i in stride(from: config.taskCount - 1, through: 1, by: -1) {
            let at = attention[i - 1]
            let x = at.x.matrix(rows: 2 * rows), v = at.v.matrix(rows: 2 * rows)
            let k = at.k.matrix(rows: 2 * rows), q = at.q.matrix(rows: 2 * rows)
            let dv = at.dv.matrix(rows: 2 * rows), dk = at.dk.matrix(rows: 2 * rows), dq = at.dq.matrix(rows: 2 * rows)
            let a = at.weights.matrix(rows: rows), dOut = dFeatures[i].matrix(rows: rows)
            for r in 0..<rows {
                let d = dOut.row(r)
                let da0 = dot(d, v.row(r), w), da1 = dot(d, v.row(rows + r), w)
                let inner = a[r, 0] * da0 + a[r, 1] * da1
                let ds0 = a[r, 0] * (da0 - inner) * scale, ds1 = a[r, 1] * (da1 - inner) * scale
                for (j, ds) in [(0, ds0), (1, ds1)] {
                    let row = j * rows + r
                    let dvr = dv.row(row)
                    dvr.update(repeating: 0, count: w)
                    axpy(a[r, j], d, dvr, w)
                    dk.row(row).update(repeating: 0, count: w)
                    axpy(ds, q.row(row), dk.row(row), w)
                    dq.row(row).update(repeating: 0, count: w)
                    axpy(ds, k.row(row), dq.row(row), w)
                }
            }
            let dx = at.dx.matrix(rows: 2 * rows)
            value.backward(input: x, dOutput: dv, dInput: dx, accumulate: false)
            key.backward(input: x, dOutput: dk, dInput: dx)
            query.backward(input: x, dOutput: dq, dInput: dx)
            // Item p came from the previous task's feature through g; item q is this task's bottom output.
            transfer[i - 1].backward(input: feature(i - 1, rows: rows), dOutput: dx.rows(0, rows), dInput: dFeatures[i - 1].matrix(rows: rows))
            let dh = dBottom.matrix(rows: rows)
            dh.copy(from: dx.rows(rows, rows))
            bottoms[i].backward(input: e, dOutput: dh, dInput: de)
        }
        bottoms[0].backward(input: e, dOutput: dFeatures[0].matrix(rows: rows), dInput: de)
        embedding.backward(batch, dOutput: de)
    }

    public var flopsPerRow: Double {
        let w = Double(width)
        return bottoms.reduce(0) { $0 + $1.flopsPerRow } + towers.reduce(0) { $0 + $1.flopsPerRow }
            + Double(config.taskCount - 1) * (2 * w * w + 3 * 2 * (2 * w * w) + 8 * w)
    }
}

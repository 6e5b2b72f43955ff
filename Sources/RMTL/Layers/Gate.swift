/// A mixture-of-experts gate: `g = softmax(x · Wᵀ + b)`, `nn.Sequential(Linear(in, k), Softmax(1))`.
///
/// Shapes: input (batch, inputCount), weights (batch, expertCount). Names: `0.{weight,bias}`.
public final class Gate {
    let linear: Linear
    let weights: Activation
    let gradients: Activation

    public init(_ b: inout ModelBuilder, inputCount: Int, expertCount: Int) {
        linear = b.scoped("0") { Linear(&$0, inputCount: inputCount, outputCount: expertCount) }
        weights = Activation(capacity: b.capacity, columns: expertCount)
        gradients = Activation(capacity: b.capacity, columns: expertCount)
    }

    public var expertCount: Int { weights.columns }

    public func forward(_ x: Matrix) -> Matrix {
        let g = weights.matrix(rows: x.rows)
        linear.forward(x, into: g)
        softmaxRows(g)
        return g
    }

    /// The gradient buffer for the gate weights; `mix` backward fills it, then `backward` consumes it.
    public func gradient(rows: Int) -> Matrix { gradients.matrix(rows: rows) }

    public func backward(input x: Matrix, dInput: Matrix?) {
        let g = weights.matrix(rows: x.rows), dg = gradients.matrix(rows: x.rows)
        softmaxBackward(output: g, gradient: dg)
        linear.backward(input: x, dOutput: dg, dInput: dInput)
    }

    public var flopsPerRow: Double { linear.flopsPerRow }
}

/// `y[b] = Σ_k g[b,k] · E_k[b]`: the gated mixture of expert outputs (`torch.bmm(gate, experts)`).
///
/// Shapes: each expert (batch, width), gate (batch, k), y (batch, width), overwritten.
public func mix(_ experts: [Matrix], gate g: Matrix, into y: Matrix) {
    precondition(experts.count == g.columns)
    let width = y.columns
    for r in 0..<y.rows {
        let out = y.row(r), gr = g.row(r)
        out.update(repeating: 0, count: width)
        for (k, e) in experts.enumerated() { axpy(gr[k], e.row(r), out, width) }
    }
}

/// Backward of `mix`: `dg[b,k] = ⟨dy[b], E_k[b]⟩` (overwritten) and `dE_k[b] += g[b,k]·dy[b]`.
public func mixBackward(_ experts: [Matrix], gate g: Matrix, dOutput dy: Matrix, dExperts: [Matrix], dGate dg: Matrix) {
    let width = dy.columns
    for r in 0..<dy.rows {
        let d = dy.row(r), gr = g.row(r), dgr = dg.row(r)
        for k in 0..<experts.count {
            dgr[k] = dot(d, experts[k].row(r), width)
            axpy(gr[k], d, dExperts[k].row(r), width)
        }
    }
}

/// `count` experts that read the same input, each an MLP (Linear → ReLU → Dropout per hidden size,
/// no output layer), as the authors' MMoE/OMoE/PLE build them.
///
/// All first layers are packed contiguously in the slab, so the first layer of every expert runs as
/// one GEMM of width `count · hidden[0]` (8 experts of 1024→512: one 1024→4096 product, which keeps
/// OpenBLAS near peak). Later layers run per expert on column blocks.
///
/// Shapes: input (batch, inputCount); output (batch, count · width) with expert `e` in columns
/// `e·width ..< (e+1)·width`, `width = hidden.last`. Names: `{scope(e)}.mlp.{3i}.{weight,bias}`.
public final class ExpertStack {
    public let count: Int
    public let inputCount: Int
    public let hidden: [Int]
    public let dropout: Float
    let first: Linear                 // all experts' first layers, fused
    let later: [[Linear]]             // later[l-1][e]: expert e's layer l
    let sites: [DropoutSite]          // per layer: (batch, count · hidden[l]), after ReLU and dropout
    let activations: [Activation]     // their buffers
    let gradients: [Activation]
    /// The fused first layer field by field, for experts over an embedding's output (`fieldsOf:`).
    let factoredFirst: FieldFactoredLinear?
    private var scale: Float = 1
    private var groups: FieldGroups?   // the last forward's, for backward

    /// `fieldsOf`: the input is this embedding's output, so the fused first layer may run field by
    /// field over the distinct ids `forward(_:isTraining:rng:fields:)` is given (`FieldFactoredLinear`).
    public init(
        _ b: inout ModelBuilder, count: Int, inputCount: Int, hidden: [Int], dropout: Float,
        fieldsOf embedding: FeatureEmbedding? = nil, scope: (Int) -> String
    ) {
        precondition(count > 0 && !hidden.isEmpty)
        self.count = count
        self.inputCount = inputCount
        self.hidden = hidden
        self.dropout = dropout
        let h0 = hidden[0]
        var weights: [Parameter] = [], biases: [Parameter] = []
        b.layout.align()
        for e in 0..<count {
            weights.append(b.scoped(scope(e)) {
                $0.scoped("mlp.0") { $0.parameter("weight", shape: [h0, inputCount], .uniformFanIn(inputCount), isPacked: true) }
            })
        }
        b.layout.align()
        for e in 0..<count {
            biases.append(b.scoped(scope(e)) {
                $0.scoped("mlp.0") { $0.parameter("bias", shape: [h0], .uniformFanIn(inputCount), isPacked: true) }
            })
        }
        b.layout.align()
        first = Linear(
            weight: b.span(from: weights[0], count: count * h0 * inputCount),
            bias: b.span(from: biases[0], count: count * h0), inputCount: inputCount, outputCount: count * h0)
        var later: [[Linear]] = []
        for l in 1..<hidden.count {
            var layer: [Linear] = []
            for e in 0..<count {
                layer.append(b.scoped(scope(e)) {
                    $0.scoped("mlp.\(3 * l)") { Linear(&$0, inputCount: hidden[l - 1], outputCount: hidden[l]) }
                })
            }
            later.append(layer)
        }
        self.later = later
        sites = hidden.indices.map { l in
            b.reluOutput(columns: count * hidden[l], modules: (0..<count).map { e in b.scoped(scope(e)) { $0.qualified("mlp.\(3 * l + 2)") } })
        }
        activations = sites.map(\.output)
        gradients = hidden.map { Activation(capacity: b.capacity, columns: count * $0) }
        let (fused, capacity) = (first, b.capacity)
        factoredFirst = embedding.map { FieldFactoredLinear(fused, fieldCount: $0.fieldCount, embedDim: $0.embedDim, capacity: capacity) }
    }

    /// The same experts (same parameters, gradients accumulate into the same slab) with their own
    /// activation buffers, to run them on a second input (PLE's shared experts on each task's feature),
    /// PyTorch's `call`-th call of them.
    public init(sharingParametersOf other: ExpertStack, _ b: inout ModelBuilder, call: Int) {
        count = other.count
        inputCount = other.inputCount
        hidden = other.hidden
        dropout = other.dropout
        first = other.first
        later = other.later
        sites = other.sites.map { b.reluOutput(columns: $0.output.columns, modules: $0.modules, call: call) }
        activations = sites.map(\.output)
        gradients = other.hidden.map { Activation(capacity: b.capacity, columns: other.count * $0) }
        factoredFirst = nil
    }

    public var width: Int { hidden[hidden.count - 1] }

    /// Expert `e`'s block of a (batch, count · width) matrix.
    @inline(__always) public func block(_ m: Matrix, _ e: Int) -> Matrix { m.columns(e * width, width) }

    /// `fields`: the shard's distinct ids, when the stack was built `fieldsOf:` an embedding.
    public func forward(_ x: Matrix, isTraining: Bool, rng: inout RandomGenerator, fields: FieldGroups? = nil) -> Matrix {
        scale = isTraining && dropout > 0 ? 1 / (1 - dropout) : 1
        groups = factoredFirst != nil ? fields : nil
        let rows = x.rows
        var h = activations[0].matrix(rows: rows)
        if let groups, let factoredFirst { factoredFirst.forward(x, groups: groups, into: h) } else { first.forward(x, into: h) }
        sites[0].forward(h, dropout: dropout, isTraining: isTraining, rng: &rng)
        for l in 1..<hidden.count {
            let y = activations[l].matrix(rows: rows)
            for e in 0..<count {
                later[l - 1][e].forward(h.columns(e * hidden[l - 1], hidden[l - 1]), into: y.columns(e * hidden[l], hidden[l]))
            }
            sites[l].forward(y, dropout: dropout, isTraining: isTraining, rng: &rng)
            h = y
        }
        return h
    }

    /// The gradient buffer of the output; the mixture backward adds into it. Zero it before.
    public func outputGradient(rows: Int) -> Matrix { gradients[hidden.count - 1].matrix(rows: rows) }

    /// Consumes `outputGradient(rows:)`; adds into `dInput`.
    public func backward(input x: Matrix, dInput: Matrix?) {
        let rows = x.rows
        for l in stride(from: hidden.count - 1, through: 1, by: -1) {
            let dy = gradients[l].matrix(rows: rows)
            reluDropoutBackward(output: activations[l].matrix(rows: rows), gradient: dy, scale: scale)
            let input = activations[l - 1].matrix(rows: rows), dInputL = gradients[l - 1].matrix(rows: rows)
            for e in 0..<count {
                later[l - 1][e].backward(
                    input: input.columns(e * hidden[l - 1], hidden[l - 1]), dOutput: dy.columns(e * hidden[l], hidden[l]),
                    dInput: dInputL.columns(e * hidden[l - 1], hidden[l - 1]), accumulate: false)
            }
        }
        let dy = gradients[0].matrix(rows: rows)
        reluDropoutBackward(output: activations[0].matrix(rows: rows), gradient: dy, scale: scale)
        if let groups, let factoredFirst {
            factoredFirst.backward(input: x, groups: groups, dOutput: dy, dInput: dInput, accumulate: true)
        } else {
            first.backward(input: x, dOutput: dy, dInput: dInput)
        }
    }

    public var flopsPerRow: Double {
        first.flopsPerRow + later.reduce(0) { $0 + $1.reduce(0) { $0 + $1.flopsPerRow } }
    }

    /// FLOPs the last forward's first layer left out against the dense count.
    var savedFlops: Double { groups != nil ? factoredFirst?.savedFlops ?? 0 : 0 }
}

/// PyTorch's `MultiLayerPerceptron` from the authors' code (rmtl-reference.md §2.1): for each hidden
/// size a Linear → ReLU → Dropout(p), no BatchNorm, then an optional output Linear(·, 1).
///
/// Parameter names follow the `nn.Sequential` indices: hidden layer `i` is `mlp.{3i}`, the output
/// layer `mlp.{3·hidden.count}`. Shapes: input (batch, inputCount), output (batch, outputCount).
public final class MLP {
    public let inputCount: Int
    public let hidden: [Int]
    public let dropout: Float
    let layers: [Linear]
    let output: Linear?
    let sites: [DropoutSite]           // hidden outputs, after ReLU and dropout
    let activations: [Activation]      // their buffers
    let gradients: [Activation]        // d loss / d hidden output
    let logits: Activation?
    /// Layer 0 field by field, for an MLP over an embedding's output (`fieldsOf:`).
    let factoredFirst: FieldFactoredLinear?
    private var scale: Float = 1       // 1/(1−p) of the last forward pass, for backward
    private var groups: FieldGroups?   // the last forward's, for backward

    /// `fieldsOf`: the input is this embedding's output, so layer 0 may run field by field over the
    /// distinct ids `forward(_:isTraining:rng:fields:)` is given (`FieldFactoredLinear`).
    public init(_ b: inout ModelBuilder, inputCount: Int, hidden: [Int], dropout: Float, hasOutputLayer: Bool,
                fieldsOf embedding: FeatureEmbedding? = nil) {
        self.inputCount = inputCount
        self.hidden = hidden
        self.dropout = dropout
        var layers: [Linear] = []
        var width = inputCount
        for (i, size) in hidden.enumerated() {
            layers.append(b.scoped("mlp.\(3 * i)") { Linear(&$0, inputCount: width, outputCount: size) })
            width = size
        }
        self.layers = layers
        let last = width
        output = hasOutputLayer ? b.scoped("mlp.\(3 * hidden.count)") { Linear(&$0, inputCount: last, outputCount: 1) } : nil
        sites = hidden.indices.map { i in b.reluOutput(columns: hidden[i], modules: [b.qualified("mlp.\(3 * i + 2)")]) }
        activations = sites.map(\.output)
        gradients = hidden.map { Activation(capacity: b.capacity, columns: $0) }
        logits = hasOutputLayer ? Activation(capacity: b.capacity, columns: 1) : nil
        let capacity = b.capacity
        factoredFirst = embedding.flatMap { e in
            layers.first.map { FieldFactoredLinear($0, fieldCount: e.fieldCount, embedDim: e.embedDim, capacity: capacity) }
        }
    }

    public var outputCount: Int { output != nil ? 1 : (hidden.last ?? inputCount) }

    /// `fields`: the shard's distinct ids, when the MLP was built `fieldsOf:` an embedding.
    public func forward(_ x: Matrix, isTraining: Bool, rng: inout RandomGenerator, fields: FieldGroups? = nil) -> Matrix {
        scale = isTraining && dropout > 0 ? 1 / (1 - dropout) : 1
        groups = factoredFirst != nil ? fields : nil
        var h = x
        for (i, layer) in layers.enumerated() {
            let y = activations[i].matrix(rows: x.rows)
            if i == 0, let groups, let factoredFirst { factoredFirst.forward(h, groups: groups, into: y) } else { layer.forward(h, into: y) }
            sites[i].forward(y, dropout: dropout, isTraining: isTraining, rng: &rng)
            h = y
        }
        guard let output, let logits else { return h }
        let z = logits.matrix(rows: x.rows)
        output.forward(h, into: z)
        return z
    }

    /// `dOutput` (batch, outputCount) is consumed (it may be overwritten). Adds into `dInput`
    /// when `accumulate`, else overwrites it.
    public func backward(input x: Matrix, dOutput: Matrix, dInput: Matrix?, accumulate: Bool = true) {
        let rows = x.rows
        var dy = dOutput
        if let output {
            let last = layers.isEmpty ? x : activations[layers.count - 1].matrix(rows: rows)
            let dLast = layers.isEmpty ? dInput : gradients[layers.count - 1].matrix(rows: rows)
            output.backward(input: last, dOutput: dOutput, dInput: dLast, accumulate: layers.isEmpty ? accumulate : false)
            if layers.isEmpty { return }
            dy = gradients[layers.count - 1].matrix(rows: rows)
        }
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            reluDropoutBackward(output: activations[i].matrix(rows: rows), gradient: dy, scale: scale)
            if i == 0 {
                if let groups, let factoredFirst {
                    factoredFirst.backward(input: x, groups: groups, dOutput: dy, dInput: dInput, accumulate: accumulate)
                } else {
                    layers[0].backward(input: x, dOutput: dy, dInput: dInput, accumulate: accumulate)
                }
            } else {
                let dPrev = gradients[i - 1].matrix(rows: rows)
                layers[i].backward(input: activations[i - 1].matrix(rows: rows), dOutput: dy, dInput: dPrev, accumulate: false)
                dy = dPrev
            }
        }
    }

    public var flopsPerRow: Double { layers.reduce(0) { $0 + $1.flopsPerRow } + (output?.flopsPerRow ?? 0) }
    /// FLOPs the last forward's layer 0 left out against the dense count.
    var savedFlops: Double { groups != nil ? factoredFirst?.savedFlops ?? 0 : 0 }

    // MARK: - First layer computed by the caller (the critic's distinct-state path)

    /// Where the caller writes hidden layer 0's pre-activation `x·W₀ᵀ + b₀` (rows, hidden[0]) before
    /// `forwardFromFirstLayer`.
    func firstPreactivation(rows: Int) -> Matrix { activations[0].matrix(rows: rows) }

    /// `forward` from layer 0's pre-activation on (ReLU, dropout, the other layers), with the same
    /// random draws as `forward`.
    func forwardFromFirstLayer(rows: Int, isTraining: Bool, rng: inout RandomGenerator) -> Matrix {
        scale = isTraining && dropout > 0 ? 1 / (1 - dropout) : 1
        var h = activations[0].matrix(rows: rows)
        sites[0].forward(h, dropout: dropout, isTraining: isTraining, rng: &rng)
        for i in 1..<layers.count {
            let y = activations[i].matrix(rows: rows)
            layers[i].forward(h, into: y)
            sites[i].forward(y, dropout: dropout, isTraining: isTraining, rng: &rng)
            h = y
        }
        guard let output, let logits else { return h }
        let z = logits.matrix(rows: rows)
        output.forward(h, into: z)
        return z
    }

    /// `backward` down to layer 0's pre-activation gradient, which it returns (rows, hidden[0]);
    /// layer 0's parameter and input gradients are left to the caller.
    func backwardToFirstLayer(rows: Int, dOutput: Matrix) -> Matrix {
        var dy = dOutput
        if let output {
            let last = activations[layers.count - 1].matrix(rows: rows)
            dy = gradients[layers.count - 1].matrix(rows: rows)
            output.backward(input: last, dOutput: dOutput, dInput: dy, accumulate: false)
        }
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            reluDropoutBackward(output: activations[i].matrix(rows: rows), gradient: dy, scale: scale)
            if i == 0 { return dy }
            let dPrev = gradients[i - 1].matrix(rows: rows)
            layers[i].backward(input: activations[i - 1].matrix(rows: rows), dOutput: dy, dInput: dPrev, accumulate: false)
            dy = dPrev
        }
        return dy
    }
}

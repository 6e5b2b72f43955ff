/// The actor as an ONNX graph, op for op the inference path of the Swift models (dropout is the
/// identity at inference and is left out). Weights are initializers under their state_dict names,
/// so the file, the safetensors checkpoint and `scripts/torch/models.py` share one vocabulary.
///
/// Inputs: `categorical_ids` int64 (batch, fields), each field's encoded id in `0..<cardinality`
/// (the `.encoders.json` written beside the model maps raw values to them), and `numeric` float
/// (batch, numeric fields). Outputs: one float (batch, 1) tensor per task, named after the task: the
/// probability the model outputs (ESMM: pCTR and pCTCVR = pCTR · pCVR).
extension TrainableModel {
    public func onnxGraph(taskNames: [String]) throws -> ONNXGraph {
        guard let c = modelConfig else { throw ConfigurationError(parameter: "model", .unknownParameter) }
        precondition(taskNames.count == c.taskCount, "task names do not match the model")
        let b = ONNXBuilder(config: c, parameters: Dictionary(tensors().map { ($0.name, ($0.shape, $0.values)) },
                                                              uniquingKeysWith: { a, _ in a }))
        b.graph.inputs = [
            .init(name: "categorical_ids", type: .int64, shape: [nil, c.cardinalities.count],
                  doc: "encoded id per categorical field, in 0..<cardinality"),
            .init(name: "numeric", type: .float, shape: [nil, c.numericCount], doc: "numeric fields"),
        ]
        let probabilities: [String]
        switch c.kind {
        case .single:
            probabilities = (0..<c.taskCount).map { t in
                let e = b.embedding(scope: "embedding.\(t).embedding", numeric: "numerical_layer.\(t)")
                return b.sigmoid(b.mlp("tower.\(t)", b.mlp("bottom.\(t)", e, layers: c.bottom.count), layers: c.tower.count, output: true))
            }
        case .sharedbottom:
            let h = b.mlp("bottom", b.embedding(), layers: c.bottom.count)
            probabilities = (0..<c.taskCount).map { b.sigmoid(b.mlp("tower.\($0)", h, layers: c.tower.count, output: true)) }
        case .esmm:
            let e = b.embedding()
            let z = (0..<2).map { b.mlp("tower.\($0)", b.mlp("bottom.\($0)", e, layers: c.bottom.count), layers: c.tower.count, output: true) }
            let ctr = b.sigmoid(z[0])
            probabilities = [ctr, b.graph.op("Mul", [b.sigmoid(z[1]), ctr])]
        case .omoe, .mmoe:
            let e = b.embedding()
            let experts = (0..<c.experts).map { b.mlp("expert.\($0)", e, layers: c.bottom.count) }
            let mixtures = c.kind == .omoe ? [b.mix(experts, gate: "gate", e)] : (0..<c.taskCount).map { b.mix(experts, gate: "gate.\($0)", e) }
            probabilities = (0..<c.taskCount).map { t in
                b.sigmoid(b.mlp("tower.\(t)", mixtures[c.kind == .omoe ? 0 : t], layers: c.tower.count, output: true))
            }
        case .ple:
            let e = b.embedding()
            var features = [String](repeating: e, count: c.taskCount)
            let s = c.specificExperts, t = c.taskCount
            for i in 0..<c.bottom.count {
                features = (0..<t).map { j in
                    let x = features[j]
                    let own = (0..<s).map { b.mlp("expert.\(i).\(j * s + $0)", x, layers: 1) }
                    let shared = (0..<c.sharedExperts).map { b.mlp("expert.\(i).\(t * s + $0)", x, layers: 1) }
                    return b.mix(own + shared, gate: "gate.\(i).\(j)", x)
                }
            }
            probabilities = (0..<t).map { b.sigmoid(b.mlp("tower.\($0)", features[$0], layers: c.tower.count, output: true)) }
        case .aitm:
            let e = b.embedding()
            let raw = (0..<c.taskCount).map { b.mlp("bottom.\($0)", e, layers: c.bottom.count) }
            var features = [raw[0]]
            let scale = b.graph.constant(.init(name: "attention_scale", dims: [], floats: [1 / Float(c.bottom.last!).squareRoot()]))
            for i in 1..<c.taskCount {
                let items = [b.linear("g.\(i - 1)", features[i - 1]), raw[i]]          // p, q
                let values = items.map { b.linear("h1", $0) }
                let scores = items.map { x in
                    let kq = b.graph.op("Mul", [b.linear("h2", x), b.linear("h3", x)])
                    return b.graph.op("Mul", [b.graph.op("ReduceSum", [kq, b.axes([1])], [.int("keepdims", 1)]), scale])
                }
                let weights = b.graph.op("Softmax", [b.graph.op("Concat", scores, [.int("axis", 1)])], [.int("axis", 1)])
                let a = b.graph.node("Split", [weights], outputs: 2, [.int("axis", 1)])
                features.append(b.graph.op("Add", [b.graph.op("Mul", [a[0], values[0]]), b.graph.op("Mul", [a[1], values[1]])]))
            }
            probabilities = (0..<c.taskCount).map { b.sigmoid(b.mlp("tower.\($0)", features[$0], layers: c.tower.count, output: true)) }
        }
        for (t, p) in probabilities.enumerated() {
            _ = b.graph.op("Identity", [p], named: taskNames[t])
            b.graph.outputs.append(.init(name: taskNames[t], type: .float, shape: [nil, 1],
                                         doc: c.kind == .esmm && t == 1 ? "pCTCVR = pCTR · pCVR" : "probability of \(taskNames[t])"))
        }
        b.graph.doc = "\(c.kind.displayName) exported by rmtl: inputs are encoded ids and numeric fields, outputs per-task probabilities"
        return b.graph
    }
}

/// Layer-by-layer graph building over the model's named parameters.
final class ONNXBuilder {
    let config: ModelConfig
    let parameters: [String: (shape: [Int], values: [Float])]
    var graph = ONNXGraph(name: "rmtl")

    init(config: ModelConfig, parameters: [String: (shape: [Int], values: [Float])]) {
        self.config = config
        self.parameters = parameters
        graph.name = config.kind.rawValue
    }

    /// The parameter `name` as an initializer.
    func weight(_ name: String) -> String {
        // every name asked for is one the model declares (a programming error otherwise)
        let p = parameters[name]!
        return graph.constant(.init(name: name, dims: p.shape, floats: p.values))
    }

    func axes(_ v: [Int64]) -> String {
        graph.constant(.init(name: "axes_" + v.map(String.init).joined(separator: "_"), dims: [v.count], int64s: v))
    }

    /// `x · Wᵀ + b` (PyTorch's Linear: W is (out, in)).
    func linear(_ scope: String, _ x: String) -> String {
        graph.op("Gemm", [x, weight(scope + ".weight"), weight(scope + ".bias")], [.int("transB", 1)])
    }

    /// The authors' MultiLayerPerceptron: `layers` × (Linear → ReLU), then Linear(·, 1) when `output`.
    func mlp(_ scope: String, _ x: String, layers: Int, output: Bool = false) -> String {
        var h = x
        for i in 0..<layers { h = graph.op("Relu", [linear("\(scope).mlp.\(3 * i)", h)]) }
        return output ? linear("\(scope).mlp.\(3 * layers)", h) : h
    }

    func sigmoid(_ x: String) -> String { graph.op("Sigmoid", [x]) }

    /// One shared table for all fields (field f's ids offset by the sizes before it), flattened,
    /// then the numeric fields through Linear(numeric, embed): (batch, (fields + 1) · embed).
    func embedding(scope: String = "embedding.embedding", numeric: String = "numerical_layer") -> String {
        var running: Int64 = 0
        let offsets = config.cardinalities.map { c in defer { running += Int64(c) }; return running }
        let offsetName = graph.constant(.init(name: "field_offsets", dims: [offsets.count], int64s: offsets))
        let rows = graph.op("Add", ["categorical_ids", offsetName])
        let gathered = graph.op("Gather", [weight(scope + ".weight"), rows], [.int("axis", 0)])
        let width = Int64(config.cardinalities.count * config.embedDim)
        let shape = graph.constant(.init(name: "flat_shape_\(width)", dims: [2], int64s: [-1, width]))
        let flat = graph.op("Reshape", [gathered, shape])
        return graph.op("Concat", [flat, linear(numeric, "numeric")], [.int("axis", 1)])
    }

    /// `Σ_k softmax(x·Wᵀ + b)_k · expert_k` with the gate `scope` (`{scope}.0.*`).
    func mix(_ experts: [String], gate scope: String, _ x: String) -> String {
        let g = graph.op("Softmax", [linear("\(scope).0", x)], [.int("axis", 1)])
        let parts = experts.count == 1 ? [g] : graph.node("Split", [g], outputs: experts.count, [.int("axis", 1)])
        let terms = zip(parts, experts).map { graph.op("Mul", [$0, $1]) }
        return terms.count == 1 ? terms[0] : graph.op("Sum", terms)
    }
}

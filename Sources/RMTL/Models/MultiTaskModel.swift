/// The seven multi-task architectures of the paper's comparison (rmtl-reference.md §2.3).
// The language's model names, help and completion come from `allCases`.
public enum ModelKind: String, CaseIterable, Sendable, Codable {
    case single, sharedbottom, esmm, omoe, mmoe, ple, aitm

    public var displayName: String {
        switch self {
        case .single: "Single-Task"
        case .sharedbottom: "Shared-Bottom"
        case .esmm: "ESMM"
        case .omoe: "OMoE"
        case .mmoe: "MMoE"
        case .ple: "PLE"
        case .aitm: "AITM"
        }
    }
}

/// Sizes and switches of one multi-task model. Defaults are the paper's (rmtl-reference.md §2.2).
public struct ModelConfig: Sendable, Equatable, Codable {
    public var kind: ModelKind
    /// Distinct ids per categorical field.
    public var cardinalities: [Int]
    /// Numeric fields, read through one Linear(numericCount, embedDim) slot.
    public var numericCount: Int
    public var taskCount: Int
    public var embedDim = 128
    /// Bottom MLP (per task, shared, or per expert); for PLE, one extraction level per entry.
    public var bottom = [512, 256]
    /// Tower MLP per task, followed by Linear(·, 1) and a sigmoid.
    public var tower = [128, 64]
    /// Experts of OMoE and MMoE.
    public var experts = 8
    /// PLE: shared experts per level, and experts per task per level (the authors: experts/2 each).
    public var sharedExperts = 4
    public var specificExperts = 4
    public var dropout: Float = 0.2
    /// The authors' `padding_idx=0`: global embedding row 0 gets no gradient from the loss.
    public var freezesPaddingRow = true
    /// How the embedding tables are updated (`FeatureEmbedding`, `Adam.update`); dense is the authors'.
    public var embeddings = EmbeddingUpdates.dense

    public init(kind: ModelKind, cardinalities: [Int], numericCount: Int, taskCount: Int) {
        self.kind = kind
        self.cardinalities = cardinalities
        self.numericCount = numericCount
        self.taskCount = taskCount
    }

    /// Width of the flattened input: one embedding slot per categorical field plus the numeric slot.
    public var inputWidth: Int { (cardinalities.count + 1) * embedDim }

    /// Throws a `SettingError` for a knob outside its declared range (`ModelConfig.settings`), or a
    /// `ConfigurationError` for a model the data cannot support.
    public func validate() throws {
        func fail(_ parameter: String, _ problem: ConfigurationError.Problem) throws -> Never {
            throw ConfigurationError(parameter: parameter, problem)
        }
        if cardinalities.isEmpty { try fail("fields", .noCategoricalFields) }
        if let f = cardinalities.firstIndex(where: { $0 < 1 }) { try fail("fields", .emptyField(index: f, ids: cardinalities[f])) }
        if numericCount < 1 { try fail("numeric", .noNumericFields) }
        try checkSettings()
        if taskCount < 1 { try fail("tasks", .taskCount(model: kind, has: taskCount, needs: .atLeast(1))) }
        if kind == .esmm && taskCount != 2 { try fail("tasks", .taskCount(model: kind, has: taskCount, needs: .exactly(2))) }
        if kind != .single && taskCount < 2 { try fail("tasks", .taskCount(model: kind, has: taskCount, needs: .atLeast(2))) }
        if kind == .ple && (sharedExperts < 1 || specificExperts < 1) { try fail("experts", .pleNeedsExperts) }
    }
}

extension ModelConfig {
    /// Decodes configurations saved before `embeddings` existed as dense.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(kind: try c.decode(ModelKind.self, forKey: .kind), cardinalities: try c.decode([Int].self, forKey: .cardinalities),
                  numericCount: try c.decode(Int.self, forKey: .numericCount), taskCount: try c.decode(Int.self, forKey: .taskCount))
        embedDim = try c.decode(Int.self, forKey: .embedDim)
        bottom = try c.decode([Int].self, forKey: .bottom)
        tower = try c.decode([Int].self, forKey: .tower)
        experts = try c.decode(Int.self, forKey: .experts)
        sharedExperts = try c.decode(Int.self, forKey: .sharedExperts)
        specificExperts = try c.decode(Int.self, forKey: .specificExperts)
        dropout = try c.decode(Float.self, forKey: .dropout)
        freezesPaddingRow = try c.decode(Bool.self, forKey: .freezesPaddingRow)
        embeddings = try c.decodeIfPresent(EmbeddingUpdates.self, forKey: .embeddings) ?? .dense
    }
}

extension ModelConfig: Configurable {
    /// The knobs `actor MODEL …` sets; the defaults are the stored properties' (the paper's).
    public static let settings: [Setting<ModelConfig>] = [
        .integer("embed", \.embedDim, 1...ModelConfig.maximumWidth, "Embedding size per field."),
        .integerList("bottom", \.bottom, 1...ModelConfig.maximumWidth, allowsEmpty: false, "Bottom / expert MLP sizes (PLE: one extraction level per entry)."),
        .integerList("tower", \.tower, 1...ModelConfig.maximumWidth, allowsEmpty: true, "Tower MLP sizes, before each task's Linear(·, 1) and sigmoid."),
        Setting("experts", .integer(1...ModelConfig.maximumExperts), "Experts of OMoE and MMoE; PLE gets half shared and half per task per level, as the authors' run.py.",
                read: { .integer($0.experts) },
                write: { c, v in
                    guard case .integer(let n) = v else { return }
                    c.experts = n
                    c.sharedExperts = max(1, n / 2)
                    c.specificExperts = max(1, n / 2)
                }),
        .real("dropout", \.dropout, .halfOpen(0, 1), "Dropout probability."),
        .choice("embeddings", \.embeddings, "Embedding-table updates: dense (Adam on every row, the authors') or sparse (lazy Adam on the rows a batch looks up)."),
    ]

    /// Static ceilings, so `rmtl check` rejects sizes no machine holds (a 65,536-wide layer over a
    /// 65,536-wide input is already 16 GiB of weights); what fits below them is decided by the
    /// memory estimate when the model is built (`admitMemory`).
    public static let maximumWidth = 65_536
    public static let maximumExperts = 1024
}

/// A network trained by rmtl: a batch in, (rows, outputCount) out.
///
/// `forward` returns its output, valid until the next call. `backward` takes d loss / d output of
/// the same shape and *adds* every parameter gradient into the replica's gradient slab (the trainer
/// zeroes it once per step). One instance serves one thread: replicas share the values slab and keep
/// their own activations and gradients.
public protocol Network: AnyObject {
    var outputCount: Int { get }
    func forward(_ batch: BatchInput, isTraining: Bool, rng: inout RandomGenerator) -> Matrix
    func backward(_ batch: BatchInput, dOutput: Matrix)
    /// FLOPs of one forward row (a multiply-add counts 2; training ≈ 3×).
    var flopsPerRow: Double { get }
    /// FLOPs the last forward left out against `flopsPerRow` × rows by computing per distinct id
    /// (`FieldFactoredLinear`); its backward leaves out twice as many.
    var savedFlops: Double { get }
}

extension Network {
    public var savedFlops: Double { 0 }
}

/// A multi-task model (the actor): one probability per task out.
public protocol MultiTaskModel: Network {
    var config: ModelConfig { get }
}

extension MultiTaskModel {
    public var outputCount: Int { config.taskCount }
}

/// Builds a model of `config.kind`, reserving its parameters in `builder`.
public func makeModel(_ config: ModelConfig, _ builder: inout ModelBuilder) throws -> MultiTaskModel {
    try config.validate()
    switch config.kind {
    case .single: return SingleTask(config, &builder)
    case .sharedbottom: return SharedBottom(config, &builder)
    case .esmm: return ESMM(config, &builder)
    case .omoe: return MixtureOfExperts(config, &builder, gatePerTask: false)
    case .mmoe: return MixtureOfExperts(config, &builder, gatePerTask: true)
    case .ple: return PLE(config, &builder)
    case .aitm: return AITM(config, &builder)
    }
}

/// Per-task probabilities from tower logits, and the way back: `p = σ(z)`, `dz = dp · p · (1 − p)`.
final class TaskOutputs {
    let probabilities: Activation
    let dLogits: [Activation]

    init(_ b: ModelBuilder, taskCount: Int) {
        probabilities = Activation(capacity: b.capacity, columns: taskCount)
        dLogits = (0..<taskCount).map { _ in Activation(capacity: b.capacity, columns: 1) }
    }

    func forward(logits: [Matrix]) -> Matrix {
        let p = probabilities.matrix(rows: logits[0].rows)
        for (t, z) in logits.enumerated() {
            for r in 0..<p.rows { p[r, t] = sigmoid(z[r, 0]) }
        }
        return p
    }

    /// d loss / d logit of task `t`, from d loss / d probability.
    func dLogit(_ t: Int, dOutput dp: Matrix) -> Matrix {
        let p = probabilities.matrix(rows: dp.rows), dz = dLogits[t].matrix(rows: dp.rows)
        for r in 0..<dp.rows { dz[r, 0] = dp[r, t] * p[r, t] * (1 - p[r, t]) }
        return dz
    }
}

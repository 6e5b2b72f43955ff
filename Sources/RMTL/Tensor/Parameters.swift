/// How a parameter tensor is initialised, matching PyTorch's defaults so a model starts from the
/// same distribution as the authors' (rmtl-reference.md §2.1).
public enum Initializer: Sendable, Equatable {
    /// `U(±√(6/(fanIn+fanOut)))` with PyTorch's fans for a 2-D tensor (fanIn = columns, fanOut = rows):
    /// `nn.init.xavier_uniform_` on the embedding table.
    case xavierUniform
    /// `U(±1/√fanIn)`: `kaiming_uniform_(a=√5)` on a Linear weight and the default Linear bias.
    case uniformFanIn(Int)
    case zeros
}

/// One named tensor in a parameter slab.
public struct TensorSlot: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public let initializer: Initializer
    /// False for a parameter that no output depends on (PLE's shared-branch gates): PyTorch leaves
    /// its `grad` None, so Adam skips it entirely, weight decay included; rmtl does the same.
    public internal(set) var isInGraph = true
    public var count: Int { shape.reduce(1, *) }
}

/// The names, shapes and offsets of every parameter of a model, in creation order.
///
/// A model reserves its tensors once; the same layout then sizes four flat slabs (values, gradients
/// and Adam's two moments), so the optimiser and checkpoints are single loops over flat memory, and
/// checkpoint tensor names come from here. Offsets are 16-float aligned for SIMD loads.
public struct SlabLayout: Sendable, Equatable {
    public private(set) var slots: [TensorSlot] = []
    public private(set) var count = 0

    public init() {}

    /// Reserves a tensor at the end of the slab. `isPacked` leaves out the alignment padding, so
    /// consecutive packed tensors are contiguous (a fused expert group multiplies them as one matrix).
    public mutating func reserve(_ name: String, shape: [Int], _ initializer: Initializer, isPacked: Bool = false) -> Int {
        precondition(!slots.contains { $0.name == name }, "duplicate parameter name '\(name)'")
        let offset = count
        slots.append(TensorSlot(name: name, shape: shape, offset: offset, initializer: initializer))
        let size = shape.reduce(1, *)
        count += isPacked ? size : (size + 15) / 16 * 16
        return offset
    }

    /// Marks every slot whose name starts with `prefix` as outside the graph (see `TensorSlot.isInGraph`).
    public mutating func markOutsideGraph(prefix: String) {
        for i in slots.indices where slots[i].name.hasPrefix(prefix) { slots[i].isInGraph = false }
    }

    /// The slab ranges the optimiser updates: every slot in the graph, adjacent ones merged.
    public var trainableRanges: [Range<Int>] {
        var ranges: [Range<Int>] = []
        for slot in slots where slot.isInGraph {
            let r = slot.offset..<(slot.offset + slot.count)
            if let last = ranges.last, last.upperBound >= r.lowerBound - 15 && last.upperBound <= r.lowerBound {
                ranges[ranges.count - 1] = last.lowerBound..<r.upperBound
            } else {
                ranges.append(r)
            }
        }
        return ranges
    }

    /// Pads the slab to the next 16-float boundary (after a run of packed tensors).
    public mutating func align() { count = (count + 15) / 16 * 16 }

    public func slot(named name: String) -> TensorSlot? { slots.first { $0.name == name } }

    /// Fills `values` with each slot's initial distribution, slot by slot in creation order.
    public func initialize(_ values: UnsafeMutablePointer<Float>, rng: inout RandomGenerator) {
        for slot in slots {
            let p = values + slot.offset
            switch slot.initializer {
            case .zeros:
                p.update(repeating: 0, count: slot.count)
            case .uniformFanIn(let fanIn):
                let bound = 1 / Float(fanIn).squareRoot()
                for i in 0..<slot.count { p[i] = rng.nextUniform(-bound, bound) }
            case .xavierUniform:
                let fanOut = slot.shape[0], fanIn = slot.shape.dropFirst().reduce(1, *)
                let bound = (6 / Float(fanIn + fanOut)).squareRoot()
                for i in 0..<slot.count { p[i] = rng.nextUniform(-bound, bound) }
            }
        }
    }
}

/// Where one model replica's parameters live: the values slab (shared by every replica of a model)
/// and this replica's own gradient slab. Layers hold offsets and read the pointers at use time, so a
/// replica is bound after its layout is complete.
public final class ParameterSlabs: @unchecked Sendable {
    public private(set) var values: UnsafeMutablePointer<Float>
    public private(set) var gradients: UnsafeMutablePointer<Float>
    private var owners: [FloatBuffer] = []

    init() {
        // Unbound until `bind`; a model used before binding traps on this sentinel in debug builds.
        values = UnsafeMutablePointer(bitPattern: 0x10)!
        gradients = values
    }

    public func bind(values: FloatBuffer, gradients: FloatBuffer) {
        self.values = values.base
        self.gradients = gradients.base
        owners = [values, gradients]
    }
}

/// A parameter tensor as a layer sees it: a view into the bound slabs.
public struct Parameter: @unchecked Sendable {
    public let slabs: ParameterSlabs
    public let offset: Int
    public let count: Int
    @inline(__always) public var value: UnsafeMutablePointer<Float> { slabs.values + offset }
    @inline(__always) public var gradient: UnsafeMutablePointer<Float> { slabs.gradients + offset }
}

/// Collects a model's parameters while its layers are built: each layer asks for its tensors by
/// name (PyTorch state_dict names, so checkpoints and PyTorch fixtures line up) and gets views.
public struct ModelBuilder {
    public var layout = SlabLayout()
    public let slabs = ParameterSlabs()
    /// Rows of the largest batch this replica will see; activations are sized for it. A network
    /// that runs a layer on several row blocks at once (the shared-bottom critic stacks one block
    /// per task) raises it while that layer is built.
    public internal(set) var capacity: Int
    private var scope: [String] = []
    /// Every ReLU + dropout site, in build order: gradient checks read their outputs to tell when a
    /// finite-difference step switched a unit on or off (a kink); parity tests give them PyTorch's masks.
    package private(set) var dropoutSites: [DropoutSite] = []
    /// The embedding tables updated row-sparsely (`embeddings=sparse`), in build order.
    public private(set) var rowGradients: [RowGradients] = []
    /// The embedding tables updated densely, with the rows their backward passes write, in build order.
    package private(set) var writtenRows: [WrittenRows] = []

    public init(capacity: Int) { self.capacity = capacity }

    public mutating func parameter(
        _ name: String, shape: [Int], _ initializer: Initializer, isPacked: Bool = false
    ) -> Parameter {
        let full = (scope + [name]).joined(separator: ".")
        let offset = layout.reserve(full, shape: shape, initializer, isPacked: isPacked)
        return Parameter(slabs: slabs, offset: offset, count: shape.reduce(1, *))
    }

    /// A view of `count` floats starting at `first`'s offset: several packed tensors seen as one.
    public func span(from first: Parameter, count: Int) -> Parameter {
        Parameter(slabs: slabs, offset: first.offset, count: count)
    }

    /// `name` with the current scope in front: a PyTorch module name ("tower.0.mlp.2").
    public func qualified(_ name: String) -> String { (scope + [name]).joined(separator: ".") }

    /// The buffer of a ReLU + dropout output (registered in `dropoutSites`) whose column blocks are
    /// the outputs of the PyTorch Dropout modules `modules` (full names), called for the `call`-th time.
    public mutating func reluOutput(columns: Int, modules: [String], call: Int = 0) -> DropoutSite {
        let site = DropoutSite(output: Activation(capacity: capacity, columns: columns), modules: modules, call: call)
        dropoutSites.append(site)
        return site
    }

    mutating func registerRowGradients(_ rows: RowGradients) { rowGradients.append(rows) }
    mutating func registerWrittenRows(_ rows: WrittenRows) { writtenRows.append(rows) }

    /// Runs `body` with `name` appended to the parameter-name prefix.
    public mutating func scoped<T>(_ name: String, _ body: (inout ModelBuilder) throws -> T) rethrows -> T {
        scope.append(name)
        defer { scope.removeLast() }
        return try body(&self)
    }
}

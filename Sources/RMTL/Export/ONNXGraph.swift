/// An ONNX graph under construction, written as an ONNX model file (onnx.proto field numbers; IR
/// version 8, default-domain opset 17). Nodes get numbered output names; weights become
/// initializers under their PyTorch state_dict names, each added once.
public struct ONNXGraph {
    public static let opset: Int64 = 17
    public static let irVersion: Int64 = 8

    /// ONNX `TensorProto.DataType`.
    public enum ElementType: Int64 { case float = 1, int64 = 7 }

    public struct Attribute {
        let name: String
        let value: Value
        enum Value {
            case int(Int64), float(Float), ints([Int64])
        }
        public static func int(_ name: String, _ v: Int64) -> Attribute { Attribute(name: name, value: .int(v)) }
        public static func float(_ name: String, _ v: Float) -> Attribute { Attribute(name: name, value: .float(v)) }
        public static func ints(_ name: String, _ v: [Int64]) -> Attribute { Attribute(name: name, value: .ints(v)) }
    }

    public struct Tensor {
        public var name: String
        public var dims: [Int64]
        public var type: ElementType
        /// Little-endian element bytes.
        public var raw: [UInt8]

        public init(name: String, dims: [Int], floats: [Float]) {
            self.name = name
            self.dims = dims.map(Int64.init)
            type = .float
            raw = []
            raw.reserveCapacity(floats.count * 4)
            for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        }

        public init(name: String, dims: [Int], int64s: [Int64]) {
            self.name = name
            self.dims = dims.map(Int64.init)
            type = .int64
            raw = []
            for v in int64s { withUnsafeBytes(of: v.littleEndian) { raw.append(contentsOf: $0) } }
        }
    }

    /// An input or output: name, element type and shape (`nil` = the dynamic batch dimension).
    public struct Port {
        public var name: String
        public var type: ElementType
        public var shape: [Int?]
        public var doc: String
    }

    struct Node {
        var op: String
        var inputs: [String]
        var outputs: [String]
        var attributes: [Attribute]
    }

    var nodes: [Node] = []
    var initializers: [Tensor] = []
    private var initializerNames: Set<String> = []
    public var inputs: [Port] = []
    public var outputs: [Port] = []
    public var name: String
    public var doc = ""
    /// `metadata_props` of the model (tasks, fields, the rmtl version).
    public var metadata: [(String, String)] = []
    private var counter = 0

    public init(name: String) { self.name = name }

    /// Adds a node; returns its output names (`count` of them), named after the op.
    @discardableResult
    public mutating func node(_ op: String, _ inputs: [String], outputs count: Int = 1, _ attributes: [Attribute] = [],
                              named: [String]? = nil) -> [String] {
        let outs = named ?? (0..<count).map { k in
            counter += 1
            return "\(op.lowercased())_\(counter)" + (count > 1 ? "_\(k)" : "")
        }
        nodes.append(Node(op: op, inputs: inputs, outputs: outs, attributes: attributes))
        return outs
    }

    /// A one-output node.
    public mutating func op(_ op: String, _ inputs: [String], _ attributes: [Attribute] = [], named: String? = nil) -> String {
        node(op, inputs, outputs: 1, attributes, named: named.map { [$0] })[0]
    }

    /// Adds `tensor` as an initializer unless one of that name exists; returns its name.
    @discardableResult
    public mutating func constant(_ tensor: Tensor) -> String {
        if initializerNames.insert(tensor.name).inserted { initializers.append(tensor) }
        return tensor.name
    }

    /// The serialized `ModelProto`.
    public func modelBytes(producerVersion: String) -> [UInt8] {
        var graph = ProtobufMessage()
        for n in nodes {
            var m = ProtobufMessage()
            for i in n.inputs { m.string(1, i) }
            for o in n.outputs { m.string(2, o) }
            m.string(3, n.outputs[0])
            m.string(4, n.op)
            for a in n.attributes {
                var am = ProtobufMessage()
                am.string(1, a.name)
                switch a.value {
                case .float(let f): am.float(2, f); am.int(20, 1)
                case .int(let i): am.int(3, i); am.int(20, 2)
                case .ints(let v): for x in v { am.int(8, x) }; am.int(20, 7)
                }
                m.message(5, am)
            }
            graph.message(1, m)
        }
        graph.string(2, name)
        for t in initializers {
            var m = ProtobufMessage()
            for d in t.dims { m.int(1, d) }
            m.int(2, t.type.rawValue)
            m.string(8, t.name)
            m.bytes(9, t.raw)
            graph.message(5, m)
        }
        if !doc.isEmpty { graph.string(10, doc) }
        func valueInfo(_ p: Port) -> ProtobufMessage {
            var shape = ProtobufMessage()
            for d in p.shape {
                var dim = ProtobufMessage()
                if let d { dim.int(1, Int64(d)) } else { dim.string(2, "batch") }
                shape.message(1, dim)
            }
            var tensorType = ProtobufMessage()
            tensorType.int(1, p.type.rawValue)
            tensorType.message(2, shape)
            var type = ProtobufMessage()
            type.message(1, tensorType)
            var m = ProtobufMessage()
            m.string(1, p.name)
            m.message(2, type)
            if !p.doc.isEmpty { m.string(3, p.doc) }
            return m
        }
        for p in inputs { graph.message(11, valueInfo(p)) }
        for p in outputs { graph.message(12, valueInfo(p)) }

        var model = ProtobufMessage()
        model.int(1, Self.irVersion)
        model.string(2, "rmtl")
        model.string(3, producerVersion)
        model.message(7, graph)
        var opset = ProtobufMessage()
        opset.string(1, "")
        opset.int(2, Self.opset)
        model.message(8, opset)
        for (k, v) in metadata {
            var entry = ProtobufMessage()
            entry.string(1, k)
            entry.string(2, v)
            model.message(14, entry)
        }
        return model.bytes
    }
}

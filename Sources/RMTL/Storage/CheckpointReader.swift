import Foundation

/// A checkpoint whose tensors or configuration do not fit the state being restored: a tensor
/// missing, of another dtype or shape, left over, or a saved value that is impossible. `message`
/// names the tensor where there is one; callers prefix the file's path.
public struct CheckpointMismatch: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// What to do about it; nil when the file contradicts itself (then the caller says how to
    /// write it again).
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { message }
}

/// The tensors of a checkpoint being restored: typed, shape-checked access that remembers which
/// names were used, so that `requireAllUsed` can refuse a tensor the configuration does not
/// account for. Each engine type reads its own tensors through it (`TrainableModel`, `Adam`,
/// `ReplayBuffer`, `RLAgent`: see their `+Checkpoint` files); the caller reads its own (encoders,
/// the random state) and calls `requireAllUsed` last.
public struct CheckpointReader {
    public let tensors: [String: TensorData]
    public private(set) var used: Set<String> = []

    public init(_ tensors: [String: TensorData]) {
        self.tensors = tensors
    }

    private static func describe(_ dtype: TensorDType, _ shape: [Int]) -> String {
        "\(dtype.rawValue) [" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    /// The tensor `name`, which must exist with this dtype and shape.
    public mutating func tensor(_ name: String, _ dtype: TensorDType, _ shape: [Int]) throws(CheckpointMismatch) -> TensorData {
        guard let t = tensors[name] else {
            throw CheckpointMismatch("tensor '\(name)' (\(Self.describe(dtype, shape))) is missing")
        }
        guard t.dtype == dtype, t.shape == shape else {
            throw CheckpointMismatch("tensor '\(name)' is \(Self.describe(t.dtype, t.shape)), expected \(Self.describe(dtype, shape))")
        }
        used.insert(name)
        return t
    }

    /// The elements of the `F32` tensor `name` of this shape.
    public mutating func floats(_ name: String, _ shape: [Int]) throws(CheckpointMismatch) -> [Float] {
        try tensor(name, .f32, shape).floats!
    }

    /// Refuses a tensor the restored state has no place for.
    public func requireAllUsed() throws(CheckpointMismatch) {
        let extra = tensors.keys.filter { !used.contains($0) }.sorted()
        if let first = extra.first {
            throw CheckpointMismatch("tensor '\(first)' does not belong to the configuration it was saved with"
                                     + (extra.count > 1 ? " (and \(extra.count - 1) more)" : ""))
        }
    }
}

extension Checkpoint {
    /// The JSON encoder for a checkpoint's `config`: sorted keys, so the text (and the content
    /// digest) is the same for the same state; non-finite floats as strings.
    public static var configEncoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    /// The decoder matching `configEncoder`.
    public static var configDecoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }
}

/// Element types of the safetensors format, spelled as in the file (`"F32"`, `"I64"`, ...).
///
/// `rank` is the position in the reference implementation's `Dtype` enum, which is ordered by
/// increasing alignment; the writer sorts tensors by descending rank, then by name, as the
/// reference `safetensors` serializer does, so rmtl's files are laid out the same way.
/// rmtl itself writes `f32`, `i64`, `i32`, `u64` and `u8`; the others are read as raw bytes.
public enum TensorDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .f64, .i64, .u64: 8
        }
    }

    /// Order in the reference implementation's `Dtype` enum (increasing alignment).
    var rank: Int {
        // allCases is declared in the reference order. KEEP IN SYNC: safetensors Dtype enum.
        Self.allCases.firstIndex(of: self) ?? 0
    }
}

/// One tensor: element type, shape (row-major, C order) and its raw little-endian bytes.
///
/// A 0-rank tensor has `shape == []` and one element; a tensor with a 0 in its shape has no bytes.
/// The initialisers check that `bytes.count == product(shape) * dtype.byteCount`.
public struct TensorData: Sendable, Equatable {
    public let dtype: TensorDType
    public let shape: [Int]
    /// Little-endian element bytes, `elementCount * dtype.byteCount` of them.
    public let bytes: [UInt8]

    /// Wraps raw bytes. Returns nil if a dimension is negative, the shape product overflows or the
    /// byte count does not match the shape.
    public init?(dtype: TensorDType, shape: [Int], bytes: [UInt8]) {
        guard let count = TensorData.elementCount(of: shape),
            case (let size, let overflow) = count.multipliedReportingOverflow(by: dtype.byteCount),
            !overflow, size == bytes.count
        else { return nil }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Trusted initialiser for callers that already validated sizes (the reader).
    init(validated dtype: TensorDType, shape: [Int], bytes: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Number of elements: the product of `shape` (1 for a 0-rank tensor).
    public var elementCount: Int { bytes.count / dtype.byteCount }

    /// Product of the dimensions, or nil for a negative dimension or an overflow.
    public static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }
}

// MARK: - Typed construction and access

extension TensorData {
    /// An `F32` tensor. `values.count` must equal the product of `shape`.
    public init(shape: [Int], floats values: [Float]) {
        #if _endian(little)
            // Float is IEEE 754 binary32 in host order, which is the file's order here: one copy.
            self.init(
                checked: .f32, shape: shape, count: values.count, bytes: values.withUnsafeBytes { Array($0) })
        #else
            self.init(
                checked: .f32, shape: shape, count: values.count,
                bytes: Self.littleEndianBytes(values.map(\.bitPattern)))
        #endif
    }
    /// An `I64` tensor.
    public init(shape: [Int], int64s values: [Int64]) {
        self.init(checked: .i64, shape: shape, count: values.count, bytes: Self.littleEndianBytes(values))
    }
    /// An `I32` tensor.
    public init(shape: [Int], int32s values: [Int32]) {
        self.init(checked: .i32, shape: shape, count: values.count, bytes: Self.littleEndianBytes(values))
    }
    /// A `U64` tensor (e.g. a random generator's state).
    public init(shape: [Int], uint64s values: [UInt64]) {
        self.init(checked: .u64, shape: shape, count: values.count, bytes: Self.littleEndianBytes(values))
    }
    /// A `U8` tensor.
    public init(shape: [Int], uint8s values: [UInt8]) {
        self.init(checked: .u8, shape: shape, count: values.count, bytes: values)
    }

    private init(checked dtype: TensorDType, shape: [Int], count: Int, bytes: [UInt8]) {
        // Programmer error (not user input), but checked in release too: -Ounchecked removes
        // precondition, and a wrong count would silently produce a file the reader refuses.
        if TensorData.elementCount(of: shape) != count {
            fatalError("TensorData: \(count) values do not fill shape \(shape)")
        }
        self.init(validated: dtype, shape: shape, bytes: bytes)
    }

    /// The elements of an `F32` tensor, or nil for another dtype.
    public var floats: [Float]? {
        guard dtype == .f32 else { return nil }
        #if _endian(little)
            return [Float](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
                bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
                initialized = elementCount
            }
        #else
            return Self.decode(bytes, as: UInt32.self).map(Float.init(bitPattern:))
        #endif
    }
    /// Copies the elements of an `F32` tensor into `destination` (e.g. a view into a parameter slab)
    /// without an intermediate array. Returns false, copying nothing, if the dtype is not `F32` or
    /// `destination.count` differs from `elementCount`.
    public func copyFloats(into destination: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard dtype == .f32, destination.count == elementCount else { return false }
        #if _endian(little)
            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(destination).copyMemory(from: $0) }
        #else
            for (i, v) in Self.decode(bytes, as: UInt32.self).enumerated() {
                destination[i] = Float(bitPattern: v)
            }
        #endif
        return true
    }

    /// The elements of an `F64` tensor, or nil for another dtype.
    public var doubles: [Double]? {
        guard dtype == .f64 else { return nil }
        return Self.decode(bytes, as: UInt64.self).map(Double.init(bitPattern:))
    }
    /// The elements of an `I64` tensor, or nil for another dtype.
    public var int64s: [Int64]? { dtype == .i64 ? Self.decode(bytes, as: Int64.self) : nil }
    /// The elements of an `I32` tensor, or nil for another dtype.
    public var int32s: [Int32]? { dtype == .i32 ? Self.decode(bytes, as: Int32.self) : nil }
    /// The elements of a `U64` tensor, or nil for another dtype.
    public var uint64s: [UInt64]? { dtype == .u64 ? Self.decode(bytes, as: UInt64.self) : nil }
    /// The elements of a `U8` tensor, or nil for another dtype.
    public var uint8s: [UInt8]? { dtype == .u8 ? bytes : nil }

    /// Integer elements of an `I64`, `I32` or `U8` tensor widened to `Int`, or nil otherwise.
    public var integers: [Int]? {
        switch dtype {
        case .i64: int64s.map { $0.map(Int.init) }
        case .i32: int32s.map { $0.map(Int.init) }
        case .u8: bytes.map(Int.init)
        default: nil
        }
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        let size = MemoryLayout<T>.size
        var out = [UInt8](repeating: 0, count: values.count * size)
        out.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() {
                raw.storeBytes(of: v.littleEndian, toByteOffset: i * size, as: T.self)
            }
        }
        return out
    }

    static func decode<T: FixedWidthInteger>(_ bytes: [UInt8], as: T.Type) -> [T] {
        let size = MemoryLayout<T>.size
        let count = bytes.count / size
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self)) }
        }
    }
}

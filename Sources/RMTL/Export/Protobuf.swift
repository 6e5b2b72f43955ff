/// The protocol-buffers wire format, as much of it as an ONNX file needs: varints, 32-bit floats
/// and length-delimited fields (strings, bytes, nested messages, packed repeated numbers).
///
/// Hand-written rather than SwiftProtobuf with a generated `onnx.pb.swift`: ONNX export only ever
/// *writes* a dozen message types, which these ~60 lines cover, while the library would add its
/// runtime (about 90 source files) to every clean build (docs/export.md has the measurement).
/// onnxruntime and `onnx.checker` in scripts/test-export read what this writes.
public struct ProtobufMessage: Sendable {
    public private(set) var bytes: [UInt8] = []
    public init() {}

    private enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    private mutating func tag(_ field: Int, _ type: WireType) { varint(UInt64(field) << 3 | type.rawValue) }

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// int32, int64 and enum fields (negative values as ten-byte two's complement, as protobuf does).
    public mutating func int(_ field: Int, _ value: Int64) {
        tag(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    public mutating func float(_ field: Int, _ value: Float) {
        tag(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    public mutating func message(_ field: Int, _ value: ProtobufMessage) { bytes(field, value.bytes) }

    /// A packed repeated int64 field.
    public mutating func packedInts(_ field: Int, _ values: [Int64]) {
        var inner = ProtobufMessage()
        for v in values { inner.varint(UInt64(bitPattern: v)) }
        bytes(field, inner.bytes)
    }
}

import Foundation
import RMTL
import Testing

extension StorageTests {
    @Suite("Safetensors round trip")
    struct SafetensorsRoundTripTests {
        /// Every dtype rmtl writes, plus empty and 0-rank tensors and awkward names and metadata.
        static func sample() -> SafetensorsFile {
            SafetensorsFile(
                tensors: [
                    "embedding.embedding.weight": TensorData(
                        shape: [3, 2], floats: [1, -2, 0.5, .infinity, -0.0, .leastNonzeroMagnitude]),
                    "bias": TensorData(shape: [1], floats: [Float(bitPattern: 0x7FC0_1234)]),  // NaN payload kept
                    "scalar": TensorData(shape: [], floats: [3.25]),
                    "empty": TensorData(shape: [0], floats: []),
                    "empty.2d": TensorData(shape: [2, 0, 3], int64s: []),
                    "replay.ids": TensorData(shape: [2, 2], int64s: [.min, -1, 0, .max]),
                    "replay.i32": TensorData(shape: [3], int32s: [.min, 7, .max]),
                    "mask": TensorData(shape: [5], uint8s: [0, 1, 127, 128, 255]),
                    "naïve \"name\"\n": TensorData(shape: [1], int32s: [1]),
                ],
                metadata: [
                    "format": "rmtl-checkpoint", "rng": "123456789 987654321", "quote\"\\": "tab\tünï\u{1}",
                ])
        }

        @Test func encodeDecodeIsIdentity() throws {
            let original = Self.sample()
            let bytes = original.encoded()
            let decoded = try SafetensorsFile.decode(bytes)
            #expect(decoded == original)
            #expect(decoded["bias"]?.floats?.first?.bitPattern == 0x7FC0_1234)
            #expect(decoded["scalar"]?.elementCount == 1)
            #expect(decoded["empty.2d"]?.shape == [2, 0, 3])
            #expect(decoded["replay.ids"]?.int64s == [.min, -1, 0, .max])
            #expect(decoded["replay.ids"]?.integers == [Int.min, -1, 0, Int.max])
            #expect(decoded["mask"]?.uint8s == [0, 1, 127, 128, 255])
            #expect(decoded.encoded() == bytes)
        }

        @Test func writeIsDeterministicAndAligned() {
            // Built in two different insertion orders: same bytes.
            var a = SafetensorsFile()
            var b = SafetensorsFile()
            let items = Self.sample().tensors.sorted { $0.key < $1.key }
            for (k, v) in items { a[k] = v }
            for (k, v) in items.reversed() { b[k] = v }
            a.metadata = ["x": "1", "y": "2"]
            b.metadata = ["y": "2", "x": "1"]
            #expect(a.encoded() == b.encoded())
            let bytes = a.encoded()
            let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            #expect(n % 8 == 0)
            #expect(bytes[8 + n - 1] == UInt8(ascii: " ") || bytes[8 + n - 1] == UInt8(ascii: "}"))
            // Descending dtype alignment, then name: I64 tensors first, U8 last.
            #expect(
                a.orderedNames == [
                    "empty.2d", "replay.ids", "bias", "embedding.embedding.weight", "empty", "scalar",
                    "naïve \"name\"\n", "replay.i32", "mask",
                ])
        }

        /// The reference implementation's own serializer tests (safetensors/src/tensor.rs):
        /// rmtl must produce the same bytes.
        @Test func matchesReferenceSerializerBytes() {
            let values: [Float] = [0, 1, 2, 3, 4, 5]
            let one = SafetensorsFile(tensors: ["attn.0": TensorData(shape: [1, 2, 3], floats: values)])
            let header1 = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
            let data = values.flatMap { v in
                (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) }
            }
            #expect(one.encoded() == StorageTestSupport.file(header: header1, data: data))

            let two = SafetensorsFile(tensors: ["attn0": TensorData(shape: [1, 1, 2, 3], floats: values)])
            let header2 = #"{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}"# + "       "
            #expect(two.encoded() == StorageTestSupport.file(header: header2, data: data))

            #expect(
                SafetensorsFile().encoded() == [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
            let meta = SafetensorsFile(metadata: ["framework": "pt"])
            #expect(
                meta.encoded()
                    == StorageTestSupport.file(header: #"{"__metadata__":{"framework":"pt"}}"# + "     "))
        }

        @Test func writeToFileAndReadBack() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            let path = folder + "/model.safetensors"
            try Self.sample().write(to: path)
            #expect(try SafetensorsFile.read(path: path) == Self.sample())
            #expect(StorageTestSupport.list(folder) == ["model.safetensors"])
        }

        @Test func tensorLookupNamesWhatIsWrong() throws {
            let file = Self.sample()
            #expect(try file.tensor("scalar", dtype: .f32, shape: [], path: "c.st").floats == [3.25])
            let e1 = #expect(throws: SafetensorsError.self) {
                try file.tensor("nope", dtype: .f32, path: "c.st")
            }
            #expect(
                e1?.description == """
                    c.st: error: no tensor named 'nope'
                    hint: the file was written for another model or configuration; use a matching one or start afresh
                    """)
            let e2 = #expect(throws: SafetensorsError.self) {
                try file.tensor("mask", dtype: .f32, path: "c.st")
            }
            #expect(e2?.message == "tensor 'mask' is U8, expected F32")
            let e3 = #expect(throws: SafetensorsError.self) {
                try file.tensor("embedding.embedding.weight", dtype: .f32, shape: [2, 3], path: "c.st")
            }
            #expect(e3?.message == "tensor 'embedding.embedding.weight' has shape [3, 2], expected [2, 3]")
        }

        @Test func copyFloatsIntoABuffer() {
            let t = TensorData(shape: [2, 2], floats: [1, -2, 3.5, .leastNonzeroMagnitude])
            var out = [Float](repeating: 0, count: 4)
            #expect(out.withUnsafeMutableBufferPointer { t.copyFloats(into: $0) })
            #expect(out == [1, -2, 3.5, .leastNonzeroMagnitude])
            var short = [Float](repeating: 0, count: 3)
            #expect(!short.withUnsafeMutableBufferPointer { t.copyFloats(into: $0) })
            #expect(short == [0, 0, 0])
            #expect(t.bytes == [0, 0, 128, 63, 0, 0, 0, 192, 0, 0, 96, 64, 1, 0, 0, 0])
        }

        @Test func tensorDataChecksSizes() {
            #expect(TensorData(dtype: .f32, shape: [2], bytes: [0, 0, 0, 0]) == nil)
            #expect(TensorData(dtype: .f32, shape: [-1], bytes: []) == nil)
            #expect(TensorData(dtype: .u8, shape: [Int.max, 2], bytes: []) == nil)
            #expect(TensorData(dtype: .i32, shape: [1], bytes: [1, 0, 0, 0])?.int32s == [1])
            #expect(TensorData(shape: [1], floats: [1]).int64s == nil)
        }
    }
}

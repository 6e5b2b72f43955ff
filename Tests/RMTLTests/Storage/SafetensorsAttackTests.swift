import Foundation
import RMTL
import Testing

extension StorageTests {
    /// reliability.md G9: hand-made hostile files, each refused with its own exact message.
    @Suite("Safetensors attack table")
    struct SafetensorsAttackTests {
        struct Case: CustomTestStringConvertible, Sendable {
            let id: String
            let bytes: [UInt8]
            let message: String
            var testDescription: String { id }
        }

        static let f32x2: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64]  // [1.0, 2.0]

        static func tensor(
            _ name: String, _ dtype: String = "F32", _ shape: String = "[2]", _ offsets: String = "[0,8]"
        ) -> String {
            "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
        }

        static let nested: String = {
            let depth = 10_000
            return "{\"a\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
                + "}"
        }()

        static let cases: [Case] = {
            typealias S = StorageTestSupport
            return [
                Case(
                    id: "shorter than 8 bytes", bytes: [1, 2, 3],
                    message: "file is 3 bytes, shorter than the 8-byte header length of a safetensors file"),
                Case(
                    id: "empty file", bytes: [],
                    message: "file is 0 bytes, shorter than the 8-byte header length of a safetensors file"),
                Case(
                    id: "header length over 100 MB", bytes: S.file(header: "{}", length: 100_000_001),
                    message: "header length 100000001 exceeds the 100000000-byte limit"),
                Case(
                    id: "header length past end of file", bytes: S.file(header: "{}      ", length: 64),
                    message: "header length 64 runs past the end of the 16-byte file (needs 64 + 8 bytes)"),
                Case(
                    id: "header length 2^64-1", bytes: S.file(header: "{}      ", length: .max),
                    message:
                        "header length is 18446744073709551615 (2^64 - 1): the file is not a safetensors file"
                ),
                Case(
                    id: "header not starting with {", bytes: S.file(header: "[]      "),
                    message: "header must start with '{', found byte 0x5b"),
                Case(
                    id: "empty header", bytes: S.file(header: ""),
                    message: "header is empty, expected a JSON object"),
                Case(
                    id: "invalid UTF-8",
                    bytes: S.file(headerBytes: Array("{\"a".utf8) + [0xFF] + Array("\":1}".utf8)),
                    message: "header is not valid UTF-8 (byte 3 of the header)"),
                Case(
                    id: "overlong UTF-8",
                    bytes: S.file(headerBytes: Array("{\"".utf8) + [0xC0, 0xAF] + Array("\":1}".utf8)),
                    message: "header is not valid UTF-8 (byte 2 of the header)"),
                Case(
                    id: "JSON nested 10000 deep", bytes: S.file(header: nested),
                    message: "header JSON is nested deeper than 32 levels (byte 36 of the header)"),
                Case(
                    id: "JSON syntax: trailing comma",
                    bytes: S.file(header: "{" + tensor("w") + ",}", data: f32x2),
                    message:
                        "header is not valid JSON: expected a member name in double quotes, found '}' (byte 54 of the header)"
                ),
                Case(
                    id: "JSON: garbage after object", bytes: S.file(header: "{}x"),
                    message:
                        "header is not valid JSON: unexpected 'x' after the top-level object (byte 2 of the header)"
                ),
                Case(
                    id: "duplicate tensor name",
                    bytes: S.file(
                        header: "{" + tensor("w") + "," + tensor("w", "F32", "[2]", "[8,16]") + "}",
                        data: f32x2 + f32x2),
                    message: "duplicate tensor name 'w' in the header"),
                Case(
                    id: "overlapping offsets",
                    bytes: S.file(
                        header: "{" + tensor("w", "F32", "[3]", "[0,12]") + ","
                            + tensor("b", "F32", "[2]", "[8,16]") + "}",
                        data: f32x2 + f32x2),
                    message: "tensor 'b' data_offsets [8, 16] overlap tensor 'w' [0, 12]"),
                Case(
                    id: "gap between tensors",
                    bytes: S.file(
                        header: "{" + tensor("a", "F32", "[1]", "[0,4]") + ","
                            + tensor("b", "F32", "[1]", "[8,12]") + "}",
                        data: f32x2 + [0, 0, 0, 0]),
                    message: "tensor 'b' starts at 8 but tensor 'a' ends at 4: 4 unused bytes"),
                Case(
                    id: "gap before first tensor",
                    bytes: S.file(header: "{" + tensor("a", "F32", "[1]", "[4,8]") + "}", data: f32x2),
                    message: "tensor 'a' starts at 4, leaving data bytes [0, 4) unused"),
                Case(
                    id: "offsets out of range",
                    bytes: S.file(header: "{" + tensor("w", "F32", "[4]", "[0,16]") + "}", data: f32x2),
                    message: "tensor 'w' data_offsets [0, 16] exceed the 8 data bytes in the file"),
                Case(
                    id: "end before begin",
                    bytes: S.file(header: "{" + tensor("w", "F32", "[0]", "[8,4]") + "}", data: f32x2),
                    message: "tensor 'w' data_offsets [8, 4] end before they begin"),
                Case(
                    id: "shape product overflow",
                    bytes: S.file(
                        header: "{" + tensor("w", "F32", "[4294967296,4294967296]", "[0,8]") + "}",
                        data: f32x2),
                    message: "tensor 'w' shape [4294967296, 4294967296] of F32 overflows a 64-bit byte count"),
                Case(
                    id: "byte size != span",
                    bytes: S.file(
                        header: "{" + tensor("w", "F32", "[2]", "[0,12]") + "}", data: f32x2 + [0, 0, 0, 0]),
                    message: "tensor 'w' F32 [2] needs 8 bytes but data_offsets span 12"),
                Case(
                    id: "unknown dtype",
                    bytes: S.file(header: "{" + tensor("w", "F31") + "}", data: f32x2),
                    message: "tensor 'w' has unknown dtype 'F31'"),
                Case(
                    id: "non-string metadata",
                    bytes: S.file(
                        header: "{\"__metadata__\":{\"epoch\":3}," + tensor("w") + "}", data: f32x2),
                    message: "__metadata__ value of 'epoch' is not a string"),
                Case(
                    id: "metadata not an object",
                    bytes: S.file(header: "{\"__metadata__\":[\"a\"]}"),
                    message: "__metadata__ must be an object of string values"),
                Case(
                    id: "trailing bytes",
                    bytes: S.file(header: "{" + tensor("w") + "}", data: f32x2 + [9, 9, 9]),
                    message: "3 trailing bytes after the last tensor's data (which ends at 8)"),
                Case(
                    id: "negative dimension",
                    bytes: S.file(header: "{" + tensor("w", "F32", "[-2]") + "}", data: f32x2),
                    message: "tensor 'w' shape must be a list of non-negative integers"),
                Case(
                    id: "fractional offset",
                    bytes: S.file(header: "{" + tensor("w", "F32", "[2]", "[0,8.0]") + "}", data: f32x2),
                    message:
                        "tensor 'w' data_offsets must be a list of two non-negative integers [begin, end]"),
                Case(
                    id: "missing field",
                    bytes: S.file(header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", data: f32x2),
                    message: "tensor 'w' has no 'data_offsets' field"),
                Case(
                    id: "unknown field",
                    bytes: S.file(
                        header: "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}",
                        data: f32x2),
                    message: "tensor 'w' has unknown field 'x'"),
                Case(
                    id: "duplicate field",
                    bytes: S.file(
                        header:
                            "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                        data: f32x2),
                    message: "tensor 'w' has field 'dtype' twice"),
                Case(
                    id: "tensor entry not an object", bytes: S.file(header: "{\"w\":7}"),
                    message: "entry 'w' must be an object with dtype, shape and data_offsets"),
                Case(
                    id: "lone surrogate in name", bytes: S.file(header: "{\"\\ud800\":1}"),
                    message:
                        "header is not valid JSON: unpaired surrogate \\ud800 in string (byte 8 of the header)"
                ),
                Case(
                    id: "offset beyond 2^64",
                    bytes: S.file(header: "{" + tensor("w", "F32", "[2]", "[0,18446744073709551616]") + "}"),
                    message:
                        "tensor 'w' data_offsets must be a list of two non-negative integers [begin, end]"),
            ]
        }()

        @Test(arguments: cases)
        func isRefusedWithExactMessage(_ c: Case) {
            do {
                let file = try SafetensorsFile.decode(c.bytes, path: "attack.safetensors")
                Issue.record("accepted: \(file.tensors.keys.sorted())")
            } catch {
                #expect(error.message == c.message)
                #expect(error.description.hasPrefix("attack.safetensors: error: \(c.message)\nhint: "))
            }
        }

        @Test func hintsAreSpecific() throws {
            let e = #expect(throws: SafetensorsError.self) {
                try SafetensorsFile.decode(
                    StorageTestSupport.file(header: "{" + Self.tensor("w", "F31") + "}", data: Self.f32x2),
                    path: "ckpt.safetensors")
            }
            #expect(
                e?.description == """
                    ckpt.safetensors: error: tensor 'w' has unknown dtype 'F31'
                    hint: supported dtypes: BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64
                    """)
        }

        /// The same checks through the file reader, plus the errors only files have.
        @Test func fileReaderRefusesTooAndNamesOSErrors() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            let truncated = folder + "/truncated.safetensors"
            var bytes = SafetensorsRoundTripTests.sample().encoded()
            bytes.removeLast(5)
            StorageTestSupport.create(truncated, bytes)
            let e1 = #expect(throws: SafetensorsError.self) { try SafetensorsFile.read(path: truncated) }
            #expect(
                e1?.description.hasPrefix("\(truncated): error: tensor 'mask' data_offsets [") == true,
                "\(e1.map(String.init(describing:)) ?? "")")

            let missing = folder + "/missing.safetensors"
            let e2 = #expect(throws: SafetensorsError.self) { try SafetensorsFile.read(path: missing) }
            #expect(
                e2?.description == """
                    \(missing): error: cannot open file: No such file or directory (ENOENT)
                    hint: check the path and its permissions
                    """)

            let e3 = #expect(throws: SafetensorsError.self) { try SafetensorsFile.read(path: folder) }
            #expect(e3?.message == "cannot open file: Is a directory (EISDIR)")
        }

        /// Cheap G8 smoke: every truncation and many single-byte corruptions of a valid file are either
        /// refused with an error or decode to something; none traps.
        @Test func mutationsNeverTrap() {
            let valid = SafetensorsRoundTripTests.sample().encoded()
            for length in 0..<valid.count {
                _ = try? SafetensorsFile.decode(Array(valid[0..<length]))
            }
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            for _ in 0..<3_000 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                var mutated = valid
                let at = Int((state >> 33) % UInt64(valid.count))
                mutated[at] = UInt8(truncatingIfNeeded: state >> 13)
                _ = try? SafetensorsFile.decode(mutated)
            }
        }
    }
}

import Foundation
import RMTL
import Testing

extension StorageTests {
    @Suite("Checkpoint envelope")
    struct CheckpointTests {
        static func sample(rng: RandomGenerator) -> Checkpoint {
            Checkpoint(
                tensors: [
                    "actor.tower.0.mlp.0.weight": TensorData(shape: [2, 2], floats: [1, 2, 3, 4]),
                    "rng": rng.stateTensor,
                ],
                dataFingerprint: "ab12", config: #"{"model":"ple"}"#, extra: ["epoch": "3"])
        }

        @Test func saveRestoreContinuesTheRandomStream() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            var rng = RandomGenerator(seed: 7)
            _ = rng.next()
            let path = folder + "/run.ckpt"
            try Self.sample(rng: rng).write(to: path)
            let restored = try Checkpoint.read(path: path, expectedFingerprint: "ab12")
            #expect(restored == Self.sample(rng: rng))
            #expect(restored.extra == ["epoch": "3"])
            let saved = try #require(restored.tensors["rng"])
            var again = try #require(RandomGenerator(stateTensor: saved))
            #expect((0..<4).map { _ in again.next() } == (0..<4).map { _ in rng.next() })
        }

        @Test func refusesOtherFilesVersionsAndData() throws {
            let good = Self.sample(rng: RandomGenerator(seed: 1)).file
            var foreign = good
            foreign.metadata = ["format": "pt"]
            var future = good
            future.metadata["format_version"] = "3"
            var flipped = good        // one bit of tensor data changed after writing
            let weight = try #require(good.tensors["actor.tower.0.mlp.0.weight"])
            var bytes = weight.bytes
            bytes[5] ^= 0x10
            flipped.tensors["actor.tower.0.mlp.0.weight"] = TensorData(dtype: .f32, shape: [2, 2], bytes: bytes)
            var edited = good         // a metadata value changed after writing
            edited.metadata["config"] = #"{"model":"esmm"}"#
            let digest = good.metadata["content_digest"]!
            let cases: [(SafetensorsFile, String?, String)] = [
                (foreign, nil, "not an rmtl checkpoint: __metadata__ format is 'pt'"),
                (SafetensorsFile(), nil, "not an rmtl checkpoint: __metadata__ has no 'format' entry"),
                (future, nil, "checkpoint format version '3' is not supported (this rmtl reads version 2)"),
                (flipped, "ab12", "checkpoint is corrupted: its contents hash to \(Checkpoint.digest(metadata: flipped.metadata, tensors: flipped.tensors)), but it was written with content_digest \(digest)"),
                (edited, "ab12", "checkpoint is corrupted: its contents hash to \(Checkpoint.digest(metadata: edited.metadata, tensors: edited.tensors)), but it was written with content_digest \(digest)"),
                (
                    good, "ffff",
                    "checkpoint was trained on data with fingerprint ab12, but the loaded data has ffff"
                ),
            ]
            for (file, fingerprint, message) in cases {
                let e = #expect(throws: SafetensorsError.self) {
                    try Checkpoint.make(from: file, path: "run.ckpt", expectedFingerprint: fingerprint)
                }
                #expect(e?.message == message)
            }
            #expect(throws: Never.self) {
                try Checkpoint.make(from: good, path: "run.ckpt", expectedFingerprint: "ab12")
            }
        }

        /// Every single-bit flip anywhere in a checkpoint (length prefix, header, padding, tensor
        /// data) and every truncation is refused: by the safetensors checks or by the content digest.
        @Test func refusesEveryFlippedBitAndEveryTruncation() throws {
            let bytes = Self.sample(rng: RandomGenerator(seed: 3)).file.encoded()
            func accepted(_ b: [UInt8]) -> Bool {
                (try? Checkpoint.make(from: SafetensorsFile.decode(b, path: "run.ckpt"), path: "run.ckpt")) != nil
            }
            #expect(accepted(bytes))
            var acceptedFlips: [String] = []
            for i in bytes.indices {
                for bit in 0..<8 {
                    var b = bytes
                    b[i] ^= UInt8(1) << UInt8(bit)
                    if accepted(b) { acceptedFlips.append("byte \(i) bit \(bit)") }
                }
            }
            #expect(acceptedFlips.isEmpty, "accepted: \(acceptedFlips.prefix(10))")
            let acceptedCuts = (0..<bytes.count).filter { accepted(Array(bytes.prefix($0))) }
            #expect(acceptedCuts.isEmpty, "accepted truncations to \(acceptedCuts.prefix(10)) bytes")
        }

        @Test func refusesRandomStateOfWrongShape() {
            #expect(RandomGenerator(stateTensor: TensorData(shape: [3], uint64s: [1, 2, 3])) == nil)
            #expect(RandomGenerator(stateTensor: TensorData(shape: [4], int64s: [1, 2, 3, 4])) == nil)
        }
    }
}

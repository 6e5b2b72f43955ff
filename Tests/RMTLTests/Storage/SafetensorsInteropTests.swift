import Foundation
import RMTL
import Testing

extension StorageTests {
    /// reliability.md G10: a file written by the reference Python writer (`safetensors.numpy.save_file`,
    /// scripts/torch/make_interop_fixture.py) loads bit for bit, and rmtl's writer reproduces it byte
    /// for byte.
    @Suite("Safetensors interop with the reference writer")
    struct SafetensorsInteropTests {
        @Test func readsReferenceFileBitForBit() throws {
            let path = StorageTestSupport.fixturePath("interop_numpy.safetensors")
            let file = try SafetensorsFile.read(path: path)
            #expect(file.tensors.count == 10)
            let f32 = try #require(file["f32"])
            #expect(f32.shape == [2, 3])
            #expect(
                f32.floats?.map(\.bitPattern) == [
                    0x0000_0000, 0x8000_0000, 0x3FC0_0000, 0x7F7F_FFFF, 0x0000_0001, 0x7F80_0000,
                ])
            #expect(file["f32.nan"]?.floats?.map(\.bitPattern) == [0x7FC0_0000, 0xFF80_0000])
            #expect(file["f64"]?.doubles == [1.0 / 3.0, -2.5])
            #expect(file["i64"]?.int64s == [.min, -1, 0, .max])
            #expect(file["i32"]?.int32s == [.min, 7, .max])
            #expect(file["u8"]?.uint8s == [0, 1, 127, 128, 255])
            #expect(
                file["empty"].map { ($0.dtype, $0.shape, $0.bytes.count) } ?? (.bool, [], -1) == (
                    .f32, [0], 0
                ))
            #expect(file["empty.2d"]?.shape == [2, 0])
            #expect(file["empty.2d"]?.dtype == .i64)
            #expect(file["scalar"]?.shape == [])
            #expect(file["scalar"]?.floats == [2.5])
            #expect(file["weight.ünïcode"]?.floats == [0, 1, 2, 3, 4, 5])
            #expect(file["weight.ünïcode"]?.shape == [1, 2, 3])
            #expect(
                file.metadata["note"]?.hasPrefix("interop fixture \"quoted\"\n written by safetensors ")
                    == true)
        }

        @Test func writerReproducesReferenceBytes() throws {
            let path = StorageTestSupport.fixturePath("interop_numpy.safetensors")
            let reference = try #require(StorageTestSupport.contents(path))
            let file = try SafetensorsFile.read(path: path)
            #expect(file.encoded() == reference)
        }
    }
}

extension StorageTests.SafetensorsInteropTests {
    /// By-hand check of the other direction (rmtl writes, Python reads): run
    /// `RMTL_INTEROP_OUT=/tmp/rmtl.safetensors swift test -c release --disable-testable-imports
    /// --disable-xctest --filter writeFileForPython`, then
    /// `.venv-torch/bin/python scripts/torch/check_swift_file.py /tmp/rmtl.safetensors`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["RMTL_INTEROP_OUT"] != nil))
    func writeFileForPython() throws {
        let path = try #require(ProcessInfo.processInfo.environment["RMTL_INTEROP_OUT"])
        let sample = StorageTests.SafetensorsRoundTripTests.sample()
        try sample.write(to: path)
        // What Python will read is what was meant: the file reads back to the same bytes.
        #expect(try SafetensorsFile.read(path: path).encoded() == sample.encoded())
    }
}

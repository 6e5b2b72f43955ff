// libFuzzer target: the checkpoint loader on bytes (SafetensorsReader, then Checkpoint's checks).
import RMTL
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let file = try? SafetensorsFile.decode(bytes(data, size)) else { return 0 }
    _ = try? Checkpoint.make(from: file, path: "<fuzz>")
    _ = file.orderedNames
    return 0
}

/// `RMTL_FUZZ_MAKE_SEEDS=DIR`: writes seed inputs (small valid checkpoints) to DIR and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initializeCheckpoint(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    guard let dir = ProcessInfo.processInfo.environment["RMTL_FUZZ_MAKE_SEEDS"] else { return 0 }
    let a = Checkpoint(
        tensors: ["w": TensorData(shape: [2, 3], floats: [1, -2, 0.5, 0, 3, 4]),
                  "step": TensorData(shape: [1], int64s: [7])],
        dataFingerprint: "0123456789abcdef", config: #"{"model":"esmm","embed":4}"#, extra: ["epoch": "1"])
    let b = Checkpoint(
        tensors: ["ids": TensorData(shape: [3], int32s: [1, 2, 3]), "flags": TensorData(shape: [2, 2], uint8s: [0, 1, 1, 0]),
                  "seeds": TensorData(shape: [], uint64s: [42])],
        dataFingerprint: "fp", config: "{}")
    writeFile(dir + "/checkpoint-a.safetensors", a.file.encoded())
    writeFile(dir + "/checkpoint-b.safetensors", b.file.encoded())
    exit(0)
}

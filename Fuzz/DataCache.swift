// libFuzzer target: the data-cache loader (DataCache.load) on a cache file whose payload is the
// input. The envelope (magic, version, key, length, checksum) is built around it here, so the
// fuzzer reaches the table decoder instead of stopping at the checksum.
import Foundation
import RMTL

let cacheKey = "rmtl fuzz key"

func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDataCache(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let payload = bytes(data, size)
    var file = Array("RMTLDATA".utf8) + le(UInt32(1)) + le(UInt32(cacheKey.utf8.count)) + Array(cacheKey.utf8)
    file += le(UInt64(payload.count)) + payload + le(DataCache.checksum(payload))
    let path = fuzzDirectory + "/input.rmtlcache"
    writeFile(path, file)
    _ = try? DataCache.load(path: path, key: cacheKey)
    return 0
}

/// `RMTL_FUZZ_MAKE_SEEDS=DIR`: loads each CSV in `RMTL_FUZZ_SEED_CSV` (`:`-separated) with the cache
/// on, writes the payload of each cache file to DIR, and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initializeDataCache(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    let env = ProcessInfo.processInfo.environment
    guard let dir = env["RMTL_FUZZ_MAKE_SEEDS"] else { return 0 }
    for (n, csv) in (env["RMTL_FUZZ_SEED_CSV"] ?? "").split(separator: ":").enumerated() {
        let cacheDir = fuzzDirectory + "/cache\(n)"
        try! FileManager.default.createDirectory(atPath: cacheDir, withIntermediateDirectories: true)
        let options = CSVLoadOptions(
            categorical: ["user_id", "video_id", "tab"], numeric: ["duration_ms"],
            labels: [.init(task: "ctr", column: "is_click")], session: "user_id", time: "play_time_ms")
        _ = try! DataPipeline.loadCSV(path: String(csv), options: options, cache: CacheOptions(folder: cacheDir))
        for name in try! FileManager.default.contentsOfDirectory(atPath: cacheDir) where name.hasSuffix(".rmtlcache") {
            let b = Array(FileManager.default.contents(atPath: cacheDir + "/" + name)!)
            let keyLength = Int(b[12]) | Int(b[13]) << 8 | Int(b[14]) << 16 | Int(b[15]) << 24
            let start = 16 + keyLength + 8
            writeFile(dir + "/\(n)-\(name.prefix(12)).payload", b[start..<(b.count - 8)])
        }
    }
    exit(0)
}

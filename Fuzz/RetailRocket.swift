// libFuzzer target: `load retailrocket` (DataPipeline.loadRetailRocket, cache off). The input holds
// the four Kaggle files separated by `\n=====\n` lines: events.csv, item_properties_part1.csv,
// item_properties_part2.csv, category_tree.csv.
import Foundation
import RMTL

let names = ["events.csv", "item_properties_part1.csv", "item_properties_part2.csv", "category_tree.csv"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRetailRocket(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    for (name, content) in zip(names, splitFiles(bytes(data, size), into: names.count)) {
        writeFile(fuzzDirectory + "/" + name, content)
    }
    _ = try? DataPipeline.loadRetailRocket(directory: fuzzDirectory, cache: .disabled)
    return 0
}

/// `RMTL_FUZZ_MAKE_SEEDS=DIR`: writes a seed from `generate retailrocket` (first lines of each file)
/// to DIR and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initializeRetailRocket(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    guard let dir = ProcessInfo.processInfo.environment["RMTL_FUZZ_MAKE_SEEDS"] else { return 0 }
    let generated = fuzzDirectory + "/generated"
    try! SyntheticRetailRocket.write(to: generated, events: 200, seed: 7)
    for lines in [12, 40] {
        var seed: [UInt8] = []
        for (i, name) in names.enumerated() {
            let text = (try? String(contentsOfFile: generated + "/" + name, encoding: .utf8)) ?? ""
            let head = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(lines).joined(separator: "\n")
            seed += Array(head.utf8) + (i < names.count - 1 ? Array("\n=====\n".utf8) : [])
        }
        writeFile(dir + "/generated-\(lines)", seed)
    }
    exit(0)
}

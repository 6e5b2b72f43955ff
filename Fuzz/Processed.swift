// libFuzzer target: `load rmtl` (DataPipeline.loadProcessed, cache off), the authors' processed
// layout. The input holds four files separated by `\n=====\n` lines: item_feadf.csv, train.csv,
// val.csv, test.csv. The first byte picks the selection (test or val).
import RMTL

let names = ["item_feadf.csv", "train.csv", "val.csv", "test.csv"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProcessed(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    for (name, content) in zip(names, splitFiles(Array(input.dropFirst()), into: names.count)) {
        writeFile(fuzzDirectory + "/" + name, content)
    }
    let options = ProcessedLoadOptions(selection: (input.first ?? 0) & 1 == 0 ? .test : .val)
    _ = try? DataPipeline.loadProcessed(directory: fuzzDirectory, options: options, cache: .disabled)
    return 0
}

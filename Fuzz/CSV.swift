// libFuzzer target: `load csv` (DataPipeline.loadCSV, cache off) on the input as a CSV file with
// the columns of scripts/csv.rmtl's KuaiRand sample. The first byte picks the variant: tab or comma,
// log scale, with or without the time column.
import RMTL

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = bytes(data, size)
    let flags = input.first ?? 0
    let path = fuzzDirectory + "/input.csv"
    writeFile(path, input.dropFirst())
    var options = CSVLoadOptions(
        categorical: ["user_id", "video_id", "tab"], numeric: ["duration_ms"],
        labels: [.init(task: "ctr", column: "is_click")], session: "user_id",
        time: flags & 2 != 0 ? "play_time_ms" : nil,
        separator: flags & 1 != 0 ? UInt8(ascii: "\t") : UInt8(ascii: ","))
    options.logNumeric = flags & 4 != 0
    _ = try? DataPipeline.loadCSV(path: path, options: options, cache: .disabled)
    return 0
}

import Foundation
import RMTL
import Testing

/// A fresh temporary folder for one test, removed by `cleanup()`.
struct TemporaryFolder {
    let path: String

    init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        path = NSTemporaryDirectory() + "rmtl-data-\(safe)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` inside the folder and returns the full path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
        return file
    }

    @discardableResult
    func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Every record of a CSV file as strings.
func readAllRecords(_ path: String, separator: UInt8 = UInt8(ascii: ",")) throws -> [[String]] {
    let reader = try CSVReader(path: path, separator: separator)
    var rows: [[String]] = []
    while try reader.nextRecord() { rows.append((0..<reader.fieldCount).map { reader.string($0) }) }
    return rows
}

/// The folder of real KuaiRand rows (`/work/shared/data/kuairand` beside the repository).
func sharedKuaiRandFolder(filePath: String = #filePath) -> String {
    // Tests/RMTLTests/Data/<file> → repository root → its parent holds shared/.
    var url = URL(fileURLWithPath: filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }
    return url.deletingLastPathComponent().appendingPathComponent("shared/data/kuairand").path
}

// Shared by every libFuzzer target (compiled into each by scripts/fuzz).
#if canImport(Glibc)
    import Glibc
#endif
import Foundation

/// A private temp folder for this process: inputs that the code under test reads from files are
/// written here, and script includes are resolved from here. On /dev/shm (memory) when there is
/// one: the readers take paths, and a disk-backed /tmp costs more per input than the parsing.
let fuzzDirectory: String = {
    let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    var template = Array("\(base)/rmtl-fuzz-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else { fatalError("mkdtemp failed") }
    atexit { try? FileManager.default.removeItem(atPath: fuzzDirectory) }
    return String(cString: p)
}()

/// Writes `bytes` to `path` (replacing it).
func writeFile(_ path: String, _ bytes: some Collection<UInt8>) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("cannot write \(path)") }
    let array = Array(bytes)
    var done = 0
    while done < array.count {
        let n = array.withUnsafeBytes { write(fd, $0.baseAddress! + done, array.count - done) }
        guard n > 0 else { fatalError("write failed") }
        done += n
    }
    close(fd)
}

func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Splits `input` at each `\n=====\n` line: one input holds several files.
func splitFiles(_ input: [UInt8], into count: Int) -> [[UInt8]] {
    let marker = Array("\n=====\n".utf8)
    var parts: [[UInt8]] = []
    var start = 0
    var i = 0
    while i + marker.count <= input.count && parts.count < count - 1 {
        if input[i..<i + marker.count].elementsEqual(marker) {
            parts.append(Array(input[start..<i]))
            i += marker.count
            start = i
        } else { i += 1 }
    }
    parts.append(Array(input[start...]))
    while parts.count < count { parts.append([]) }
    return parts
}

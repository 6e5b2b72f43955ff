#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered writer of bytes and decimal numbers to one file (no `String` building per row).
final class ByteFileWriter {
    let path: String
    private let fd: Int32
    private var buffer: UnsafeMutablePointer<UInt8>
    private let capacity = 1 << 20
    private var count = 0
    private(set) var bytesWritten = 0

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw DataError(file: path, message: "cannot create file (\(String(cString: strerror(errno))))")
        }
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
        if fd >= 0 { close(fd) }
    }

    @inline(__always)
    func byte(_ b: UInt8) {
        if count == capacity { flushBuffer() }
        buffer[count] = b
        count += 1
    }

    func text(_ s: StaticString) {
        s.withUTF8Buffer { for b in $0 { byte(b) } }
    }

    func bytes(_ b: [UInt8]) { for x in b { byte(x) } }

    /// Writes `v` in decimal.
    func int(_ v: Int64) {
        if count + 24 > capacity { flushBuffer() }
        var x = v.magnitude
        if v < 0 {
            buffer[count] = UInt8(ascii: "-")
            count += 1
        }
        // Write digits backwards into a small stack area.
        var scratch: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &scratch) { s in
            repeat {
                s[n] = UInt8(48 + x % 10)
                x /= 10
                n += 1
            } while x > 0
            for i in 0..<n { buffer[count + i] = s[n - 1 - i] }
        }
        count += n
    }

    func int(_ v: Int) { int(Int64(v)) }

    private func flushBuffer() {
        var offset = 0
        while offset < count {
            let n = write(fd, buffer + offset, count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            offset += n
        }
        bytesWritten += offset
        count = 0
    }

    /// Flushes and closes; throws if any byte could not be written.
    func finish() throws {
        let expected = bytesWritten + count
        flushBuffer()
        guard bytesWritten == expected else {
            throw DataError(file: path, message: "write failed (\(String(cString: strerror(errno))))")
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads and validates a safetensors file.
///
/// Every number in the header is checked against the real file size before anything is sized
/// from it (reliability.md G8/G9): the header length against the file, then each tensor's dtype,
/// shape (overflow-checked product), offsets (order, range, size = span), then the layout as a
/// whole (no overlap, no gap, no trailing bytes). Only then are tensor bytes read, each buffer
/// bounded by the file's real size. The checks mirror the reference loader's, with one error per
/// cause instead of its few coarse ones.
enum SafetensorsReader {
    /// The reference loader's header limit (`MAX_HEADER_SIZE`).
    static let maximumHeaderLength: UInt64 = 100_000_000

    /// One tensor's header entry after validation.
    private struct Entry {
        let index: Int
        let name: String
        let dtype: TensorDType
        let shape: [Int]
        let begin: UInt64
        let end: UInt64
    }

    static func read(_ source: some ByteSource) throws(SafetensorsError.Reason) -> SafetensorsFile {
        let size = source.size
        guard size >= 8 else { throw .fileTooShort(size: size) }
        let lengthBytes = try source.read(offset: 0, count: 8)
        var n: UInt64 = 0
        for (i, b) in lengthBytes.enumerated() { n |= UInt64(b) << (8 * UInt64(i)) }
        if n == UInt64.max { throw .headerLengthMaximum }
        if n > maximumHeaderLength { throw .headerTooLarge(length: n) }
        if n + 8 > UInt64(size) { throw .headerPastEnd(length: n, fileSize: size) }
        let header = try source.read(offset: 8, count: Int(n))
        guard let first = header.first else { throw .headerNotObject(firstByte: nil) }
        guard first == UInt8(ascii: "{") else { throw .headerNotObject(firstByte: first) }
        if let bad = firstInvalidUTF8Byte(header) { throw .invalidUTF8(byte: bad) }
        let json: HeaderJSON
        do { json = try HeaderJSON.parse(header) } catch { throw error.reason }
        guard case .object(let members) = json else { throw .headerNotObject(firstByte: first) }

        let dataSize = UInt64(size) - 8 - n
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        var seen = Set<String>()
        for member in members {
            guard seen.insert(member.key).inserted else { throw .duplicateTensor(member.key) }
            if member.key == "__metadata__" {
                metadata = try parseMetadata(member.value)
            } else {
                entries.append(try parseEntry(member, index: entries.count, dataSize: dataSize))
            }
        }
        try checkLayout(entries, dataSize: dataSize)

        var tensors: [String: TensorData] = [:]
        for e in entries {
            let bytes = try source.read(offset: Int(8 + n + e.begin), count: Int(e.end - e.begin))
            tensors[e.name] = TensorData(validated: e.dtype, shape: e.shape, bytes: bytes)
        }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    private static func parseMetadata(_ value: HeaderJSON) throws(SafetensorsError.Reason) -> [String: String]
    {
        guard case .object(let members) = value else { throw .metadataNotObject }
        var metadata: [String: String] = [:]
        for m in members {
            guard case .string(let s) = m.value else { throw .metadataValueNotString(key: m.key) }
            guard metadata.updateValue(s, forKey: m.key) == nil else { throw .duplicateMetadataKey(m.key) }
        }
        return metadata
    }

    private static func parseEntry(
        _ member: HeaderJSON.Member, index: Int, dataSize: UInt64
    ) throws(SafetensorsError.Reason) -> Entry {
        let name = member.key
        guard case .object(let fields) = member.value else { throw .tensorNotObject(name) }
        var dtypeText: String?
        var shapeValue: HeaderJSON?
        var offsetsValue: HeaderJSON?
        var seenFields = Set<String>()
        for f in fields {
            guard seenFields.insert(f.key).inserted else { throw .duplicateField(tensor: name, field: f.key) }
            switch f.key {
            case "dtype":
                guard case .string(let s) = f.value else {
                    throw .unknownDType(tensor: name, dtype: "(not a string)")
                }
                dtypeText = s
            case "shape": shapeValue = f.value
            case "data_offsets": offsetsValue = f.value
            default: throw .unknownField(tensor: name, field: f.key)
            }
        }
        guard let dtypeText else { throw .missingField(tensor: name, field: "dtype") }
        guard let shapeValue else { throw .missingField(tensor: name, field: "shape") }
        guard let offsetsValue else { throw .missingField(tensor: name, field: "data_offsets") }
        guard let dtype = TensorDType(rawValue: dtypeText) else {
            throw .unknownDType(tensor: name, dtype: dtypeText)
        }
        guard let dims = integers(shapeValue) else { throw .badShape(tensor: name) }
        guard let offsets = integers(offsetsValue), offsets.count == 2 else {
            throw .badOffsets(tensor: name)
        }
        let (begin, end) = (offsets[0], offsets[1])
        if end < begin { throw .endBeforeBegin(tensor: name, begin: begin, end: end) }

        // Byte count = product(shape) * dtype size, every step overflow-checked, and it must fit Int.
        var count: UInt64 = 1
        for d in dims {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow { throw .shapeOverflow(tensor: name, shape: dims, dtype: dtypeText) }
            count = p
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: UInt64(dtype.byteCount))
        if overflow || byteCount > UInt64(Int.max) {
            throw .shapeOverflow(tensor: name, shape: dims, dtype: dtypeText)
        }
        // Each dimension <= count <= Int.max unless some dimension is 0; clamp-check them all.
        guard dims.allSatisfy({ $0 <= UInt64(Int.max) }) else {
            throw .shapeOverflow(tensor: name, shape: dims, dtype: dtypeText)
        }
        let shape = dims.map { Int($0) }
        if byteCount != end - begin {
            throw .sizeMismatch(
                tensor: name, dtype: dtypeText, shape: shape, expected: Int(byteCount), span: end - begin)
        }
        if end > dataSize { throw .outOfRange(tensor: name, begin: begin, end: end, dataSize: dataSize) }
        return Entry(index: index, name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// A JSON array of non-negative 64-bit integers, or nil.
    private static func integers(_ value: HeaderJSON) -> [UInt64]? {
        guard case .array(let elements) = value else { return nil }
        var out: [UInt64] = []
        out.reserveCapacity(elements.count)
        for e in elements {
            guard case .number(let integer?) = e else { return nil }
            out.append(integer)
        }
        return out
    }

    /// Tensors sorted by offsets must tile `[0, dataSize)` exactly.
    private static func checkLayout(_ entries: [Entry], dataSize: UInt64) throws(SafetensorsError.Reason) {
        let sorted = entries.sorted { ($0.begin, $0.end, $0.index) < ($1.begin, $1.end, $1.index) }
        var expected: UInt64 = 0
        var previous: Entry?
        for e in sorted {
            if e.begin < expected, let p = previous {
                throw .overlap(
                    tensor: e.name, begin: e.begin, end: e.end, other: p.name, otherBegin: p.begin,
                    otherEnd: p.end)
            }
            if e.begin > expected {
                throw .gap(tensor: e.name, begin: e.begin, previous: previous?.name, previousEnd: expected)
            }
            expected = e.end
            previous = e
        }
        if expected < dataSize { throw .trailingBytes(count: dataSize - expected, dataEnd: expected) }
    }
}

// MARK: - Byte sources

/// Random access to the bytes of a file or buffer. `read` never returns fewer bytes than asked.
protocol ByteSource {
    var size: Int { get }
    func read(offset: Int, count: Int) throws(SafetensorsError.Reason) -> [UInt8]
}

struct MemoryByteSource: ByteSource {
    let bytes: [UInt8]
    var size: Int { bytes.count }
    func read(offset: Int, count: Int) throws(SafetensorsError.Reason) -> [UInt8] {
        Array(bytes[offset..<offset + count])
    }
}

/// A file opened read-only; reads with `pread`. Close with `close()`.
final class FileByteSource: ByteSource {
    let descriptor: Int32
    let size: Int

    init(path: String) throws(SafetensorsError.Reason) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(systemErrorMessage(errno)) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let e = errno
            closeDescriptor(fd)
            throw .cannotOpen(systemErrorMessage(e))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            closeDescriptor(fd)
            throw .cannotOpen(systemErrorMessage(EISDIR))
        }
        descriptor = fd
        size = Int(info.st_size)
    }

    func close() { closeDescriptor(descriptor) }

    func read(offset: Int, count: Int) throws(SafetensorsError.Reason) -> [UInt8] {
        if count == 0 { return [] }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: Int32 = 0
        out.withUnsafeMutableBytes { raw in
            while done < count {
                // Non-nil: `out` is not empty (count > 0 above).
                let r = pread(descriptor, raw.baseAddress! + done, count - done, off_t(offset + done))
                if r > 0 {
                    done += r
                    continue
                }
                if r < 0 && errno == EINTR { continue }
                failure = r == 0 ? -1 : errno
                return
            }
        }
        if failure == -1 { throw .cannotRead("file shrank while being read") }
        if failure != 0 { throw .cannotRead(systemErrorMessage(failure)) }
        return out
    }
}

/// `close(2)`, named so methods called `close` can reach it.
func closeDescriptor(_ fd: Int32) { _ = close(fd) }

/// `strerror` text with the symbolic name, e.g. "No space left on device (ENOSPC)".
func systemErrorMessage(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    let names: [Int32: String] = [
        ENOENT: "ENOENT", EACCES: "EACCES", EPERM: "EPERM", ENOSPC: "ENOSPC", EIO: "EIO",
        EISDIR: "EISDIR", ENOTDIR: "ENOTDIR", EROFS: "EROFS", EDQUOT: "EDQUOT", EEXIST: "EEXIST",
        EXDEV: "EXDEV", EMFILE: "EMFILE", ENAMETOOLONG: "ENAMETOOLONG", EINTR: "EINTR",
    ]
    if let name = names[code] { return "\(text) (\(name))" }
    return "\(text) (errno \(code))"
}

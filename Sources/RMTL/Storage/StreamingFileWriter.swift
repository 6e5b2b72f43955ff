/// A 1 MiB buffer in front of `AtomicFile.stream`: callers append text and numbers row by row and
/// the buffer goes to the file whenever it fills, so a file is never built whole in memory.
public final class StreamingFileWriter {
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20
    private let sink: ([UInt8]) throws(SystemError) -> Void
    /// Bytes handed on so far, buffered ones included.
    public private(set) var byteCount = 0

    init(sink: @escaping ([UInt8]) throws(SystemError) -> Void) {
        self.sink = sink
        buffer.reserveCapacity(capacity)
    }

    public func append(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        byteCount += text.utf8.count
        if buffer.count >= capacity { try flush() }
    }

    public func append<Bytes: Collection<UInt8>>(bytes: Bytes) throws {
        buffer.append(contentsOf: bytes)
        byteCount += bytes.count
        if buffer.count >= capacity { try flush() }
    }

    func flush() throws(SystemError) {
        guard !buffer.isEmpty else { return }
        try sink(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

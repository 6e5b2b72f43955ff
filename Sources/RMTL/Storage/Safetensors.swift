/// A safetensors file in memory: named tensors plus string metadata.
///
/// Layout (the reference format, readable by `safetensors.numpy.load_file`):
/// ```
/// [8 bytes: N, little-endian u64] [N bytes: JSON header, padded with spaces to a multiple of 8]
/// [data: each tensor's little-endian bytes, back to back, no gaps]
/// header = {"__metadata__": {"k": "v", ...},
///           "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
/// ```
/// Writing is deterministic: tensors ordered by descending dtype alignment, then by name (byte
/// order), as the reference serializer orders them; metadata keys sorted; compact JSON. The same
/// content therefore always gives the same bytes (reliability.md G15).
/// Reading validates everything before allocating (see `SafetensorsReader`).
public struct SafetensorsFile: Sendable, Equatable {
    public var tensors: [String: TensorData]
    public var metadata: [String: String]

    public init(tensors: [String: TensorData] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    public subscript(name: String) -> TensorData? {
        get { tensors[name] }
        set { tensors[name] = newValue }
    }

    /// The tensor called `name`, checked to have `dtype` and, when given, `shape`; `path` names the
    /// file in the error. For restoring checkpoints: a mismatch is an error the user can act on.
    public func tensor(
        _ name: String, dtype: TensorDType, shape: [Int]? = nil, path: String
    ) throws(SafetensorsError) -> TensorData {
        guard let t = tensors[name] else { throw SafetensorsError(path: path, reason: .missingTensor(name)) }
        guard t.dtype == dtype else {
            throw SafetensorsError(
                path: path,
                reason: .wrongDType(tensor: name, expected: dtype.rawValue, found: t.dtype.rawValue))
        }
        if let shape, shape != t.shape {
            throw SafetensorsError(
                path: path, reason: .wrongShape(tensor: name, expected: shape, found: t.shape))
        }
        return t
    }

    /// Tensor names in file order: descending dtype alignment, then name.
    public var orderedNames: [String] {
        tensors.keys.sorted { a, b in
            // Both keys exist: they come from `tensors.keys`.
            let ra = tensors[a]?.dtype.rank ?? 0
            let rb = tensors[b]?.dtype.rank ?? 0
            if ra != rb { return ra > rb }
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    // MARK: - Reading

    /// Reads and validates the file at `path`.
    public static func read(path: String) throws(SafetensorsError) -> SafetensorsFile {
        let source: FileByteSource
        do { source = try FileByteSource(path: path) } catch {
            throw SafetensorsError(path: path, reason: error)
        }
        defer { source.close() }
        do { return try SafetensorsReader.read(source) } catch {
            throw SafetensorsError(path: path, reason: error)
        }
    }

    /// Decodes and validates a whole file held in memory; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws(SafetensorsError)
        -> SafetensorsFile
    {
        do { return try SafetensorsReader.read(MemoryByteSource(bytes: bytes)) } catch {
            throw SafetensorsError(path: path, reason: error)
        }
    }

    // MARK: - Writing

    /// The whole file as bytes.
    public func encoded() -> [UInt8] {
        Array(encodedChunks().joined())
    }

    /// Writes the file atomically (see `AtomicFile`): a failure leaves any previous file intact.
    public func write(to path: String, io: some FileIO = POSIXFileIO()) throws(AtomicFileError) {
        try AtomicFile.write(encodedChunks(), to: path, io: io)
    }

    /// Length prefix plus header as the first chunk, then each tensor's bytes in file order.
    func encodedChunks() -> [[UInt8]] {
        let names = orderedNames
        var header: [UInt8] = [UInt8(ascii: "{")]
        var isFirst = true
        func separator() {
            if !isFirst { header.append(UInt8(ascii: ",")) }
            isFirst = false
        }
        if !metadata.isEmpty {
            separator()
            HeaderJSON.appendString("__metadata__", to: &header)
            header += Array(":{".utf8)
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                if i > 0 { header.append(UInt8(ascii: ",")) }
                HeaderJSON.appendString(key, to: &header)
                header.append(UInt8(ascii: ":"))
                HeaderJSON.appendString(metadata[key] ?? "", to: &header)
            }
            header.append(UInt8(ascii: "}"))
        }
        var chunks: [[UInt8]] = [[]]
        var offset = 0
        for name in names {
            guard let t = tensors[name] else { continue }
            separator()
            HeaderJSON.appendString(name, to: &header)
            let shape = t.shape.map(String.init).joined(separator: ",")
            header += Array(":{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],".utf8)
            header += Array("\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}".utf8)
            offset += t.bytes.count
            chunks.append(t.bytes)
        }
        header.append(UInt8(ascii: "}"))
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        chunks[0] = TensorData.littleEndianBytes([UInt64(header.count)]) + header
        return chunks
    }
}

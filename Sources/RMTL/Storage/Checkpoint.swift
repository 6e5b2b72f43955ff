/// The envelope of an rmtl checkpoint: a safetensors file whose `__metadata__` names the format,
/// its version, the fingerprint of the data the state was trained on, and the configuration.
///
/// ```
/// __metadata__ = {"format": "rmtl-checkpoint", "format_version": "2",
///                 "data_fingerprint": "<hex>", "config": "<JSON text>",
///                 "content_digest": "fnv1a64:<hex>", ...extra keys}
/// ```
/// What the tensors mean is up to the caller: the engine's types write and read their own
/// (`TrainableModel`, `Adam`, `ReplayBuffer`, `RLAgent`: the `+Checkpoint.swift` files, through
/// `CheckpointReader`). This type only guarantees the atomic write and the checks on restore, in
/// this order: a valid safetensors file (`SafetensorsReader`), the format, the version, the
/// content digest, then the fingerprint.
///
/// Safetensors has no checksum, so a flipped bit in tensor data would load silently. The
/// `content_digest` closes that gap: FNV-1a 64 over every metadata entry but itself (keys in byte
/// order, each as `key 0x00 value 0x00`), then every tensor in name byte order as
/// `name 0x00 dtype 0x00 shape-as-"2,3" 0x00 data-bytes`. Version 1 files (no digest) are refused.
/// Shapes are checked per tensor with `SafetensorsFile.tensor(_:dtype:shape:path:)`.
public struct Checkpoint: Sendable, Equatable {
    public static let format = "rmtl-checkpoint"
    /// Bump when the meaning of the tensors or metadata changes; old files are then refused.
    public static let currentVersion = 2

    public var tensors: [String: TensorData]
    /// Fingerprint of the data set the state belongs to (computed by the data layer).
    public var dataFingerprint: String
    /// The configuration as JSON text (models, sizes, modes), for `show` and for rebuilding.
    public var config: String
    /// Further string entries (e.g. epoch, seed). Keys must not collide with the reserved ones.
    public var extra: [String: String]

    public init(
        tensors: [String: TensorData], dataFingerprint: String, config: String, extra: [String: String] = [:]
    ) {
        self.tensors = tensors
        self.dataFingerprint = dataFingerprint
        self.config = config
        self.extra = extra
    }

    static let reservedKeys: Set<String> = ["format", "format_version", "data_fingerprint", "config", "content_digest"]

    /// The safetensors file this checkpoint is stored as.
    public var file: SafetensorsFile {
        var metadata = extra.filter { !Self.reservedKeys.contains($0.key) }
        metadata["format"] = Self.format
        metadata["format_version"] = String(Self.currentVersion)
        metadata["data_fingerprint"] = dataFingerprint
        metadata["config"] = config
        metadata["content_digest"] = Self.digest(metadata: metadata, tensors: tensors)
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Writes atomically: a failure leaves the previous checkpoint at `path` intact.
    public func write(to path: String, io: some FileIO = POSIXFileIO()) throws(AtomicFileError) {
        try file.write(to: path, io: io)
    }

    /// Reads and checks a checkpoint. With `expectedFingerprint`, a checkpoint trained on other
    /// data is refused.
    public static func read(path: String, expectedFingerprint: String? = nil) throws(SafetensorsError)
        -> Checkpoint
    {
        try make(from: SafetensorsFile.read(path: path), path: path, expectedFingerprint: expectedFingerprint)
    }

    /// The checks of `read` on a file already in memory.
    public static func make(
        from file: SafetensorsFile, path: String, expectedFingerprint: String? = nil
    ) throws(SafetensorsError) -> Checkpoint {
        let m = file.metadata
        guard m["format"] == format else {
            throw SafetensorsError(path: path, reason: .notACheckpoint(format: m["format"]))
        }
        let version = m["format_version"] ?? "(none)"
        guard version == String(currentVersion) else {
            throw SafetensorsError(
                path: path, reason: .checkpointVersion(found: version, supported: currentVersion))
        }
        let stored = m["content_digest"] ?? "(none)"
        let computed = digest(metadata: m, tensors: file.tensors)
        guard stored == computed else {
            throw SafetensorsError(path: path, reason: .checkpointDigest(found: computed, stored: stored))
        }
        let fingerprint = m["data_fingerprint"] ?? ""
        if let expectedFingerprint, expectedFingerprint != fingerprint {
            throw SafetensorsError(
                path: path, reason: .dataFingerprint(found: fingerprint, expected: expectedFingerprint))
        }
        return Checkpoint(
            tensors: file.tensors, dataFingerprint: fingerprint, config: m["config"] ?? "",
            extra: m.filter { !reservedKeys.contains($0.key) })
    }
}

extension Checkpoint {
    /// The `content_digest` of a file with these metadata (`content_digest` itself left out) and tensors.
    public static func digest(metadata: [String: String], tensors: [String: TensorData]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<S: Sequence<UInt8>>(_ bytes: S) {
            for b in bytes {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01B3
            }
        }
        func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
        for key in metadata.keys.sorted(by: byteOrder) where key != "content_digest" {
            mix(key.utf8); mix(CollectionOfOne(0))
            mix(metadata[key]!.utf8); mix(CollectionOfOne(0))
        }
        for name in tensors.keys.sorted(by: byteOrder) {
            let t = tensors[name]!
            mix(name.utf8); mix(CollectionOfOne(0))
            mix(t.dtype.rawValue.utf8); mix(CollectionOfOne(0))
            mix(t.shape.map(String.init).joined(separator: ",").utf8); mix(CollectionOfOne(0))
            t.bytes.withUnsafeBufferPointer { mix($0) }
        }
        return "fnv1a64:" + String(h, radix: 16)
    }
}

extension RandomGenerator {
    /// The generator's state as a `U64` tensor of shape [4], for checkpoints: restoring it continues
    /// the stream exactly where it was saved.
    public var stateTensor: TensorData {
        TensorData(shape: [4], uint64s: [state.0, state.1, state.2, state.3])
    }

    /// Restores a generator from `stateTensor`; nil unless the tensor is `U64` of shape [4].
    public init?(stateTensor: TensorData) {
        guard stateTensor.shape == [4], let s = stateTensor.uint64s else { return nil }
        self.init(state: (s[0], s[1], s[2], s[3]))
    }
}

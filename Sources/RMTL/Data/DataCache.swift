import Foundation

/// Where (and whether) loads are cached.
public struct CacheOptions: Sendable {
    public var isEnabled: Bool
    /// The cache folder. nil: `$RMTL_CACHE` if set, else `<data folder>/.rmtl-cache`.
    public var folder: String?
    /// The table another process already read (an MPI rank gets rank 0's): used instead of the
    /// sources and the cache, which are not touched.
    public var received: InteractionTable?

    public init(isEnabled: Bool = true, folder: String? = nil, received: InteractionTable? = nil) {
        self.isEnabled = isEnabled
        self.folder = folder
        self.received = received
    }

    public static let disabled = CacheOptions(isEnabled: false)
}

/// A binary cache of loaded tables, so the second `load` of the same data is memory-speed.
///
/// Key: the reader kind, its options, and each source file's path, size and modification time (in
/// nanoseconds); a changed source gives a different key, so the old entry is never used. File layout
/// (little-endian): magic `RMTLDATA`, format version (u32), key length (u32) + key bytes, payload length
/// (u64), payload, checksum of the payload (u64). A file that is short, has another magic, version or
/// key, or fails the checksum is ignored and the sources are read again (never wrong data). Writes go to
/// a temporary file in the same folder, are flushed with `fsync` and renamed into place, so a crash
/// leaves either the old file or the new one. A cache folder that cannot be written only costs speed.
///
/// File name: `<kind>-<source>-<key>.rmtlcache`, where `<source>` hashes what names the data (kind,
/// options, file paths) and `<key>` the whole key (sizes and times too); a derived table (sessions)
/// appends `-<step>`. Only the newest entry of a source is kept: when an entry is written or used, the
/// files of the same `<kind>-<source>-` with another `<key>` (an older version of the sources, and
/// the tables derived from it) are removed, and the load reports them (issue 12: `generate` then
/// `load` used to add ~22 MB per run).
public enum DataCache {
    public enum Status: Sendable, Equatable {
        case disabled
        /// Given by another process (`CacheOptions.received`).
        case received
        /// Loaded from the cache file.
        case hit(path: String)
        /// Read from the sources; `written` says whether the cache file was (re)written.
        case miss(path: String, written: Bool, reason: String)
    }

    static let magic = Array("RMTLDATA".utf8)
    static let version: UInt32 = 1

    /// The table for `sources` read by `read`, from the cache when a valid entry exists.
    static func cached(
        kind: String, sources: [String], optional: [String], options: String, cache: CacheOptions,
        directory: String, read: () throws -> InteractionTable
    ) throws -> (InteractionTable, Status, Entry?, [RemovedFile]) {
        if let table = cache.received { return (table, .received, nil, []) }
        guard cache.isEnabled else { return (try read(), .disabled, nil, []) }
        // Stat the sources first: a missing required file is the reader's error, so let it report it.
        var key = "rmtl data cache v\(version)\nkind=\(kind)\noptions=\(options)\n"
        var identity = key
        for source in sources {
            identity += "\(source)\n"
            guard let (size, mtime) = fileStamp(source) else {
                if optional.contains(source) {
                    key += "\(source) absent\n"
                    continue
                }
                return (try read(), .disabled, nil, [])
            }
            key += "\(source) size=\(size) mtime=\(mtime)\n"
        }
        let folder = cache.folder ?? ProcessInfo.processInfo.environment["RMTL_CACHE"] ?? (directory + "/.rmtl-cache")
        let sourcePrefix = "\(kind)-\(hex(checksum(Array(identity.utf8))))-"
        let stem = sourcePrefix + hex(checksum(Array(key.utf8)))
        let path = folder + "/" + stem + ".rmtlcache"
        var reason = "no cache file"
        if FileManager.default.fileExists(atPath: path) {
            do {
                let table = try load(path: path, key: key)
                return (table, .hit(path: path), Entry(path: path, key: key),
                        removeOlder(in: folder, prefix: sourcePrefix, keeping: stem))
            } catch let e as CacheError {
                reason = e.reason
            }
        }
        let table = try read()
        let written = (try? store(table, path: path, key: key)) != nil
        let removed = written ? removeOlder(in: folder, prefix: sourcePrefix, keeping: stem) : []
        return (table, .miss(path: path, written: written, reason: reason), Entry(path: path, key: key), removed)
    }

    /// A cache file removed because a newer entry of the same source replaced it.
    public struct RemovedFile: Sendable, Equatable {
        public var path: String
        public var bytes: Int64
    }

    /// Removes the cache files of `folder` named `<prefix>…` except those of the entry `keeping`
    /// (its file and the tables derived from it), and returns them. Failures are ignored: a stale
    /// file costs only space.
    static func removeOlder(in folder: String, prefix: String, keeping stem: String) -> [RemovedFile] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var removed: [RemovedFile] = []
        for name in names.sorted() where name.hasPrefix(prefix) && name.hasSuffix(".rmtlcache") && !name.hasPrefix(stem) {
            let path = folder + "/" + name
            let bytes = fileStamp(path)?.0 ?? 0
            if unlink(path) == 0 { removed.append(RemovedFile(path: path, bytes: bytes)) }
        }
        return removed
    }

    /// Where one cached table lives and the key that validates it.
    struct Entry: Sendable, Equatable {
        var path: String
        var key: String

        /// The entry of a table derived from this one by `step` (e.g. "sessionize gap=1800000").
        func derived(_ step: String) -> Entry {
            let key = self.key + "derived=\(step)\n"
            let stem = (path as NSString).deletingPathExtension
            return Entry(path: stem + "-" + DataCache.hex(DataCache.checksum(Array(step.utf8))) + ".rmtlcache", key: key)
        }
    }

    /// `make()`, cached at `entry` (nil: no cache). A damaged or stale file is rebuilt.
    static func derived(_ entry: Entry?, make: () throws -> InteractionTable) throws -> InteractionTable {
        guard let entry else { return try make() }
        if FileManager.default.fileExists(atPath: entry.path), let table = try? load(path: entry.path, key: entry.key) {
            return table
        }
        let table = try make()
        try? store(table, path: entry.path, key: entry.key)
        return table
    }

    struct CacheError: Error {
        var reason: String
    }

    static func fileStamp(_ path: String) -> (Int64, Int64)? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return (Int64(st.st_size), Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    // MARK: - Files

    /// Reads and checks the cache file at `path`; throws `CacheError` on any mismatch or damage.
    public static func load(path: String, key: String) throws -> InteractionTable {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else {
            throw CacheError(reason: "cache file unreadable")
        }
        return try data.withUnsafeBytes { raw -> InteractionTable in
            var r = ByteReader(raw)
            guard try r.bytes(8) == magic else { throw CacheError(reason: "not a cache file") }
            guard try r.u32() == version else { throw CacheError(reason: "cache format changed") }
            let keyLength = Int(try r.u32())
            guard try r.bytes(keyLength) == Array(key.utf8) else { throw CacheError(reason: "cache key differs") }
            let payloadLength = try r.u64()
            guard payloadLength <= UInt64(raw.count - r.position - 8) else { throw CacheError(reason: "cache file truncated") }
            let payloadStart = r.position
            let payload = UnsafeRawBufferPointer(rebasing: raw[payloadStart..<payloadStart + Int(payloadLength)])
            r.position += Int(payloadLength)
            guard try r.u64() == checksum(payload), r.position == raw.count else {
                throw CacheError(reason: "cache checksum mismatch")
            }
            var p = ByteReader(payload)
            return try decodeTable(&p)
        }
    }

    /// Writes `table` to `path` atomically (temp file, fsync, rename).
    public static func store(_ table: InteractionTable, path: String, key: String) throws {
        var payload = ByteWriter()
        encodeTable(table, &payload)
        var out = ByteWriter()
        out.bytes.reserveCapacity(payload.bytes.count + key.utf8.count + 64)
        out.append(magic)
        out.u32(version)
        out.u32(UInt32(key.utf8.count))
        out.append(Array(key.utf8))
        out.u64(UInt64(payload.bytes.count))
        out.append(payload.bytes)
        out.u64(payload.bytes.withUnsafeBytes { checksum($0) })
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = folder + "/.tmp-\(getpid())-" + (path as NSString).lastPathComponent
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CacheError(reason: "cannot write the cache") }
        var ok = out.bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)  // safe: count > 0
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CacheError(reason: "cannot write the cache")
        }
    }

    // MARK: - Checksum

    /// A 64-bit checksum over 8-byte words (multiply-xorshift), tail bytes included.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        let words = bytes.count / 8
        for i in 0..<words {
            let w = bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
            h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
        }
        for i in (words * 8)..<bytes.count { h = (h ^ UInt64(bytes[i])) &* 0xC4CE_B9FE_1A85_EC53 }
        return h ^ (h >> 29)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBytes { checksum($0) } }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

// MARK: - Table encoding

extension DataCache {
    /// `table` as the cache's payload bytes (no key, no checksum): what rank 0 sends the other MPI
    /// ranks, which read it back with `decoded`.
    public static func encoded(_ table: InteractionTable) -> [UInt8] {
        var w = ByteWriter()
        encodeTable(table, &w)
        return w.bytes
    }

    /// The table of `encoded` bytes, checked as a cache file's is.
    public static func decoded(_ bytes: [UInt8]) throws -> InteractionTable {
        try bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            let table = try decodeTable(&r)
            guard r.position == raw.count else { throw CacheError(reason: "trailing bytes after the table") }
            return table
        }
    }

    static func encodeTable(_ t: InteractionTable, _ w: inout ByteWriter) {
        w.string(t.name)
        w.u32(UInt32(t.rowUnit.rawValue))
        w.strings(t.categoricalNames)
        w.u32(UInt32(t.categorical.count))
        for c in t.categorical { w.array(c) }
        for v in t.vocabularies { w.array(v.bytes); w.array(v.offsets) }
        w.strings(t.numericNames)
        for c in t.numeric { w.array(c) }
        w.strings(t.taskNames)
        for c in t.labels { w.array(c) }
        w.array(t.users)
        w.array(t.items)
        w.array(t.sessions)
        w.array(t.timestamps)
        w.array(t.presetSplit)
        w.strings(t.keyColumnNames)
        for c in t.keyColumns { w.array(c) }
        for v in t.keyVocabularies { w.array(v.bytes); w.array(v.offsets) }
        w.strings(t.dropped.map(\.reason))
        w.array(t.dropped.map { Int64($0.count) })
        w.strings(t.notes)
    }

    static func decodeTable(_ r: inout ByteReader) throws -> InteractionTable {
        var t = InteractionTable(name: try r.string())
        guard let unit = InteractionTable.RowUnit(rawValue: UInt8(truncatingIfNeeded: try r.u32())) else {
            throw CacheError(reason: "bad row unit")
        }
        t.rowUnit = unit
        t.categoricalNames = try r.strings()
        let fieldCount = Int(try r.u32())
        guard fieldCount == t.categoricalNames.count else { throw CacheError(reason: "field count mismatch") }
        t.categorical = try (0..<fieldCount).map { _ in try r.array(Int32.self) }
        t.vocabularies = try (0..<fieldCount).map { _ in TokenList(bytes: try r.array(UInt8.self), offsets: try r.array(Int64.self)) }
        t.numericNames = try r.strings()
        t.numeric = try t.numericNames.map { _ in try r.array(Float.self) }
        t.taskNames = try r.strings()
        t.labels = try t.taskNames.map { _ in try r.array(UInt8.self) }
        t.users = try r.array(Int32.self)
        t.items = try r.array(Int32.self)
        t.sessions = try r.array(Int32.self)
        t.timestamps = try r.array(Int64.self)
        t.presetSplit = try r.array(UInt8.self)
        t.keyColumnNames = try r.strings()
        t.keyColumns = try t.keyColumnNames.map { _ in try r.array(Int32.self) }
        t.keyVocabularies = try t.keyColumnNames.map { _ in TokenList(bytes: try r.array(UInt8.self), offsets: try r.array(Int64.self)) }
        let reasons = try r.strings()
        let counts = try r.array(Int64.self)
        guard reasons.count == counts.count else { throw CacheError(reason: "dropped rows mismatch") }
        t.dropped = zip(reasons, counts).map { DroppedRows(reason: $0, count: Int($1)) }
        t.notes = try r.strings()
        try validate(t)
        return t
    }

    /// Structural checks so a damaged-but-checksummed file can never give out-of-range ids.
    static func validate(_ t: InteractionTable) throws {
        let n = t.rowCount
        func check(_ ok: Bool, _ what: String) throws { if !ok { throw CacheError(reason: "cache inconsistent: \(what)") } }
        for (f, column) in t.categorical.enumerated() {
            try check(column.count == n, "column length")
            let v = t.vocabularies[f]
            try check(v.offsets.first == 0 && v.offsets.last == Int64(v.bytes.count), "vocabulary")
            try check(column.allSatisfy { $0 >= 0 && Int($0) < v.count }, "token id")
        }
        try check(t.numeric.allSatisfy { $0.count == n } && t.labels.allSatisfy { $0.count == n }, "column length")
        for list in [t.users, t.items, t.sessions] { try check(list.isEmpty || list.count == n, "key length") }
        try check(t.presetSplit.isEmpty || t.presetSplit.count == n, "split length")
        for (k, column) in t.keyColumns.enumerated() {
            try check(column.count == n, "key column length")
            try check(column.allSatisfy { $0 >= 0 && Int($0) < t.keyVocabularies[k].count }, "key id")
        }
    }
}

/// Appends little-endian values to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }
    mutating func strings(_ list: [String]) {
        u32(UInt32(list.count))
        for s in list { string(s) }
    }
    /// Count, then the raw element bytes (this machine is little-endian; the magic/version guard others).
    mutating func array<T: BitwiseCopyable>(_ a: [T]) {
        u64(UInt64(a.count))
        a.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }
}

/// Reads what `ByteWriter` wrote, checking every length against the bytes left.
struct ByteReader {
    let raw: UnsafeRawBufferPointer
    var position = 0
    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    mutating func need(_ n: Int) throws {
        guard n >= 0, n <= raw.count - position else { throw DataCache.CacheError(reason: "cache file truncated") }
    }
    mutating func bytes(_ n: Int) throws -> [UInt8] {
        try need(n)
        defer { position += n }
        return Array(raw[position..<position + n])
    }
    mutating func u32() throws -> UInt32 {
        try need(4)
        defer { position += 4 }
        return UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }
    mutating func u64() throws -> UInt64 {
        try need(8)
        defer { position += 8 }
        return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }
    mutating func string() throws -> String {
        let n = try u64()
        guard n <= UInt64(raw.count - position) else { throw DataCache.CacheError(reason: "cache file truncated") }
        return String(decoding: try bytes(Int(n)), as: UTF8.self)
    }
    mutating func strings() throws -> [String] {
        let n = Int(try u32())
        guard n <= raw.count - position else { throw DataCache.CacheError(reason: "cache file truncated") }
        return try (0..<n).map { _ in try string() }
    }
    mutating func array<T: BitwiseCopyable>(_: T.Type) throws -> [T] {
        let count = try u64()
        let (size, overflow) = count.multipliedReportingOverflow(by: UInt64(MemoryLayout<T>.stride))
        guard !overflow, size <= UInt64(raw.count - position) else { throw DataCache.CacheError(reason: "cache file truncated") }
        let n = Int(count)
        let start = position
        position += Int(size)
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            if n > 0 {
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: raw[start..<start + Int(size)]))
            }
            initialized = n
        }
    }
}

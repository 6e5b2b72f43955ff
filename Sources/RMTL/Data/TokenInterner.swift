/// A frozen list of byte-string tokens: token `k` is `bytes[offsets[k]..<offsets[k+1]]`.
///
/// This is how raw categorical values travel between the readers, the cache and the encoders: ids are
/// dense in order of first appearance in the file, and the spelling is kept for summaries and tie-breaks.
public struct TokenList: Sendable, Equatable {
    public var bytes: [UInt8]
    public var offsets: [Int64]  // count + 1 entries, offsets[0] == 0

    public init(bytes: [UInt8] = [], offsets: [Int64] = [0]) {
        self.bytes = bytes
        self.offsets = offsets
    }

    public var count: Int { offsets.count - 1 }

    public func token(_ k: Int) -> ArraySlice<UInt8> { bytes[Int(offsets[k])..<Int(offsets[k + 1])] }
    public func string(_ k: Int) -> String { String(decoding: token(k), as: UTF8.self) }

    /// Lexicographic byte order of tokens `a` and `b` (the encoders' tie-break).
    public func precedes(_ a: Int, _ b: Int) -> Bool {
        token(a).lexicographicallyPrecedes(token(b))
    }
}

/// Interns byte strings to dense `Int32` ids in first-appearance order (open addressing, FNV-1a).
///
/// The hash only decides table slots, never ids, so ids do not depend on hashing (G17).
public final class TokenInterner {
    private var arena: [UInt8] = []
    private var offsets: [Int64] = [0]
    private var slots: [Int32]
    private var hashes: [UInt32] = []
    private var mask: Int

    public init(expectedCount: Int = 1024) {
        var size = 16
        while size < expectedCount * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    public var count: Int { offsets.count - 1 }

    @inline(__always)
    static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in p { h = (h ^ UInt64(c)) &* 0x100_0000_01b3 }
        return h ^ (h >> 29)
    }

    /// The id of `token`, adding it if new.
    public func intern(_ token: UnsafeBufferPointer<UInt8>) -> Int32 {
        let h = Self.hash(token)
        var slot = Int(truncatingIfNeeded: h) & mask
        let h32 = UInt32(truncatingIfNeeded: h)
        while true {
            let id = slots[slot]
            if id < 0 { break }
            if hashes[Int(id)] == h32 && equals(Int(id), token) { return id }
            slot = (slot + 1) & mask
        }
        let id = Int32(count)
        arena.append(contentsOf: token)
        offsets.append(Int64(arena.count))
        hashes.append(h32)
        slots[slot] = id
        if count * 2 > slots.count { grow() }
        return id
    }

    /// Interns a Swift string (for tokens the reader makes up, like the missing marker).
    public func intern(_ string: String) -> Int32 {
        var s = string
        return s.withUTF8 { intern($0) }
    }

    @inline(__always)
    private func equals(_ id: Int, _ token: UnsafeBufferPointer<UInt8>) -> Bool {
        let a = Int(offsets[id]), b = Int(offsets[id + 1])
        guard b - a == token.count else { return false }
        return arena.withUnsafeBufferPointer { arenaBytes in
            var i = 0
            while i < token.count {
                if arenaBytes[a + i] != token[i] { return false }
                i += 1
            }
            return true
        }
    }

    private func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for id in 0..<count {
            var slot = Int(truncatingIfNeeded: rehash(id)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(id)
        }
    }

    private func rehash(_ id: Int) -> UInt64 {
        arena.withUnsafeBufferPointer { a in
            Self.hash(UnsafeBufferPointer(rebasing: a[Int(offsets[id])..<Int(offsets[id + 1])]))
        }
    }

    /// The tokens interned so far, in id order.
    public func frozen() -> TokenList { TokenList(bytes: arena, offsets: offsets) }
}

/// Maps sparse Int64 keys (visitor ids, item ids) to dense Int32 ids in first-appearance order.
public struct KeyInterner {
    private var ids: [Int64: Int32] = [:]
    public private(set) var keys: [Int64] = []

    public init(expectedCount: Int = 0) { ids.reserveCapacity(expectedCount) }

    public var count: Int { keys.count }

    @inline(__always)
    public mutating func intern(_ key: Int64) -> Int32 {
        if let id = ids[key] { return id }
        let id = Int32(keys.count)
        ids[key] = id
        keys.append(key)
        return id
    }

    public func id(of key: Int64) -> Int32? { ids[key] }
}

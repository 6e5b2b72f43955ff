import Foundation

/// Owned, 64-byte-aligned Float storage. Freed with the object; views into it (`Matrix`) must not
/// outlive it, which the owners (layers, slabs) guarantee by holding both.
public final class FloatBuffer: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        let bytes = Swift.max(count, 16) * MemoryLayout<Float>.stride
        if bytes >= FloatBuffer.mappedBytes {
            // Fresh anonymous pages read as zero and become resident only when written, so a slab
            // region nobody writes (a row-sparse table's gradient) costs no memory.
            guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  raw != MAP_FAILED else { fatalError("cannot map \(bytes) bytes") }
            base = raw.bindMemory(to: Float.self, capacity: Swift.max(count, 16))
        } else {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            base = raw.bindMemory(to: Float.self, capacity: Swift.max(count, 16))
            base.initialize(repeating: 0, count: Swift.max(count, 16))
        }
    }

    deinit {
        if isMapped { munmap(base, byteCount) } else { base.deallocate() }
    }

    /// The bytes held (at least 16 floats).
    private var byteCount: Int { Swift.max(count, 16) * MemoryLayout<Float>.stride }

    /// Buffers this large are mapped pages (4 MiB: large enough that the system call is noise).
    static let mappedBytes = 1 << 22

    /// Whether this buffer is mapped pages (so `releasePages` applies).
    package var isMapped: Bool { byteCount >= FloatBuffer.mappedBytes }

    /// Gives back to the system the pages lying wholly inside elements `range` that hold any of
    /// `elements` (sorted), which must all be zero already: they read as zero again and are no
    /// longer resident until written. Only for mapped buffers.
    func releasePages(holding elements: [Int], within range: Range<Int>) {
        precondition(isMapped)
        let page = Int(sysconf(Int32(_SC_PAGESIZE))), stride = MemoryLayout<Float>.stride
        let firstPage = (range.lowerBound * stride + page - 1) / page, endPage = range.upperBound * stride / page
        var run: Range<Int>? = nil
        func flush() {
            if let r = run { madvise(UnsafeMutableRawPointer(base) + r.lowerBound * page, r.count * page, MADV_DONTNEED) }
        }
        for element in elements {
            let p = element * stride / page
            guard p >= firstPage && p < endPage else { continue }
            if let r = run, p < r.upperBound { continue }
            if let r = run, p == r.upperBound { run = r.lowerBound..<(p + 1); continue }
            flush()
            run = p..<(p + 1)
        }
        flush()
    }

    public var pointer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }
    public var array: [Float] { Array(pointer) }
    public func zero() { base.update(repeating: 0, count: count) }
    public func copy(from values: [Float]) {
        precondition(values.count == count)
        values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: count) }
    }
}

/// A row-major view: `rows` × `columns` floats, row `r` starting at `base + r * stride`.
///
/// A view owns nothing. `stride > columns` describes a column block of a wider matrix, e.g. one
/// field's slot in the concatenated embedding or one expert's output inside a fused expert group.
public struct Matrix: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Float>
    public let rows: Int
    public let columns: Int
    public let stride: Int

    @inline(__always)
    public init(_ base: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int? = nil) {
        self.base = base
        self.rows = rows
        self.columns = columns
        self.stride = stride ?? columns
    }

    public init(_ buffer: FloatBuffer, rows: Int, columns: Int) {
        precondition(rows * columns <= buffer.count, "matrix \(rows)x\(columns) exceeds buffer of \(buffer.count)")
        self.init(buffer.base, rows: rows, columns: columns)
    }

    @inline(__always) public func row(_ r: Int) -> UnsafeMutablePointer<Float> { base + r * stride }
    @inline(__always) public subscript(r: Int, c: Int) -> Float {
        get { base[r * stride + c] }
        nonmutating set { base[r * stride + c] = newValue }
    }

    /// The first `count` rows.
    @inline(__always) public func prefix(rows count: Int) -> Matrix {
        Matrix(base, rows: count, columns: columns, stride: stride)
    }
    /// Rows `start..<start+count`.
    @inline(__always) public func rows(_ start: Int, _ count: Int) -> Matrix {
        Matrix(base + start * stride, rows: count, columns: columns, stride: stride)
    }
    /// Columns `start..<start+count` of every row.
    @inline(__always) public func columns(_ start: Int, _ count: Int) -> Matrix {
        Matrix(base + start, rows: rows, columns: count, stride: stride)
    }

    public var isContiguous: Bool { stride == columns || rows <= 1 }

    /// Sets every element to zero.
    public func zero() {
        if isContiguous { base.update(repeating: 0, count: rows * columns); return }
        for r in 0..<rows { row(r).update(repeating: 0, count: columns) }
    }

    /// Copies `source` (same shape) into this view.
    public func copy(from source: Matrix) {
        precondition(source.rows == rows && source.columns == columns)
        for r in 0..<rows { row(r).update(from: source.row(r), count: columns) }
    }

    /// The values row by row, for tests and small outputs.
    public var array: [Float] {
        var out = [Float]()
        out.reserveCapacity(rows * columns)
        for r in 0..<rows { out.append(contentsOf: UnsafeBufferPointer(start: row(r), count: columns)) }
        return out
    }
}

/// A matrix that owns its storage: a `FloatBuffer` sized for a row capacity, viewed at any row count
/// up to it. Layers keep one per activation so a step allocates nothing.
public final class Activation: @unchecked Sendable {
    public let buffer: FloatBuffer
    public let capacity: Int
    public let columns: Int

    public init(capacity: Int, columns: Int) {
        self.capacity = capacity
        self.columns = columns
        buffer = FloatBuffer(count: capacity * columns)
    }

    /// The first `rows` rows. Asking for more than the capacity is a programming error.
    @inline(__always) public func matrix(rows: Int) -> Matrix {
        precondition(rows <= capacity, "batch of \(rows) rows exceeds the capacity \(capacity)")
        return Matrix(buffer.base, rows: rows, columns: columns)
    }
}

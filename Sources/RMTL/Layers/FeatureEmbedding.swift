/// The input stage of every model (rmtl-reference.md §2.1): one embedding table shared by all
/// categorical fields, each field offset by the sizes of the fields before it, concatenated with the
/// numeric fields through `Linear(numericCount, embed)`, and flattened.
///
/// Shapes: ids (batch, fieldCount) raw per-field ids; numeric (batch, numericCount);
/// table (Σ cardinalities, embed); output (batch, (fieldCount + 1) · embed).
/// Names: `embedding.embedding.weight` and `numerical_layer.{weight,bias}` (the authors' state_dict).
/// With `freezesPaddingRow` (the authors' `padding_idx=0`), global row 0 gets no gradient from the
/// loss; note that PyTorch's Adam still applies weight decay to it, and so does rmtl.
///
/// With `rowGradients` (`embeddings=sparse`) the table's gradient is kept as the rows the batch
/// touched (`RowGradients`) instead of in the slab, so neither the backward pass nor the optimiser
/// walks the untouched rows (`Adam.update`'s lazy rows).
public final class FeatureEmbedding {
    public let cardinalities: [Int]
    public let embedDim: Int
    public let numericCount: Int
    public let freezesPaddingRow: Bool
    let table: Parameter
    let numeric: Linear
    let offsets: [Int32]
    let output: Activation
    public let extraSlots: Int
    /// The table's gradient as touched rows, when the table is updated row-sparsely; nil: in the slab.
    let rowGradients: RowGradients?
    /// When the gradient is in the slab: the rows written there since the slab was last zeroed.
    let writtenRows: WrittenRows?

    /// `extraSlots` reserves more `embed`-wide slots after the numeric one in the output (the critic's
    /// action slot); their content is the caller's.
    public init(
        _ b: inout ModelBuilder, cardinalities: [Int], embedDim: Int, numericCount: Int,
        freezesPaddingRow: Bool = true, extraSlots: Int = 0, tableScope: String = "embedding.embedding",
        numericScope: String = "numerical_layer", updates: EmbeddingUpdates = .dense
    ) {
        self.cardinalities = cardinalities
        self.embedDim = embedDim
        self.numericCount = numericCount
        self.freezesPaddingRow = freezesPaddingRow
        self.extraSlots = extraSlots
        var running: Int32 = 0
        offsets = cardinalities.map { c in defer { running += Int32(c) }; return running }
        table = b.scoped(tableScope) {
            $0.parameter("weight", shape: [cardinalities.reduce(0, +), embedDim], .xavierUniform)
        }
        numeric = b.scoped(numericScope) { Linear(&$0, inputCount: numericCount, outputCount: embedDim) }
        output = Activation(capacity: b.capacity, columns: (cardinalities.count + 1 + extraSlots) * embedDim)
        if updates == .sparse {
            let rows = RowGradients(offset: table.offset, rowCount: cardinalities.reduce(0, +), width: embedDim,
                                    capacity: b.capacity * cardinalities.count)
            b.registerRowGradients(rows)
            rowGradients = rows
            writtenRows = nil
        } else {
            let rows = WrittenRows(offset: table.offset, rowCount: cardinalities.reduce(0, +), width: embedDim)
            b.registerWrittenRows(rows)
            rowGradients = nil
            writtenRows = rows
        }
    }

    /// The input stage of a model with `config`'s sizes, under the authors' names (or a task's own,
    /// `embedding.{t}.embedding.weight` and `numerical_layer.{t}.*`, for Single-Task).
    public convenience init(_ b: inout ModelBuilder, config c: ModelConfig, task: Int? = nil) {
        let suffix = task.map { ".\($0)" } ?? ""
        self.init(
            &b, cardinalities: c.cardinalities, embedDim: c.embedDim, numericCount: c.numericCount,
            freezesPaddingRow: c.freezesPaddingRow, tableScope: "embedding\(suffix).embedding",
            numericScope: "numerical_layer\(suffix)", updates: c.embeddings)
    }

    public var fieldCount: Int { cardinalities.count }
    public var outputCount: Int { output.columns }
    public var rowCount: Int { cardinalities.reduce(0, +) }

    public func forward(_ batch: BatchInput) -> Matrix {
        let rows = batch.rows, d = embedDim, f = fieldCount
        let y = output.matrix(rows: rows)
        let tableBase = table.value
        for r in 0..<rows {
            let ids = batch.ids + r * f
            let out = y.row(r)
            for j in 0..<f {
                (out + j * d).update(from: tableBase + Int(ids[j] + offsets[j]) * d, count: d)
            }
        }
        numeric.forward(batch.numeric, into: y.columns(f * d, d))
        return y
    }

    /// Adds the table and numeric-layer gradients for `dOutput` (batch, outputCount).
    public func backward(_ batch: BatchInput, dOutput dy: Matrix) {
        let rows = batch.rows, d = embedDim, f = fieldCount
        let tableGradient = table.gradient
        for r in 0..<rows {
            let ids = batch.ids + r * f
            let g = dy.row(r)
            for j in 0..<f {
                let row = Int(ids[j] + offsets[j])
                if freezesPaddingRow && row == 0 { continue }
                if let rowGradients {
                    add(g + j * d, into: rowGradients.gradient(ofRow: row), d)
                } else {
                    writtenRows?.record(row)
                    add(g + j * d, into: tableGradient + row * d, d)
                }
            }
        }
        numeric.backward(input: batch.numeric, dOutput: dy.columns(f * d, d), dInput: nil)
    }

    /// Copies this table into `other` (the critic's embedding starts from the actor's).
    public func copyTable(to other: FeatureEmbedding) {
        precondition(other.rowCount == rowCount && other.embedDim == embedDim)
        other.table.value.update(from: table.value, count: table.count)
    }
}

/// How an embedding table is updated: `dense` (every row every step, as PyTorch's Adam does; the
/// default) or `sparse` (only the rows the batch looked up: lazy Adam, `Adam.update`).
public enum EmbeddingUpdates: String, CaseIterable, Sendable, Codable {
    case dense, sparse
}

/// The rows of a dense table's gradient (in a replica's slab) that backward passes wrote since the
/// slab was last zeroed. Every other row of that region is still zero, so zeroing these rows alone
/// clears it: a step then streams the table once, in Adam, instead of also in a zeroing pass.
package final class WrittenRows: @unchecked Sendable {
    let offset: Int, rowCount: Int, width: Int
    private var rows: [Int32] = []

    init(offset: Int, rowCount: Int, width: Int) {
        (self.offset, self.rowCount, self.width) = (offset, rowCount, width)
    }

    /// The table's elements in the slab.
    var region: Range<Int> { offset..<(offset + rowCount * width) }

    func record(_ row: Int) { rows.append(Int32(row)) }

    /// Zeroes the written rows of this table in `gradient` (a slab), or the whole table when that
    /// is less work, and forgets them. In a mapped slab the pages of the written rows are then
    /// given back, so a large table's gradient stays (nearly) non-resident: Adam reads the rest as
    /// the zero page.
    func zero(in gradient: FloatBuffer) {
        let slab = gradient.base
        if rows.count >= rowCount / 2 {
            (slab + offset).update(repeating: 0, count: rowCount * width)
        } else {
            for row in rows { (slab + offset + Int(row) * width).update(repeating: 0, count: width) }
            if gradient.isMapped && Self.releasesPages {
                let starts = Set(rows).sorted().flatMap { [offset + Int($0) * width, offset + Int($0 + 1) * width - 1] }
                gradient.releasePages(holding: starts, within: region)
            }
        }
        rows.removeAll(keepingCapacity: true)
    }

    /// Off only in the test that checks releasing pages changes no bit.
    nonisolated(unsafe) package static var releasesPages = true
}

/// One replica's gradient of an embedding table as the rows its shard looked up: each touched row
/// once, in first-touch order, with its summed gradient. The padding row is never touched (PyTorch's
/// sparse embedding gradient leaves `padding_idx` out too). The optimiser reads it, then `clear()`s it.
public final class RowGradients: @unchecked Sendable {
    /// The table's place in the slab.
    public let offset: Int
    public let rowCount: Int
    public let width: Int
    /// The most rows one step can touch (the batch's lookups, or the whole table if smaller).
    public let capacity: Int
    /// Touched table rows, in first-touch order.
    public private(set) var rows: [Int32] = []
    /// `slotOfRow[row]`: where `row`'s gradient is in `values`, or -1 when untouched.
    private var slotOfRow: [Int32]
    /// (capacity, width): the gradient of `rows[k]` in row k.
    private let values: FloatBuffer

    /// A table of `rowCount` rows of `width` at `offset` in the slab; at most `capacity` rows a step.
    package init(offset: Int, rowCount: Int, width: Int, capacity: Int) {
        self.offset = offset
        self.rowCount = rowCount
        self.width = width
        slotOfRow = [Int32](repeating: -1, count: rowCount)
        self.capacity = max(1, min(capacity, rowCount))
        values = FloatBuffer(count: self.capacity * width)
        rows.reserveCapacity(self.capacity)
    }

    /// The table's elements in the slab.
    var region: Range<Int> { offset..<(offset + rowCount * width) }

    /// An empty gradient of the same table (another process's replica; the gather fills it).
    package func sameTable() -> RowGradients {
        RowGradients(offset: offset, rowCount: rowCount, width: width, capacity: capacity)
    }

    /// The `Float`s `pack` writes: the row count and, at capacity, the row ids and their gradients.
    package var packedCount: Int { 1 + capacity * (1 + width) }

    /// Writes the touched rows (ids as `Int32` bits, in first-touch order) and their gradients to
    /// `destination` (`packedCount` floats; only copied, never computed with, so the bits survive).
    package func pack(into destination: UnsafeMutablePointer<Float>) {
        let raw = UnsafeMutableRawPointer(destination)
        raw.storeBytes(of: Int32(rows.count), as: Int32.self)
        for (k, row) in rows.enumerated() { raw.storeBytes(of: row, toByteOffset: 4 * (1 + k), as: Int32.self) }
        (destination + 1 + capacity).update(from: values.base, count: rows.count * width)
    }

    /// Replaces the touched rows with what `pack` wrote (in its order, so sums keep their order).
    package func unpack(from source: UnsafePointer<Float>) {
        clear()
        let raw = UnsafeRawPointer(source)
        let count = Int(raw.load(as: Int32.self))
        precondition((0...capacity).contains(count), "row gradients: \(count) rows over capacity \(capacity)")
        for k in 0..<count {
            let row = raw.load(fromByteOffset: 4 * (1 + k), as: Int32.self)
            precondition((0..<Int32(rowCount)).contains(row), "row gradients: row \(row) outside the table")
            slotOfRow[Int(row)] = Int32(k)
            rows.append(row)
        }
        values.base.update(from: source + 1 + capacity, count: count * width)
    }

    /// Where to add `row`'s gradient (a zeroed row on first touch).
    package func gradient(ofRow row: Int) -> UnsafeMutablePointer<Float> {
        var slot = Int(slotOfRow[row])
        if slot < 0 {
            slot = rows.count
            slotOfRow[row] = Int32(slot)
            rows.append(Int32(row))
            (values.base + slot * width).update(repeating: 0, count: width)
        }
        return values.base + slot * width
    }

    /// `row`'s gradient, or nil when this shard did not touch it.
    public func gradient(ofTouched row: Int) -> UnsafePointer<Float>? {
        let slot = slotOfRow[row]
        return slot < 0 ? nil : UnsafePointer(values.base + Int(slot) * width)
    }

    /// Forgets every touched row (the next backward starts from no rows).
    public func clear() {
        for row in rows { slotOfRow[Int(row)] = -1 }
        rows.removeAll(keepingCapacity: true)
    }
}

/// One batch as the networks read it: raw per-field ids row by row, the numeric fields, and for a
/// critic the actions.
public struct BatchInput: @unchecked Sendable {
    /// (rows, fieldCount) row-major, raw per-field ids (the embedding adds the field offsets).
    public let ids: UnsafePointer<Int32>
    public let fieldCount: Int
    /// (rows, numericCount).
    public let numeric: Matrix
    /// (rows, 1): the action a critic scores; nil for actors.
    public let actions: Matrix?
    public var rows: Int { numeric.rows }

    public init(ids: UnsafePointer<Int32>, fieldCount: Int, numeric: Matrix, actions: Matrix? = nil) {
        self.ids = ids
        self.fieldCount = fieldCount
        self.numeric = numeric
        self.actions = actions
    }

    /// Rows `start..<start+count`.
    public func rows(_ start: Int, _ count: Int) -> BatchInput {
        BatchInput(ids: ids + start * fieldCount, fieldCount: fieldCount, numeric: numeric.rows(start, count),
                   actions: actions?.rows(start, count))
    }

    /// The same rows scored with other actions.
    public func with(actions: Matrix) -> BatchInput {
        BatchInput(ids: ids, fieldCount: fieldCount, numeric: numeric, actions: actions)
    }
}

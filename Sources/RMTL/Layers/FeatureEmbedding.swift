/// The input stage of every model (rmtl-reference.md §2.1): one embedding table shared by all
/// categorical fields, each field offset by the sizes of the fields before it, concatenated with the
/// numeric fields through `Linear(numericCount, embed)`, and flattened.
///
/// Shapes: ids (batch, fieldCount) raw per-field ids; numeric (batch, numericCount);
/// table (Σ cardinalities, embed); output (batch, (fieldCount + 1) · embed).
/// Names: `embedding.embedding.weight` and `numerical_layer.{weight,bias}` (the authors' state_dict).
/// With `freezesPaddingRow` (the authors' `padding_idx=0`), global row 0 gets no gradient from the
/// loss; note that PyTorch's Adam still applies weight decay to it, and so does rmtl.
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

    /// `extraSlots` reserves more `embed`-wide slots after the numeric one in the output (the critic's
    /// action slot); their content is the caller's.
    public init(
        _ b: inout ModelBuilder, cardinalities: [Int], embedDim: Int, numericCount: Int,
        freezesPaddingRow: Bool = true, extraSlots: Int = 0, tableScope: String = "embedding.embedding",
        numericScope: String = "numerical_layer"
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
    }

    /// The input stage of a model with `config`'s sizes, under the authors' names (or a task's own,
    /// `embedding.{t}.embedding.weight` and `numerical_layer.{t}.*`, for Single-Task).
    public convenience init(_ b: inout ModelBuilder, config c: ModelConfig, task: Int? = nil) {
        let suffix = task.map { ".\($0)" } ?? ""
        self.init(
            &b, cardinalities: c.cardinalities, embedDim: c.embedDim, numericCount: c.numericCount,
            freezesPaddingRow: c.freezesPaddingRow, tableScope: "embedding\(suffix).embedding",
            numericScope: "numerical_layer\(suffix)")
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
                add(g + j * d, into: tableGradient + row * d, d)
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

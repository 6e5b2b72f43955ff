/// Reusable buffers holding one batch gathered from a `Dataset`: ids row-major (rows, fields),
/// numeric (rows, numericCount), labels (rows, tasks) and the rows' session ids.
public final class Batch: @unchecked Sendable {
    public let capacity: Int
    let ids: UnsafeMutablePointer<Int32>
    let numericBuffer: Activation
    let labelBuffer: Activation
    public private(set) var sessions: [Int32] = []
    public private(set) var rows = 0
    public let fieldCount: Int

    public init(capacity: Int, fieldCount: Int, numericCount: Int, taskCount: Int) {
        self.capacity = capacity
        self.fieldCount = fieldCount
        ids = .allocate(capacity: max(capacity * fieldCount, 1))
        numericBuffer = Activation(capacity: capacity, columns: numericCount)
        labelBuffer = Activation(capacity: capacity, columns: taskCount)
    }

    deinit { ids.deallocate() }

    /// Gathers `indices` (at most `capacity`) of `data`.
    public func gather(_ data: Dataset, _ indices: ArraySlice<Int>) {
        precondition(indices.count <= capacity)
        rows = indices.count
        let f = fieldCount, num = numericBuffer.matrix(rows: rows), lab = labelBuffer.matrix(rows: rows)
        for (r, i) in indices.enumerated() {
            for j in 0..<f { ids[r * f + j] = data.categorical[j][i] }
            for j in 0..<num.columns { num[r, j] = data.numeric[j][i] }
            for t in 0..<lab.columns { lab[r, t] = data.labels[t][i] }
        }
        sessions = indices.map { data.sessions[$0] }
    }

    public var input: BatchInput { BatchInput(ids: ids, fieldCount: fieldCount, numeric: numericBuffer.matrix(rows: rows)) }
    public var labels: Matrix { labelBuffer.matrix(rows: rows) }
}

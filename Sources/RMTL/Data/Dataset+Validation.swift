/// The encoded dataset does not fit a model: an id outside its field's embedding rows, a label that
/// is not 0/1, or mismatched column lengths.
public struct DatasetMismatchError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

extension Dataset {
    /// Checks that every column has `rowCount` rows, every id of field `f` is in
    /// `0..<cardinalities[f]`, and every label is 0 or 1. O(rows · columns); run once before a model
    /// reads the data, because an out-of-range id would read and write outside the embedding table.
    public func validate(against cardinalities: [Int]? = nil) throws {
        let limits = cardinalities ?? self.cardinalities
        guard limits.count == fieldCount else {
            throw DatasetMismatchError(message: "\(name): \(fieldCount) categorical fields, the model expects \(limits.count)")
        }
        for (f, column) in categorical.enumerated() {
            guard column.count == rowCount else {
                throw DatasetMismatchError(message: "\(name): field '\(categoricalNames[f])' has \(column.count) rows, expected \(rowCount)")
            }
            if let bad = column.firstIndex(where: { $0 < 0 || Int($0) >= limits[f] }) {
                throw DatasetMismatchError(message: "\(name): row \(bad) has id \(column[bad]) in field '\(categoricalNames[f])', "
                    + "which has \(limits[f]) ids (0..<\(limits[f]))")
            }
        }
        for (t, column) in labels.enumerated() {
            if let bad = column.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw DatasetMismatchError(message: "\(name): row \(bad) has label \(column[bad]) for task '\(taskNames[t])'; expected 0 or 1")
            }
        }
        for column in numeric where column.count != rowCount {
            throw DatasetMismatchError(message: "\(name): a numeric column has \(column.count) rows, expected \(rowCount)")
        }
    }
}

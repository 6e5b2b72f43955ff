import Foundation

/// What to read from any CSV/TSV (data-formats.md §4): the script names every column.
public struct CSVLoadOptions: Sendable, Equatable {
    /// A task and the 0/1 column that holds its label.
    public struct Label: Sendable, Equatable {
        public var task: String
        public var column: String
        public init(task: String, column: String) {
            self.task = task
            self.column = column
        }
    }

    public var categorical: [String]
    public var numeric: [String]
    public var labels: [Label]
    /// Rows sharing this column's value form one session (`sessionize by=` can pick another).
    public var session: String?
    /// The user key for gap sessionizing (`sessionize gap=`); defaults to none.
    public var user: String?
    /// Unix milliseconds (integer). Without it every row has time 0 and file order is kept.
    public var time: String?
    /// Extra columns kept for `split by=` or `sessionize by=` (not features).
    public var keys: [String]
    /// `,` or tab.
    public var separator: UInt8
    /// Numeric columns as sign(x)·log(1 + |x|): counts and durations span orders of magnitude, and a
    /// raw millisecond column feeds the numeric layer values in the millions.
    public var logNumeric = false

    public init(
        categorical: [String], numeric: [String] = [], labels: [Label], session: String? = nil,
        user: String? = nil, time: String? = nil, keys: [String] = [], separator: UInt8 = UInt8(ascii: ",")
    ) {
        self.categorical = categorical
        self.numeric = numeric
        self.labels = labels
        self.session = session
        self.user = user
        self.time = time
        self.keys = keys
        self.separator = separator
    }

    /// The separator byte for a script's `sep=` value: `comma`/`,`, `tab`/`\t`, `semicolon`/`;`, `pipe`/`|`.
    /// The names `separator(named:)` knows, as scripts write them.
    public static let separatorNames = ["comma", "tab", "semicolon", "pipe"]

    public static func separator(named name: String) -> UInt8? {
        switch name.lowercased() {
        case "comma", ",": return UInt8(ascii: ",")
        case "tab", "\\t", "\t": return 9
        case "semicolon", ";": return UInt8(ascii: ";")
        case "pipe", "|": return UInt8(ascii: "|")
        default: return nil
        }
    }

    /// A stable text of the options, for cache keys.
    package var fingerprint: String {
        "cat=\(categorical) num=\(numeric) labels=\(labels.map { "\($0.task)=\($0.column)" }) "
            + "session=\(session ?? "") user=\(user ?? "") time=\(time ?? "") keys=\(keys) sep=\(separator)"
            + (logNumeric ? " scale=log" : "")
    }
}

/// Reads a CSV/TSV whose columns the caller names.
public enum GenericCSVReader {
    /// Checks the column lists against each other (leakage, duplicates) before any reading.
    static func validate(_ o: CSVLoadOptions, file: String, labelsRequired: Bool = true) throws {
        if o.labels.isEmpty && labelsRequired {
            throw DataError(file: file, message: "no label columns given", hint: "add labels=[ctr=<column>, ...]")
        }
        if o.categorical.isEmpty && o.numeric.isEmpty {
            throw DataError(file: file, message: "no feature columns given", hint: "add cat=[<column>, ...]")
        }
        for label in o.labels where o.categorical.contains(label.column) || o.numeric.contains(label.column) {
            throw DataError(
                file: file,
                message: "label column '\(label.column)' is also listed as a feature (the model would see the answer)",
                hint: "remove '\(label.column)' from \(o.categorical.contains(label.column) ? "cat" : "num")=[..]")
        }
        var seen = Set<String>()
        for name in o.categorical + o.numeric {
            if !seen.insert(name).inserted {
                throw DataError(file: file, message: "feature column '\(name)' is listed twice", hint: "list each column once")
            }
        }
        var tasks = Set<String>()
        for label in o.labels where !tasks.insert(label.task).inserted {
            throw DataError(file: file, message: "task '\(label.task)' is named twice in labels=[..]")
        }
    }

    /// Reads `path` into an `InteractionTable`. Every problem is a `DataError` with line and column.
    /// Without `labelsRequired` (scoring new data) `o.labels` may be empty.
    public static func read(path: String, options o: CSVLoadOptions, labelsRequired: Bool = true) throws -> InteractionTable {
        try validate(o, file: path, labelsRequired: labelsRequired)
        let reader = try CSVReader(path: path, separator: o.separator)
        let header = try CSVHeader(reading: reader)
        let catIndex = try o.categorical.map { try header.index(of: $0, role: "categorical column") }
        let numIndex = try o.numeric.map { try header.index(of: $0, role: "numeric column") }
        let labelIndex = try o.labels.map { try header.index(of: $0.column, role: "label column") }
        let sessionIndex = try o.session.map { try header.index(of: $0, role: "session column") }
        let userIndex = try o.user.map { try header.index(of: $0, role: "user column") }
        let timeIndex = try o.time.map { try header.index(of: $0, role: "time column") }
        var keyNames = o.keys
        if let s = o.session, !keyNames.contains(s) { keyNames.insert(s, at: 0) }
        if let u = o.user, !keyNames.contains(u) { keyNames.append(u) }
        let keyIndex = try keyNames.map { try header.index(of: $0, role: "column") }

        let cats = catIndex.map { _ in TokenInterner() }
        let keys = keyIndex.map { _ in TokenInterner() }
        var catColumns = catIndex.map { _ in [Int32]() }
        var numColumns = numIndex.map { _ in [Float]() }
        var labelColumns = labelIndex.map { _ in [UInt8]() }
        var keyColumns = keyIndex.map { _ in [Int32]() }
        var times: [Int64] = []
        let width = header.names.count
        var rows = 0
        while try reader.nextRecord() {
            try reader.requireFieldCount(width)
            rows += 1
            for (k, i) in catIndex.enumerated() { catColumns[k].append(cats[k].intern(reader.field(i))) }
            for (k, i) in numIndex.enumerated() {
                let x = try reader.float(i, column: o.numeric[k])
                numColumns[k].append(o.logNumeric ? Float.signedLog1p(x) : x)
            }
            for (k, i) in labelIndex.enumerated() { labelColumns[k].append(try reader.label(i, column: o.labels[k].column)) }
            for (k, i) in keyIndex.enumerated() { keyColumns[k].append(keys[k].intern(reader.field(i))) }
            if let i = timeIndex { times.append(try reader.int64(i, column: o.time!)) }  // safe: timeIndex set only when o.time is
        }
        if rows == 0 {
            throw DataError(file: path, line: header.line, message: "no data rows after the header")
        }
        if timeIndex == nil { times = [Int64](repeating: 0, count: rows) }
        var table = InteractionTable(
            name: path, categoricalNames: o.categorical, categorical: catColumns,
            vocabularies: cats.map { $0.frozen() }, numericNames: o.numeric, numeric: numColumns,
            taskNames: o.labels.map(\.task), labels: labelColumns, timestamps: times,
            keyColumnNames: keyNames, keyColumns: keyColumns, keyVocabularies: keys.map { $0.frozen() })
        if let s = o.session, sessionIndex != nil, let k = keyNames.firstIndex(of: s) { table.sessions = keyColumns[k] }
        if let u = o.user, userIndex != nil, let k = keyNames.firstIndex(of: u) { table.users = keyColumns[k] }
        table.notes.append("file: \(path) (\(rows) rows, separator '\(reader.separatorName)')")
        return table
    }
}

extension Float {
    /// sign(x)·log(1 + |x|): monotone, 0 at 0, and about log|x| for large |x|.
    static func signedLog1p(_ x: Float) -> Float {
        x < 0 ? -Float(Foundation.log1p(Double(-x))) : Float(Foundation.log1p(Double(x)))
    }
}

/// What per-row exports need from the data: the raw values behind encoded rows, and new files
/// encoded with the trained encoders (`predict`).
extension DataPipeline {
    /// Rows of `table` behind part `name` (`train`, `val`, `test`) of the last `split`.
    public func tableRows(ofPart name: String) -> [Int]? {
        guard let r = splitRows else { return nil }
        switch name {
        case "train": return r.train
        case "val", "validation": return r.validation
        default: return r.test
        }
    }

    /// The identifying columns of `rows` of `table`: the session (rmtl's session number, the one
    /// s-Logloss groups by), each key column as read (user ids, the session column), the timestamp,
    /// each categorical feature as read (not encoded) and each numeric feature as the model reads it
    /// (after `scale=log`).
    public func rawColumns(rows: [Int]) -> [ExportColumn] {
        Self.rawColumns(of: table, rows: rows)
    }

    static func rawColumns(of t: InteractionTable, rows: [Int]) -> [ExportColumn] {
        var columns: [ExportColumn] = []
        if t.hasSessions { columns.append(.integers("session", rows.map { Int64(t.sessions[$0]) })) }
        // a key that is also a feature (session=user with cat=[user, …]) is written once, as the feature
        for (k, name) in t.keyColumnNames.enumerated()
        where k < t.keyColumns.count && k < t.keyVocabularies.count && !t.categoricalNames.contains(name) {
            columns.append(.tokens(name, t.keyVocabularies[k], gather(t.keyColumns[k], rows)))
        }
        if t.timestamps.contains(where: { $0 != 0 }) { columns.append(.integers("time", gather(t.timestamps, rows))) }
        for (f, name) in t.categoricalNames.enumerated() {
            columns.append(.tokens(name, t.vocabularies[f], gather(t.categorical[f], rows)))
        }
        for (f, name) in t.numericNames.enumerated() where f < t.numeric.count {
            columns.append(.floats(name, gather(t.numeric[f], rows)))
        }
        return columns
    }

    /// A new file of the loaded source's shape, encoded with the encoders of the last `split`.
    public struct ScoringInput: Sendable {
        /// Encoded rows (see `scoringInput(path:)` for which rows); labels only of `labeledTasks`,
        /// sessions all 0.
        public var data: Dataset
        /// Raw identifying columns (as `rawColumns(rows:)`) and the labels the file has.
        public var rawColumns: [ExportColumn]
        /// Tasks whose labels the file has, with `data.labels` in the same order.
        public var labeledTasks: [String]
        /// Per categorical field: rows whose value was not among the training values, which get the
        /// encoder's unseen id exactly as validation and test rows do.
        public var unseenCounts: [(field: String, rows: Int)]
        /// Rows the source's reader left out, and why (as at `load`).
        public var dropped: [DroppedRows]
    }

    /// Reads `path` as a new file of the loaded source's shape, with the loaded source's reader and
    /// options, and encodes it as at `split` (values never seen in training get the unseen id):
    /// - `load csv`: the CSV's rows in file order; every feature column is required (a missing one is an
    ///   error at the header's line), labels, session, user, time and key columns are read when present.
    /// - `load retailrocket`: an events file (`timestamp, visitorid, itemid`, optional `event`) with the
    ///   loaded folder's item properties, cut into sessions as the loaded events were and collapsed to
    ///   one row per (session, item) in time order; without `event` every row is a view and there are
    ///   no labels, with it the labels are derived as in training.
    /// - `load rmtl`: a file in the layout of `train.csv` (`click`, `pay` optional) with the folder's
    ///   `item_feadf.csv`, rows in file order.
    /// - `load kuairand`: a log in the log layout (label columns optional) joined with the folder's
    ///   user and video tables, rows in file order.
    /// RetailRocket, the processed layout and KuaiRand drop rows whose item (user, video) has no
    /// feature row, as their loaders do (`dropped`).
    public func scoringInput(path: String) throws -> ScoringInput {
        guard let train = splitRows?.train, encoders.count == table.categoricalNames.count else {
            throw DataError(file: path, message: "no encoders yet", hint: "run 'split' and 'train actor' first")
        }
        let (raw, taskNames) = try scoringTable(path: path)
        var ids: [[Int32]] = []
        var unseen: [(String, Int)] = []
        for (f, encoder) in encoders.enumerated() {
            // training vocabulary token → its raw id in the loaded table; seen = occurs in a training row
            let vocabulary = table.vocabularies[f]
            var known: [ArraySlice<UInt8>: Int32] = [:]
            for k in 0..<vocabulary.count { known[vocabulary.token(k)] = Int32(k) }
            var inTraining = [Bool](repeating: false, count: vocabulary.count)
            for r in train { inTraining[Int(table.categorical[f][r])] = true }
            let newVocabulary = raw.vocabularies[f]
            var newToID = [Int32](repeating: encoder.unseenID, count: newVocabulary.count)
            var newIsSeen = [Bool](repeating: false, count: newVocabulary.count)
            for k in 0..<newVocabulary.count {
                if let old = known[newVocabulary.token(k)], inTraining[Int(old)] {
                    newToID[k] = encoder.mapping[Int(old)]
                    newIsSeen[k] = true
                }
            }
            let column = raw.categorical[f]
            ids.append(column.map { newToID[Int($0)] })
            unseen.append((encoder.name, column.reduce(0) { $0 + (newIsSeen[Int($1)] ? 0 : 1) }))
        }
        let rows = raw.rowCount
        // a task is labeled when the file had its label column (the readers leave missing ones empty)
        let labeled = taskNames.indices.filter { $0 < raw.labels.count && raw.labels[$0].count == rows && rows > 0 }
        let data = Dataset(
            name: path, categoricalNames: table.categoricalNames, categorical: ids,
            cardinalities: encoders.map(\.cardinality),
            numericNames: raw.numeric.isEmpty ? ["zero"] : raw.numericNames,
            numeric: raw.numeric.isEmpty ? [[Float](repeating: 0, count: rows)] : raw.numeric,
            taskNames: labeled.map { taskNames[$0] }, labels: labeled.map { raw.labels[$0].map(Float.init) },
            sessions: [Int32](repeating: 0, count: rows), timestamps: raw.timestamps)
        var columns = Self.rawColumns(of: raw, rows: Array(0..<rows))
        for (t, task) in data.taskNames.enumerated() { columns.append(.floats("\(task)_label", data.labels[t])) }
        return ScoringInput(data: data, rawColumns: columns, labeledTasks: data.taskNames,
                            unseenCounts: unseen.map { (field: $0.0, rows: $0.1) }, dropped: raw.dropped)
    }

    /// `path` read by the loaded source's reader as a new file of its shape (see `scoringInput`), and
    /// the task names of its label columns (a column is empty when the file lacks it).
    func scoringTable(path: String) throws -> (table: InteractionTable, taskNames: [String]) {
        switch origin {
        case .csv(_, let o):
            let reader = try CSVReader(path: path, separator: o.separator)
            let header = try CSVHeader(reading: reader)
            for (role, names) in [("categorical", o.categorical), ("numeric", o.numeric)] {
                for name in names where !header.contains(name) {
                    throw DataError(
                        file: path, line: header.line, column: 1,
                        message: "no \(role) column '\(name)' in the header: the actor was trained on it",
                        hint: unknownColumnHint(name, columns: header.names))
                }
            }
            var scoring = o
            scoring.labels = o.labels.filter { header.contains($0.column) }
            scoring.session = o.session.flatMap { header.contains($0) ? $0 : nil }
            scoring.user = o.user.flatMap { header.contains($0) ? $0 : nil }
            scoring.time = o.time.flatMap { header.contains($0) ? $0 : nil }
            scoring.keys = o.keys.filter(header.contains)
            var raw = try GenericCSVReader.read(path: path, options: scoring, labelsRequired: false)
            raw.sessions = []  // the session column stays as read (a key column); rows are not sessionized here
            return (raw, scoring.labels.map(\.task))
        case .retailRocket(let directory, let o):
            var events = try RetailRocketReader.read(directory: directory, options: o, eventsFile: path, labelsRequired: false)
            events.eventLabels = source.eventLabels
            var collapsed: InteractionTable
            switch sessionCut ?? .gap(milliseconds: Self.defaultGap) {
            case .gap(let milliseconds): collapsed = try events.sessionized(gapMilliseconds: milliseconds)
            case .column(let column): collapsed = try events.sessionized(byColumn: column)
            }
            // without an event column every row read as a view: there are no labels to write
            if !(try CSVHeader(reading: CSVReader(path: path)).contains("event")) {
                collapsed.labels = collapsed.labels.map { _ in [] }
            }
            return (collapsed, collapsed.taskNames)
        case .processed(let directory, let o):
            var raw = try ProcessedReader.read(directory: directory, options: o, interactionFile: path, labelsRequired: false)
            raw.sessions = []  // file order; visitorid stays as a key column
            return (raw, raw.taskNames)
        case .kuaiRand(let directory, let o):
            let raw = try KuaiRandReader.read(directory: directory, options: o, logFile: path, labelsRequired: false)
            return (raw, raw.taskNames)
        }
    }
}

/// The encoders as a serving stack needs them beside an exported model (`NAME.encoders.json`):
/// per categorical field, in input order, the id of every training value; anything else gets
/// `unseen_id`. Numeric fields are fed as `numeric_transform` says.
public struct EncoderVocabularies: Codable, Sendable {
    public struct Field: Codable, Sendable {
        public var name: String
        public var cardinality: Int
        public var unseen_id: Int
        public var tail_merged: Bool
        /// Raw value (as in the source file) → encoded id.
        public var ids: [String: Int]
    }
    public var format = "rmtl-encoders"
    public var version = 1
    public var fields: [Field]
    public var numeric: [String]
    /// `none`, or `signed_log1p` (sign(x)·log(1 + |x|), the CSV loader's `scale=log`).
    public var numeric_transform: String
    public var tasks: [String]
}

extension DataPipeline {
    /// The encoders of the last `split`; nil before it.
    public func encoderVocabularies(tasks: [String]) -> EncoderVocabularies? {
        guard let train = splitRows?.train, encoders.count == table.categoricalNames.count else { return nil }
        let fields = encoders.enumerated().map { f, encoder in
            var inTraining = [Bool](repeating: false, count: table.vocabularies[f].count)
            for r in train { inTraining[Int(table.categorical[f][r])] = true }
            var ids: [String: Int] = [:]
            for k in inTraining.indices where inTraining[k] { ids[table.vocabularies[f].string(k)] = Int(encoder.mapping[k]) }
            return EncoderVocabularies.Field(name: encoder.name, cardinality: encoder.cardinality, unseen_id: Int(encoder.unseenID),
                                             tail_merged: encoder.isTailMerged, ids: ids)
        }
        let numeric = splits?.train.numericNames ?? table.numericNames
        var logNumeric = false
        if case .csv(_, let o) = origin { logNumeric = o.logNumeric }
        return EncoderVocabularies(fields: fields, numeric: numeric,
                                   numeric_transform: logNumeric ? "signed_log1p" : "none", tasks: tasks)
    }
}

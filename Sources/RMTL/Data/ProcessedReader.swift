/// The 7 RetailRocket item properties the paper uses, in model input order (reference §1.3).
public let retailRocketFields = ["785", "591", "814", "available", "categoryid", "364", "776"]
/// The two fields whose long tail the authors merge (reference §1.3, `filter_cols`).
public let retailRocketTailFields = ["776", "364"]

/// Options for the authors' processed directory (data-formats.md §2).
public struct ProcessedLoadOptions: Sendable, Equatable {
    /// Which file early stopping watches.
    public enum Selection: String, Sendable, Equatable {
        /// Code-faithful (default): validate on `test.csv`, report on `val.csv`, as SLmain.py:49-50 does.
        case test
        /// The names' reading: validate on `val.csv`, report on `test.csv`.
        case val
    }

    public var selection: Selection
    public var fields: [String]

    public init(selection: Selection = .test, fields: [String] = retailRocketFields) {
        self.selection = selection
        self.fields = fields
    }

    /// `keys=`: caches written before the itemid key column existed are not served.
    var fingerprint: String { "selection=\(selection.rawValue) fields=\(fields) keys=visitorid,itemid" }
}

/// Reads `train.csv`, `val.csv`, `test.csv` and `item_feadf.csv` from the authors' layout.
///
/// Rows keep their files' split (`presetSplit`), sessions are `visitorid` (the code's session key),
/// features come from `item_feadf.csv` (first row per itemid wins; an empty value reads as `0`, like
/// the authors' `fillna(0)`). A row whose item has no features is dropped and counted (the authors'
/// loader would crash on it). `state`/`next_state` columns, if present, are ignored.
///
/// `interactionFile` (scoring new data, `predict`) reads the rows of that one file, in the layout of
/// `train.csv`, with the folder's `item_feadf.csv`; without `labelsRequired` its `click` and `pay`
/// columns may be missing (their label columns are then empty).
public enum ProcessedReader {
    public static func read(
        directory: String, options: ProcessedLoadOptions = .init(), interactionFile: String? = nil,
        labelsRequired: Bool = true
    ) throws -> InteractionTable {
        let itemsPath = directory + "/item_feadf.csv"
        var itemRow = KeyInterner()
        let fieldInterners = options.fields.map { _ in TokenInterner() }
        var itemFeatures: [[Int32]] = options.fields.map { _ in [] }
        var duplicates = 0
        do {
            let reader = try CSVReader(path: itemsPath)
            let header = try CSVHeader(reading: reader)
            let idIndex = try header.index(of: "itemid")
            let fieldIndex = try options.fields.map { try header.index(of: $0, role: "feature column") }
            let zero = fieldInterners.map { $0.intern("0") }
            while try reader.nextRecord() {
                try reader.requireFieldCount(header.names.count)
                let item = try reader.int64(idIndex, column: "itemid")
                let before = itemRow.count
                _ = itemRow.intern(item)
                if itemRow.count == before {
                    duplicates += 1
                    continue
                }
                for (k, i) in fieldIndex.enumerated() {
                    itemFeatures[k].append(reader.isEmpty(i) ? zero[k] : fieldInterners[k].intern(reader.field(i)))
                }
            }
        }

        var table = InteractionTable(
            name: directory, categoricalNames: options.fields, categorical: options.fields.map { _ in [] },
            taskNames: ["ctr", "ctcvr"], labels: [[], []], keyColumnNames: ["visitorid", "itemid"])
        let visitors = TokenInterner()
        var visitorColumn: [Int32] = []
        var items = KeyInterner()
        var noFeatures = 0
        // Part numbers: train 0, validation 1, test 2, with the selection deciding which file validates.
        let parts: [(name: String, part: UInt8)] = options.selection == .test
            ? [("train.csv", 0), ("test.csv", 1), ("val.csv", 2)]
            : [("train.csv", 0), ("val.csv", 1), ("test.csv", 2)]
        let files = interactionFile.map { [(path: $0, part: UInt8(0))] } ?? parts.map { (path: directory + "/" + $0.name, part: $0.part) }
        for (path, part) in files {
            let reader = try CSVReader(path: path)
            let header = try CSVHeader(reading: reader)
            let time = try header.index(of: "timestamp"), visitor = try header.index(of: "visitorid")
            let item = try header.index(of: "itemid")
            let click = try header.index(of: "click", role: "label column", required: labelsRequired)
            let pay = try header.index(of: "pay", role: "label column", required: labelsRequired)
            var rows = 0
            while try reader.nextRecord() {
                try reader.requireFieldCount(header.names.count)
                let itemID = try reader.int64(item, column: "itemid")
                guard let featureRow = itemRow.id(of: itemID) else {
                    noFeatures += 1
                    continue
                }
                rows += 1
                for k in options.fields.indices { table.categorical[k].append(itemFeatures[k][Int(featureRow)]) }
                if let click { table.labels[0].append(try reader.label(click, column: "click")) }
                if let pay { table.labels[1].append(try reader.label(pay, column: "pay")) }
                table.timestamps.append(try reader.int64(time, column: "timestamp"))
                visitorColumn.append(visitors.intern(reader.field(visitor)))
                table.items.append(items.intern(itemID))
                table.presetSplit.append(part)
            }
            if rows == 0 {
                throw DataError(
                    file: path, message: "no usable rows" + (interactionFile == nil
                        ? ": the \(["training", "validation", "test"][Int(part)]) split would be empty" : ""),
                    hint: noFeatures > 0 ? "no row's itemid appears in item_feadf.csv" : nil)
            }
        }
        table.vocabularies = fieldInterners.map { $0.frozen() }
        // itemid as a key: the raw item ids of per-row exports (`export predictions`)
        table.keyColumns = [visitorColumn, table.items]
        table.keyVocabularies = [visitors.frozen(), RetailRocketReader.numericTokens(items.keys)]
        table.users = visitorColumn
        table.sessions = visitorColumn
        table.dropped.add("itemid missing from item_feadf.csv", noFeatures)
        if duplicates > 0 { table.notes.append("item_feadf.csv: \(duplicates) duplicate itemid rows ignored (first kept)") }
        table.notes.append(
            options.selection == .test
                ? "split: validation = test.csv, test = val.csv (the authors' code, SLmain.py:49-50; selection=val swaps)"
                : "split: validation = val.csv, test = test.csv (selection=val)")
        table.notes.append("sessions: visitorid")
        return table
    }
}

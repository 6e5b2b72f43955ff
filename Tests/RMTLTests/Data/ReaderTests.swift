import Foundation
import RMTL
import Testing

/// Asserts that `body` throws a `DataError` whose message contains `message`, at `line`:`column` when
/// given, and returns it.
@discardableResult
func expectDataError(
    _ message: String, line: Int? = nil, column: Int? = nil, hint: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> DataError? {
    do {
        try body()
        Issue.record("expected an error containing '\(message)'", sourceLocation: sourceLocation)
    } catch let e as DataError {
        #expect(e.message.contains(message), "\(e)", sourceLocation: sourceLocation)
        if let line { #expect(e.line == line, "\(e)", sourceLocation: sourceLocation) }
        if let column { #expect(e.column == column, "\(e)", sourceLocation: sourceLocation) }
        if let hint { #expect(e.hint?.contains(hint) == true, "\(e)", sourceLocation: sourceLocation) }
        return e
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

@Suite struct DataGenericCSVTests {
    let options = CSVLoadOptions(
        categorical: ["user", "item"], numeric: ["price"],
        labels: [.init(task: "ctr", column: "click"), .init(task: "ctcvr", column: "buy")],
        session: "sid", user: "user", time: "t")

    @Test func readsQuotedCRLFBOMAndUnsortedTimes() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let text = "sid,user,item,price,click,buy,t\r\n"
            + "s1,u1,\"a,b\",1.5,1,0,300\r\n"
            + "s1,u1,,2,0,0,100\r\n"
            + "s2,u2,\"say \"\"x\"\"\",-124,1,1,200\r\n"
        let path = folder.write("d.csv", [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        let t = try GenericCSVReader.read(path: path, options: options)
        #expect(t.rowCount == 3)
        #expect(t.vocabularies[1].string(Int(t.categorical[1][0])) == "a,b")
        #expect(t.vocabularies[1].string(Int(t.categorical[1][1])) == "")
        #expect(t.vocabularies[1].string(Int(t.categorical[1][2])) == "say \"x\"")
        #expect(t.numeric[0] == [1.5, 2, -124])
        #expect(t.labels == [[1, 0, 1], [0, 0, 1]])
        #expect(t.timestamps == [300, 100, 200])
        var pipeline = try DataPipeline.loadCSV(path: path, options: options, cache: .disabled)
        #expect(pipeline.table.timestamps == [100, 200, 300])  // time order after sessions
        #expect(pipeline.table.sessions == [0, 1, 0])
        try pipeline.sessionize(gapMilliseconds: 50)  // per user: u1 at 100 and 300 → two sessions
        #expect(pipeline.table.sessions == [0, 1, 2])
        let summary = pipeline.summary.description
        #expect(summary.contains("rows 3, sessions 3, users 2"))
        #expect(summary.contains("task ctr: 2 positives"))
    }

    @Test func logScaledNumericColumns() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.write("d.csv", "sid,user,item,price,click,buy,t\ns1,u1,a,1.5,1,0,300\ns1,u1,b,0,0,0,100\ns2,u2,c,-124,1,1,200\n")
        var o = options
        o.logNumeric = true
        let t = try GenericCSVReader.read(path: path, options: o)
        #expect(t.numeric[0] == [Float(log1p(1.5)), 0, -Float(log1p(124.0))])
        #expect(o.fingerprint != options.fingerprint, "the cache must not serve raw values for scale=log")
    }

    @Test func tabSeparated() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.write("d.tsv", "user\titem\tclick\nu1\ta,b\t1\nu2\tc\t0\n")
        var o = CSVLoadOptions(categorical: ["user", "item"], labels: [.init(task: "ctr", column: "click")], separator: 9)
        let t = try GenericCSVReader.read(path: path, options: o)
        #expect(t.vocabularies[1].string(Int(t.categorical[1][0])) == "a,b")
        o.separator = 44
        expectDataError("no categorical column 'user'") { _ = try GenericCSVReader.read(path: path, options: o) }
    }

    @Test func columnErrors() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.write("d.csv", "sid,user,item,price,click,buy,t\ns1,u1,a,1,1,0,5\n")
        var o = options
        o.categorical = ["usr", "item"]
        expectDataError("no categorical column 'usr' in the header", line: 1, column: 1, hint: "did you mean 'user'?") {
            _ = try GenericCSVReader.read(path: path, options: o)
        }
        o = options
        o.labels = [.init(task: "ctr", column: "clck")]
        expectDataError("no label column 'clck'", hint: "did you mean 'click'?") { _ = try GenericCSVReader.read(path: path, options: o) }
        o = options
        o.categorical = ["user", "item", "click"]
        expectDataError("label column 'click' is also listed as a feature", hint: "remove 'click' from cat") {
            _ = try GenericCSVReader.read(path: path, options: o)
        }
        o = options
        o.numeric = ["price", "click"]
        expectDataError("also listed as a feature") { _ = try GenericCSVReader.read(path: path, options: o) }
        o = options
        o.categorical = ["user", "user"]
        expectDataError("listed twice") { _ = try GenericCSVReader.read(path: path, options: o) }
        expectDataError("no such file") { _ = try GenericCSVReader.read(path: folder.path + "/nope.csv", options: options) }
    }

    /// The data errors of the catalogue: each names file, line, column and the column name.
    @Test(arguments: [
        ("ragged row", "s1,u1,a,1,1,0,5\ns2,u2,b,2,0,0\n", "expected 7 fields, found 6", 3, 14),
        ("non-numeric price", "s1,u1,a,1,1,0,5\ns2,u2,b,cheap,0,0,6\n", "column 'price' must hold a number, found 'cheap'", 3, 9),
        ("empty price", "s1,u1,a,,1,0,5\n", "column 'price' must hold a number, found an empty field", 2, 9),
        ("label 2", "s1,u1,a,1,2,0,5\n", "label column 'click' must hold 0 or 1, found '2'", 2, 11),
        ("label yes", "s1,u1,a,1,1,yes,5\n", "label column 'buy' must hold 0 or 1, found 'yes'", 2, 13),
        ("float time", "s1,u1,a,1,1,0,5.5\n", "column 't' must hold an integer", 2, 15),
        ("unterminated", "s1,u1,\"a,1,1,0,5\n", "unterminated quoted field", 2, 7),
    ])
    func dataErrors(_ name: String, _ body: String, _ message: String, _ line: Int, _ column: Int) throws {
        let folder = TemporaryFolder(name)
        defer { folder.cleanup() }
        let path = folder.write("d.csv", "sid,user,item,price,click,buy,t\n" + body)
        let e = expectDataError(message, line: line, column: column) { _ = try GenericCSVReader.read(path: path, options: options) }
        #expect(e?.file == path)
        #expect(e?.hint != nil)
    }

    @Test func separatorNames() {
        #expect(CSVLoadOptions.separator(named: "tab") == 9)
        #expect(CSVLoadOptions.separator(named: "comma") == 44)
        #expect(CSVLoadOptions.separator(named: "TAB") == 9)
        #expect(CSVLoadOptions.separator(named: "space") == nil)
    }

    @Test func headerOnlyIsAnError() {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.write("d.csv", "sid,user,item,price,click,buy,t\n")
        expectDataError("no data rows") { _ = try GenericCSVReader.read(path: path, options: options) }
    }

    @Test func splitByColumnThroughThePipeline() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        var text = "item,click,part,t\n"
        for i in 0..<12 { text += "i\(i % 4),\(i % 2),\(["train", "val", "test"][i % 3]),\(i)\n" }
        let path = folder.write("d.csv", text)
        let o = CSVLoadOptions(categorical: ["item"], labels: [.init(task: "ctr", column: "click")], time: "t", keys: ["part"])
        var p = try DataPipeline.loadCSV(path: path, options: o, cache: .disabled)
        let splits = try p.split(.column("part"))
        #expect(splits.train.rowCount == 4 && splits.validation.rowCount == 4 && splits.test.rowCount == 4)
        #expect(splits.train.timestamps == [0, 3, 6, 9])
        #expect(p.summary.splitRows == [4, 4, 4])
        expectDataError("the training split is empty") { _ = try p.split(.time(train: 0, validation: 1, test: 1, wholeSessions: false)) }
    }
}

@Suite struct DataProcessedLayoutTests {
    func writeLayout(_ folder: TemporaryFolder) {
        folder.write("item_feadf.csv", "itemid,785,591,814,available,categoryid,364,776,999\n"
            + "10,1,2,3,1,7,5,6,0\n11,1,2,4,0,8,5,,0\n10,9,9,9,9,9,9,9,9\n12,1,3,3,1,7,5,6,0\n")
        let header = "timestamp,visitorid,itemid,click,pay,state,next_state\n"
        folder.write("train.csv", header + "1,100,10,1,0,\"[[10, 0]]\",\"[[10, 0], [11, 0]]\"\n2,100,11,0,0,[],[]\n3,101,12,1,1,[],[]\n")
        folder.write("val.csv", header + "10,200,10,0,0,[],[]\n11,200,99,1,0,[],[]\n")
        folder.write("test.csv", header + "20,300,11,1,0,[],[]\n")
    }

    @Test func codeFaithfulSelectionAndFeatures() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        writeLayout(folder)
        var p = try DataPipeline.loadProcessed(directory: folder.path, cache: .disabled)
        let splits = try p.split(.preset)
        // Default (code-faithful): validation = test.csv, test = val.csv.
        #expect(splits.validation.timestamps == [20])
        #expect(splits.test.timestamps == [10])
        #expect(splits.train.rowCount == 3)
        #expect(splits.train.categoricalNames == ["785", "591", "814", "available", "categoryid", "364", "776"])
        #expect(p.source.dropped == [DroppedRows(reason: "itemid missing from item_feadf.csv", count: 1)])
        // First item_feadf row wins (item 10 has 814 = 3, not 9); empty 776 of item 11 reads as 0.
        let t = p.source
        #expect(t.vocabularies[2].string(Int(t.categorical[2][0])) == "3")
        #expect(t.vocabularies[6].string(Int(t.categorical[6][1])) == "0")
        #expect(splits.train.sessions == [0, 0, 1])
        // per-row exports give the raw keys of the test row back: visitor 200, item 10 (issue 16)
        let raw = p.rawColumns(rows: try #require(p.tableRows(ofPart: "test")))
        #expect(Array(raw.map(\.name).prefix(4)) == ["session", "visitorid", "itemid", "time"])
        for (k, want) in [(1, "200"), (2, "10")] {
            guard case .tokens(_, let tokens, let ids) = raw[k] else { Issue.record("\(raw[k].name) is not a token column"); continue }
            #expect(ids.map { tokens.string(Int($0)) } == [want])
        }
        #expect(p.summary.description.contains("validation = test.csv"))

        var swapped = try DataPipeline.loadProcessed(
            directory: folder.path, options: ProcessedLoadOptions(selection: .val), cache: .disabled)
        let s = try swapped.split(.preset)
        #expect(s.validation.timestamps == [10] && s.test.timestamps == [20])
    }

    @Test func missingFileAndColumn() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        writeLayout(folder)
        try FileManager.default.removeItem(atPath: folder.path + "/val.csv")
        expectDataError("no such file") { _ = try ProcessedReader.read(directory: folder.path) }
        folder.write("val.csv", "timestamp,visitorid,itemid,clik,pay\n1,2,10,1,0\n")
        expectDataError("no label column 'click'", hint: "did you mean 'clik'?") { _ = try ProcessedReader.read(directory: folder.path) }
    }
}

@Suite struct DataRetailRocketTests {
    /// Two visitors, three items; snapshots at t = 1000 and 5000; events out of time order.
    func writeRaw(_ folder: TemporaryFolder, tree: Bool = true) {
        folder.write("events.csv", "timestamp,visitorid,event,itemid,transactionid\r\n"
            + "6000,1,addtocart,500,\r\n"
            + "500,1,view,500,\r\n"
            + "6500,1,transaction,500,77\r\n"
            + "2000,2,view,501,\r\n"
            + "5900,1,view,501,\r\n"
            + "9000000,2,addtocart,502,\r\n")
        folder.write("item_properties_part1.csv", "timestamp,itemid,property,value\n"
            + "1000,500,available,1\n5000,500,available,0\n1000,500,categoryid,33\n"
            + "1000,500,790,n552.000\n1000,999,categoryid,1\n")
        folder.write("item_properties_part2.csv", "timestamp,itemid,property,value\n"
            + "1000,501,categoryid,34\n1000,501,available,1\n1000,500,814,\"n12.000 4242\"\n"
            + "1000,502,categoryid,33\n")
        if tree { folder.write("category_tree.csv", "categoryid,parentid\n33,1\n34,1\n1,\n") }
    }

    @Test func asOfJoinSessionsAndLabels() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        writeRaw(folder)
        let events = try RetailRocketReader.read(directory: folder.path)
        #expect(events.rowCount == 6)
        #expect(events.rowUnit == .event)
        let available = events.categoricalNames.firstIndex(of: "available")!  // safe: a default field
        func value(_ f: Int, _ row: Int) -> String { events.vocabularies[f].string(Int(events.categorical[f][row])) }
        // Row 0 (t 6000, item 500) sees the t = 5000 snapshot; row 1 (t 500) sees the earliest one.
        #expect(value(available, 0) == "0")
        #expect(value(available, 1) == "1")
        #expect(value(2, 0) == "n12.000 4242")  // 814, a multi-token value
        #expect(value(0, 0) == "")  // 785: no snapshot → empty token
        var latest = try RetailRocketReader.read(directory: folder.path, options: .init(properties: .latest))
        #expect(latest.vocabularies[available].string(Int(latest.categorical[available][1])) == "0")
        latest.eventLabels = .default

        var p = try DataPipeline.loadRetailRocket(directory: folder.path, cache: .disabled)
        try p.sessionize(gapMilliseconds: 30 * 60_000)
        let t = p.table
        // Visitor 1: one session (500 … 6500) with items 500 then 501; visitor 2: 501 at 2000, 502 much later.
        #expect(t.rowCount == 4)
        #expect(t.timestamps == [500, 2000, 5900, 9_000_000])
        #expect(t.labels[0] == [1, 0, 0, 1])
        #expect(t.labels[1] == [1, 0, 0, 0])
        #expect(t.sessions == [0, 1, 0, 2])
        let summary = p.summary.description
        #expect(summary.contains("category_tree.csv: 3 categories"))
        #expect(summary.contains("ctr = addtocart or transaction"))
    }

    @Test func treeIsOptionalAndErrorsArePositioned() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        writeRaw(folder, tree: false)
        _ = try RetailRocketReader.read(directory: folder.path)
        folder.write("events.csv", "timestamp,visitorid,event,itemid,transactionid\n1,1,view,5,\n2,1,click,5,\n")
        expectDataError("unknown event 'click'", line: 3, column: 5) { _ = try RetailRocketReader.read(directory: folder.path) }
        folder.write("events.csv", "timestamp,visitor,event,itemid,transactionid\n1,1,view,5,\n")
        expectDataError("no column 'visitorid'", hint: "did you mean 'visitor'?") { _ = try RetailRocketReader.read(directory: folder.path) }
        folder.write("events.csv", "timestamp,visitorid,event,itemid,transactionid\n1,x1,view,5,\n")
        expectDataError("column 'visitorid' must hold an integer, found 'x1'", line: 2, column: 3) {
            _ = try RetailRocketReader.read(directory: folder.path)
        }
        try FileManager.default.removeItem(atPath: folder.path + "/item_properties_part2.csv")
        folder.write("events.csv", "timestamp,visitorid,event,itemid,transactionid\n1,1,view,5,\n")
        expectDataError("no such file") { _ = try RetailRocketReader.read(directory: folder.path) }
    }
}

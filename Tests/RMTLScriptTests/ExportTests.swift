import Foundation
import RMTL
import RMTLScript
import Testing

/// Issue 16: `export predictions`, `predict`, `export onnx`, `plot calibration` as a user runs them,
/// on a small CSV whose raw values the exports must give back.
@Suite(.serialized) struct ExportTests {
    static let folder = CLI.temporaryFolder("export")

    /// 600 rows, 30 users, 13 items (one spelled with a comma and one with a quote, to exercise CSV
    /// quoting), time increasing (row r at 1.7e12 + 1000·r ms, which identifies it), click from item and
    /// user parity, buy ⊂ click.
    static let trainingCSV: String = {
        var lines = ["row_id,user,item,price,time,click,buy"]
        var state: UInt64 = 7
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        // the last item, "late", occurs only in test rows (r ≥ 560): unseen in training
        let items = (0..<10).map { "item\($0)" } + ["a,b", "say \"hi\"", "late"]
        for r in 0..<600 {
            let user = Int(next() % 30), item = r >= 560 && r % 10 == 0 ? items.count - 1 : Int(next() % UInt64(items.count - 1))
            let click = (item % 3 == 0 || (user % 2 == 0 && next() % 3 == 0)) ? 1 : 0
            let buy = click == 1 && next() % 2 == 0 ? 1 : 0
            let quotedItem = items[item].contains(",") || items[item].contains("\"")
                ? "\"" + items[item].replacingOccurrences(of: "\"", with: "\"\"") + "\"" : items[item]
            lines.append("r\(r),u\(user),\(quotedItem),\(Double(item) * 1.5),\(1_700_000_000_000 + r * 1000),\(click),\(buy)")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    /// The `time` values of rows `r`, as the CSV spells them.
    static func times(_ r: Range<Int>) -> [String] { r.map { String(1_700_000_000_000 + $0 * 1000) } }

    /// Loads and splits the CSV.
    static func dataPrelude() -> String {
        let path = "\(folder)/train.csv"
        if !FileManager.default.fileExists(atPath: path) { try! trainingCSV.write(toFile: path, atomically: true, encoding: .utf8) }
        return """
            seed 3
            threads 2
            load csv "\(path)" cat=[user, item] num=[price] labels=[ctr=click, ctcvr=buy] session=user time=time
            split time 0.6 0.2 0.2 keep_sessions=false

            """
    }

    /// Loads, splits and trains a small ESMM.
    static func prelude() -> String {
        dataPrelude() + """
            actor esmm embed=4 bottom=[8] tower=[4]
            train actor epochs=2 batch=64

            """
    }

    static func run(_ text: String) -> CapturedSession {
        let c = CapturedSession()
        c.session.run(source: prelude() + text, file: "t.rmtl", mode: .run)
        return c
    }

    /// Rows of a CSV as read by the engine's own RFC 4180 reader: header → values per row.
    static func readCSV(_ path: String) throws -> (header: [String], rows: [[String]]) {
        let reader = try CSVReader(path: path)
        let header = try CSVHeader(reading: reader)
        var rows: [[String]] = []
        while try reader.nextRecord() { rows.append((0..<reader.fieldCount).map { reader.string($0) }) }
        return (header.names, rows)
    }

    @Test func exportedRowsAreTheTestSplitWithRawValuesInOrder() throws {
        let out = "\(Self.folder)/pred.csv"
        let c = Self.run("""
            eval test as evaluated
            export predictions "\(out)" as exported
            """)
        #expect(c.diagnostics.isEmpty, "\(c.diagnostics)")
        let (header, rows) = try Self.readCSV(out)
        #expect(header == ["session", "time", "user", "item", "price", "ctr_label", "ctr_pred", "ctcvr_label", "ctcvr_pred"],
                "\(header)")
        // the test split is the last 20% by time: rows r480…r599, in time order
        #expect(rows.map { $0[1] } == Self.times(480..<600))
        let source = try Self.readCSV("\(Self.folder)/train.csv")
        let byTime = Dictionary(uniqueKeysWithValues: source.rows.map { ($0[4], $0) })
        for row in rows {
            let original = try #require(byTime[row[1]])
            // raw values as read: user, item (quoted ones included), price, labels
            #expect([row[2], row[3]] == [original[1], original[2]])
            #expect(Double(row[4]) == Double(original[3]))
            #expect(row[5] == original[5] && row[7] == original[6])
        }
        #expect(rows.contains { $0[3] == "a,b" } && rows.contains { $0[3] == "say \"hi\"" })
        // the stored metrics of the exported predictions are eval's, and the file reproduces them
        let w = c.session.workspace
        let evaluated = try #require(w.results.first { $0.name == "evaluated" })
        let exported = try #require(w.results.first { $0.name == "exported" })
        #expect(evaluated.tasks == exported.tasks)
        for (t, task) in ["ctr", "ctcvr"].enumerated() {
            let p = rows.map { Float($0[6 + 2 * t])! }, y = rows.map { Float($0[5 + 2 * t])! }
            let sessions = rows.map { Int32($0[0])! }
            #expect(auc(scores: p, labels: y) == evaluated.tasks[t].auc, "\(task)")
            #expect(abs(logLoss(probabilities: p, labels: y) - evaluated.tasks[t].logLoss) < 1e-12, "\(task)")
            #expect(abs(sessionLogLoss(probabilities: p, labels: y, sessions: sessions) - evaluated.tasks[t].sessionLogLoss) < 1e-12, "\(task)")
        }
    }

    @Test func trainSplitAndValidationSplitHaveTheirRows() throws {
        let out = "\(Self.folder)/train-pred.csv"
        let c = Self.run("export predictions \"\(out)\" split=train\nexport predictions \"\(out).val\" split=val\n")
        #expect(c.diagnostics.isEmpty, "\(c.diagnostics)")
        #expect(try Self.readCSV(out).rows.map { $0[1] } == Self.times(0..<360))
        #expect(try Self.readCSV(out + ".val").rows.map { $0[1] } == Self.times(360..<480))
    }

    @Test func predictScoresANewFileLikeTheTestRows() throws {
        let exported = "\(Self.folder)/pred2.csv", scored = "\(Self.folder)/scores.csv", new = "\(Self.folder)/new.csv"
        // the first test rows again (no labels, no time, columns in another order), then an unseen item and user
        let source = try Self.readCSV("\(Self.folder)/train.csv")
        var lines = ["item,price,user"]
        for r in source.rows[480..<490] + [source.rows[560]] {
            let item = r[2].contains(",") || r[2].contains("\"") ? "\"" + r[2].replacingOccurrences(of: "\"", with: "\"\"") + "\"" : r[2]
            lines.append("\(item),\(r[3]),\(r[1])")
        }
        lines += ["brand-new,3.0,u1", "item1,1.5,stranger"]
        try (lines.joined(separator: "\n") + "\n").write(toFile: new, atomically: true, encoding: .utf8)
        let c = Self.run("""
            export predictions "\(exported)"
            predict "\(new)" to "\(scored)"
            """)
        #expect(c.diagnostics.isEmpty, "\(c.diagnostics)")
        #expect(c.stdout.contains { $0.contains("values not seen in training") && $0.contains("user 1 row") && $0.contains("item 2 rows") },
                "\(c.stdout)")
        let (header, rows) = try Self.readCSV(scored)
        #expect(header == ["user", "item", "price", "ctr_pred", "ctcvr_pred"], "\(header)")
        #expect(rows.count == 13)
        // the same raw row scores the same as in the test split, also when its item was unseen in training
        let test = try Self.readCSV(exported).rows
        for (i, t) in (0..<10).map({ ($0, $0) }) + [(10, 80)] {
            #expect(rows[i][3] == test[t][6] && rows[i][4] == test[t][8], "row \(i): \(rows[i]) vs \(test[t])")
        }
        #expect(test[80][3] == "late" && rows[10][1] == "late")
        #expect(rows[11][1] == "brand-new" && Float(rows[11][3])! > 0 && Float(rows[11][3])! < 1)
    }

    @Test func predictWithoutAFeatureColumnIsAPositionedError() throws {
        let new = "\(Self.folder)/no-item.csv"
        try "user,price,itm\nu1,1.0,item1\n".write(toFile: new, atomically: true, encoding: .utf8)
        let c = Self.run("predict \"\(new)\" to \"\(Self.folder)/never.csv\"\n")
        let text = c.diagnostics.joined(separator: "\n")
        #expect(text.contains("\(new):1:1: no categorical column 'item' in the header: the actor was trained on it"), "\(text)")
        #expect(text.contains("did you mean 'itm'?"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: "\(Self.folder)/never.csv"))
    }

    @Test func aRestoredActorExportsTheSameFile() throws {
        let saved = "\(Self.folder)/esmm.safetensors", before = "\(Self.folder)/before.csv", after = "\(Self.folder)/after.csv"
        let first = Self.run("export predictions \"\(before)\"\nsave \"\(saved)\"\n")
        #expect(first.diagnostics.isEmpty, "\(first.diagnostics)")
        let second = CapturedSession()
        second.session.run(source: Self.dataPrelude() + "restore \"\(saved)\"\nexport predictions \"\(after)\"\n", file: "t.rmtl", mode: .run)
        #expect(second.diagnostics.isEmpty, "\(second.diagnostics)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: before)) == Data(contentsOf: URL(fileURLWithPath: after)))
    }

    @Test(arguments: ["export predictions \"p.csv\"", "export onnx \"m.onnx\"", "predict \"a.csv\" to \"b.csv\"",
                      "plot calibration"])
    func checkFindsExportsBeforeATrainedActor(_ line: String) {
        let c = CapturedSession()
        let outcome = c.session.run(source: "generate retailrocket \"x\" events=1k\nload retailrocket \"x\"\nsplit time 0.6 0.2 0.2\nactor esmm\n\(line)\n",
                                    file: "t.rmtl", mode: .check)
        #expect(outcome.status == .staticErrors)
        #expect(c.diagnostics.joined().contains("t.rmtl:5:1: error:"), "\(c.diagnostics)")
        #expect(c.diagnostics.joined().contains("train"), "\(c.diagnostics)")
    }

    @Test func calibrationChartHasOnePointPerBinAndTheDiagonal() throws {
        let svg = "\(Self.folder)/calibration.svg"
        let c = Self.run("plot calibration \"\(svg)\"\n")
        #expect(c.diagnostics.isEmpty, "\(c.diagnostics)")
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.contains("perfectly calibrated") && text.contains("stroke-dasharray"))
        #expect(text.components(separatedBy: "<circle").count - 1 == 20)  // 10 bins × 2 tasks
        #expect(c.stdout.contains { $0.hasPrefix("plot calibration: ctr: ECE ") })
    }

    @Test func onnxFileHasTheGraphInputsOutputsAndWeights() throws {
        let path = "\(Self.folder)/esmm.onnx"
        let c = Self.run("export onnx \"\(path)\"\n")
        #expect(c.diagnostics.isEmpty, "\(c.diagnostics)")
        let model = ProtoFields(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(model.ints(1) == [8])                                   // ir_version
        let opset = ProtoFields(try #require(model.messages(8).first))
        #expect(opset.ints(2) == [17])
        let graph = ProtoFields(try #require(model.messages(7).first))
        let ops = graph.messages(1).map { ProtoFields($0).strings(4)[0] }
        // bottom=[8] per task (1 Linear × 2), the numeric layer, tower=[4] + output (2 Linear × 2)
        #expect(ops.filter { $0 == "Gemm" }.count == 2 + 1 + 4)
        #expect(ops.filter { $0 == "Sigmoid" }.count == 2 && ops.contains("Mul"))  // ESMM: pCTCVR = pCVR · pCTR
        #expect(!ops.contains("Dropout"))
        #expect(graph.messages(11).map { ProtoFields($0).strings(1)[0] } == ["categorical_ids", "numeric"])
        #expect(graph.messages(12).map { ProtoFields($0).strings(1)[0] } == ["ctr", "ctcvr"])
        let initializers = Set(graph.messages(5).map { ProtoFields($0).strings(8)[0] })
        let saved = Set(try #require(c.session.workspace.actor).tensors().map(\.name))
        #expect(saved.isSubset(of: initializers), "\(saved.subtracting(initializers))")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(Self.folder)/esmm.encoders.json"))) as? [String: Any]
        let fields = try #require(json?["fields"] as? [[String: Any]])
        #expect(fields.map { $0["name"] as? String } == ["user", "item"])
        #expect((fields[1]["ids"] as? [String: Int])?["a,b"] != nil)
    }
}

/// The fields of one protobuf message (enough wire format to read what `ONNXGraph` writes).
struct ProtoFields {
    var fields: [(number: Int, varint: UInt64?, bytes: [UInt8]?)] = []

    init(_ b: [UInt8]) {
        var i = 0
        func varint() -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                let byte = b[i]; i += 1
                v |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return v }
                shift += 7
            }
        }
        while i < b.count {
            let key = varint()
            switch key & 7 {
            case 0: fields.append((Int(key >> 3), varint(), nil))
            case 2:
                let n = Int(varint())
                fields.append((Int(key >> 3), nil, Array(b[i..<i + n])))
                i += n
            case 5: fields.append((Int(key >> 3), nil, Array(b[i..<i + 4]))); i += 4
            default: fields.append((Int(key >> 3), nil, Array(b[i..<i + 8]))); i += 8
            }
        }
    }

    func ints(_ n: Int) -> [Int] { fields.filter { $0.number == n }.compactMap { $0.varint.map { Int($0) } } }
    func messages(_ n: Int) -> [[UInt8]] { fields.filter { $0.number == n }.compactMap(\.bytes) }
    func strings(_ n: Int) -> [String] { messages(n).map { String(decoding: $0, as: UTF8.self) } }
}

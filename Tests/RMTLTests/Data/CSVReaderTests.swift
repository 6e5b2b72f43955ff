import Foundation
import RMTL
import Testing

/// One CSV input and the exact table it must give.
struct CSVPositive: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    let expected: [[String]]
    var separator: UInt8 = UInt8(ascii: ",")
    var testDescription: String { name }
}

/// One malformed CSV input and the error it must give.
struct CSVNegative: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    let line: Int
    let column: Int
    let message: String  // a substring of the message
    /// Fields every record must have (0: only the reader itself runs).
    var width: Int = 0
    var testDescription: String { name }
}

func b(_ s: String) -> [UInt8] { Array(s.utf8) }

let csvPositives: [CSVPositive] = [
    .init(name: "simple", bytes: b("a,b\n1,2\n"), expected: [["a", "b"], ["1", "2"]]),
    .init(name: "no final newline", bytes: b("a,b\n1,2"), expected: [["a", "b"], ["1", "2"]]),
    .init(name: "CRLF", bytes: b("a,b\r\n1,2\r\n"), expected: [["a", "b"], ["1", "2"]]),
    .init(name: "CR only", bytes: b("a,b\r1,2\r"), expected: [["a", "b"], ["1", "2"]]),
    .init(name: "mixed newlines", bytes: b("a,b\r\n1,2\n3,4\r5,6"), expected: [["a", "b"], ["1", "2"], ["3", "4"], ["5", "6"]]),
    .init(name: "BOM", bytes: [0xEF, 0xBB, 0xBF] + b("a,b\n1,2\n"), expected: [["a", "b"], ["1", "2"]]),
    .init(name: "empty fields", bytes: b("a,b,c\n,,\n1,,3\n"), expected: [["a", "b", "c"], ["", "", ""], ["1", "", "3"]]),
    .init(name: "trailing empty field", bytes: b("a,b\n1,\n"), expected: [["a", "b"], ["1", ""]]),
    .init(name: "trailing empty field at EOF", bytes: b("a,b\n1,"), expected: [["a", "b"], ["1", ""]]),
    .init(name: "quoted comma", bytes: b("a,b\n\"x,y\",2\n"), expected: [["a", "b"], ["x,y", "2"]]),
    .init(name: "quoted newline", bytes: b("a,b\n\"x\ny\",2\n"), expected: [["a", "b"], ["x\ny", "2"]]),
    .init(name: "quoted CRLF kept", bytes: b("a,b\r\n\"x\r\ny\",2\r\n"), expected: [["a", "b"], ["x\r\ny", "2"]]),
    .init(name: "doubled quotes", bytes: b("a\n\"say \"\"hi\"\"\"\n"), expected: [["a"], ["say \"hi\""]]),
    .init(name: "only doubled quotes", bytes: b("a\n\"\"\"\"\n"), expected: [["a"], ["\""]]),
    .init(name: "empty quoted", bytes: b("a,b\n\"\",1\n"), expected: [["a", "b"], ["", "1"]]),
    .init(name: "quote inside unquoted kept", bytes: b("a\nx\"y\n"), expected: [["a"], ["x\"y"]]),
    .init(name: "blank lines skipped", bytes: b("a\n\n1\n\r\n2\n\n"), expected: [["a"], ["1"], ["2"]]),
    .init(name: "header only", bytes: b("a,b\n"), expected: [["a", "b"]]),
    .init(name: "empty file", bytes: [], expected: []),
    .init(name: "spaces kept", bytes: b("a\n x \n"), expected: [["a"], [" x "]]),
    .init(name: "utf8 values", bytes: b("名前,b\né,ü\n"), expected: [["名前", "b"], ["é", "ü"]]),
    .init(name: "KuaiRand bucket", bytes: b("id,r\n0,\"[100,1k)\"\n1,500+\n"), expected: [["id", "r"], ["0", "[100,1k)"], ["1", "500+"]]),
    .init(name: "KuaiRand -124", bytes: b("id,v\n1,-124\n"), expected: [["id", "v"], ["1", "-124"]]),
    .init(name: "RetailRocket n-prefixed multi-token", bytes: b("t,i,p,v\n1,2,790,n552.000 424566\n"), expected: [["t", "i", "p", "v"], ["1", "2", "790", "n552.000 424566"]]),
    .init(name: "tab separated", bytes: b("a\tb\n1,5\t2\n"), expected: [["a", "b"], ["1,5", "2"]], separator: 9),
    .init(name: "tab with quoted tab", bytes: b("a\tb\n\"x\ty\"\t2\n"), expected: [["a", "b"], ["x\ty", "2"]], separator: 9),
    .init(name: "quoted last field at EOF", bytes: b("a\n\"x\""), expected: [["a"], ["x"]]),
    .init(name: "quoted then CR", bytes: b("a,b\r\"x\",\"y\"\r"), expected: [["a", "b"], ["x", "y"]]),
    .init(name: "one megabyte field", bytes: b("a\n") + [UInt8](repeating: UInt8(ascii: "z"), count: 1 << 20) + b("\n"), expected: [["a"], [String(repeating: "z", count: 1 << 20)]]),
    .init(name: "single field, no newline", bytes: b("a"), expected: [["a"]]),
    .init(name: "space before quote is literal", bytes: b("a\n \"x\"\n"), expected: [["a"], [" \"x\""]]),
    .init(name: "two empty quoted fields", bytes: b("a,b\n\"\",\"\"\n"), expected: [["a", "b"], ["", ""]]),
    .init(name: "quoted separator only", bytes: b("a\n\",\"\n"), expected: [["a"], [","]]),
    .init(name: "quoted lone CR kept", bytes: b("a\n\"x\ry\"\n"), expected: [["a"], ["x\ry"]]),
    .init(name: "invalid UTF-8 kept as bytes", bytes: b("a\nx") + [0xFF] + b("y\n"), expected: [["a"], ["x\u{FFFD}y"]]),
    .init(name: "NUL inside quotes kept", bytes: b("a\n\"x") + [0] + b("y\"\n"), expected: [["a"], ["x\u{0}y"]]),
    .init(name: "trailing CR at EOF", bytes: b("a\r"), expected: [["a"]]),
    .init(name: "leading blank CRLF line", bytes: b("\r\na\n1\n"), expected: [["a"], ["1"]]),
    .init(name: "BOM only", bytes: [0xEF, 0xBB, 0xBF], expected: []),
    .init(name: "many columns", bytes: b((0..<300).map { "c\($0)" }.joined(separator: ",") + "\n"), expected: [(0..<300).map { "c\($0)" }]),
    .init(name: "many rows", bytes: b((0..<3000).map { "\($0),x" }.joined(separator: "\n")), expected: (0..<3000).map { ["\($0)", "x"] }),
    .init(name: "KuaiRand video row", bytes: b("7,7676925,NORMAL,2022-04-10,LongPicture,0.0,,720.0,1440.0,6355540435,8.0,\"20,67\"\n"), expected: [["7", "7676925", "NORMAL", "2022-04-10", "LongPicture", "0.0", "", "720.0", "1440.0", "6355540435", "8.0", "20,67"]]),
    .init(name: "RetailRocket transaction row", bytes: b("1433221332117,257597,transaction,355908,4000\r\n1433224214164,992329,view,248676,\r\n"), expected: [["1433221332117", "257597", "transaction", "355908", "4000"], ["1433224214164", "992329", "view", "248676", ""]]),
    .init(name: "quoted field across chunks", bytes: b("a\n\"") + [UInt8](repeating: UInt8(ascii: ","), count: 3000) + b("\"\n"), expected: [["a"], [String(repeating: ",", count: 3000)]]),
]

let csvNegatives: [CSVNegative] = [
    .init(name: "unterminated quote", bytes: b("a,b\n1,\"xy\n2,3\n"), line: 2, column: 3, message: "unterminated quoted field"),
    .init(name: "unterminated quote at EOF", bytes: b("a\n\"x"), line: 2, column: 1, message: "unterminated quoted field"),
    .init(name: "unterminated after BOM", bytes: [0xEF, 0xBB, 0xBF] + b("\"a"), line: 1, column: 1, message: "unterminated"),
    .init(name: "junk after closing quote", bytes: b("a,b\n\"x\"y,2\n"), line: 2, column: 4, message: "unexpected character 'y' after a closing quote"),
    .init(name: "space after closing quote", bytes: b("a\n\"x\" \n"), line: 2, column: 4, message: "after a closing quote"),
    .init(name: "NUL byte", bytes: b("a,b\n1,") + [0] + b("\n"), line: 2, column: 3, message: "NUL byte"),
    .init(name: "ragged: too many", bytes: b("a,b\n1,2\n1,2,3\n"), line: 3, column: 5, message: "expected 2 fields, found 3", width: 2),
    .init(name: "ragged: too few", bytes: b("a,b,c\n1,2\n"), line: 2, column: 4, message: "expected 3 fields, found 2", width: 3),
    .init(name: "ragged after CRLF", bytes: b("a,b\r\n1,2\r\n3\r\n"), line: 3, column: 2, message: "expected 2 fields, found 1", width: 2),
    .init(name: "ragged after quoted newline", bytes: b("a,b\n\"x\ny\",2\n1,2,3\n"), line: 4, column: 5, message: "found 3", width: 2),
    .init(name: "unterminated after multi-line rows", bytes: b("a\n1\n2\n\"x\ny\nz"), line: 4, column: 1, message: "unterminated"),
    .init(name: "unterminated second field CRLF", bytes: b("a,b\r\n1,\"x\r\n"), line: 2, column: 3, message: "unterminated"),
    .init(name: "NUL in header", bytes: b("a") + [0] + b(",b\n"), line: 1, column: 2, message: "NUL byte"),
    .init(name: "space between quoted fields", bytes: b("a,b\n\"x\" ,\"y\"\n"), line: 2, column: 4, message: "after a closing quote"),
    .init(name: "junk after quote before CRLF", bytes: b("a\r\n\"x\"y\r\n"), line: 2, column: 4, message: "'y'"),
    .init(name: "ragged: one field after blank line", bytes: b("a,b\n\n,\n1\n"), line: 4, column: 2, message: "expected 2 fields, found 1", width: 2),
    .init(name: "ragged: trailing separator", bytes: b("a,b\n1,2,\n"), line: 2, column: 5, message: "expected 2 fields, found 3", width: 2),
    .init(name: "ragged header longer than rows", bytes: b("a,b,c,d\n1,2,3,4\n1,2,3,4\n5\n"), line: 4, column: 2, message: "expected 4 fields, found 1", width: 4),
    .init(name: "ragged tab row with comma", bytes: b("a\tb\n1\t2\t3\n"), line: 2, column: 5, message: "expected 2 fields, found 3", width: 2),
]

@Suite struct DataCSVReaderTests {
    @Test(arguments: csvPositives)
    func positive(_ c: CSVPositive) throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.write("t.csv", c.bytes)
        #expect(try readAllRecords(path, separator: c.separator) == c.expected)
        // The same input read in tiny chunks exercises every refill boundary.
        let reader = try CSVReader(path: path, separator: c.separator, chunkSize: 16)
        var rows: [[String]] = []
        while try reader.nextRecord() { rows.append((0..<reader.fieldCount).map { reader.string($0) }) }
        #expect(rows == c.expected)
    }

    @Test(arguments: csvNegatives)
    func negative(_ c: CSVNegative) throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.write("t.csv", c.bytes)
        for chunk in [1 << 20, 16] {
            do {
                let reader = try CSVReader(path: path, separator: c.name.contains("tab") ? 9 : 44, chunkSize: chunk)
                while try reader.nextRecord() { if c.width > 0 { try reader.requireFieldCount(c.width) } }
                Issue.record("expected an error for \(c.name)")
            } catch let e as DataError {
                #expect(e.file == path)
                #expect(e.line == c.line, "\(e)")
                #expect(e.column == c.column, "\(e)")
                #expect(e.message.contains(c.message), "\(e)")
                #expect(e.hint != nil)
                #expect(e.description.hasPrefix("\(path):\(c.line):\(c.column): error: "))
            }
        }
    }

    @Test func missingFile() {
        #expect {
            _ = try CSVReader(path: "/nonexistent/events.csv")
        } throws: { e in
            let e = e as! DataError  // safe: the reader throws only DataError
            return e.message == "no such file" && e.description.hasPrefix("/nonexistent/events.csv: error: no such file")
        }
    }

    @Test func folderInsteadOfFile() {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        #expect {
            _ = try CSVReader(path: folder.path)
        } throws: { e in (e as? DataError)?.message == "expected a file, found a folder" }
    }

    @Test func headerErrors() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let empty = folder.write("empty.csv", "")
        #expect(throws: DataError.self) { try CSVHeader(reading: CSVReader(path: empty)) }
        let duplicate = folder.write("dup.csv", "a,b,a\n1,2,3\n")
        do {
            _ = try CSVHeader(reading: CSVReader(path: duplicate))
            Issue.record("duplicate header accepted")
        } catch let e as DataError {
            #expect(e.line == 1 && e.column == 5 && e.message.contains("duplicate column name 'a'"))
        }
        let path = folder.write("h.csv", "timestamp,visitorid,event\n")
        let header = try CSVHeader(reading: CSVReader(path: path))
        do {
            _ = try header.index(of: "visitor_id")
            Issue.record("misspelt column accepted")
        } catch let e as DataError {
            #expect(e.message == "no column 'visitor_id' in the header")
            #expect(e.hint?.hasPrefix("did you mean 'visitorid'?") == true)
        }
        do {
            _ = try header.index(of: "zzzzzz")
        } catch let e as DataError {
            #expect(e.hint?.contains("did you mean") == false)
        }
    }

    @Test func numbers() throws {
        func parse(_ s: String) -> Double? { Array(s.utf8).withUnsafeBufferPointer { parseDouble($0) } }
        func int(_ s: String) -> Int64? { Array(s.utf8).withUnsafeBufferPointer { parseInt64($0) } }
        #expect(parse("3.25") == 3.25)
        #expect(parse("-0.5") == -0.5)
        #expect(parse(".5") == 0.5)
        #expect(parse("1e3") == 1000)
        #expect(parse("720.0") == 720)
        #expect(parse("") == nil)
        #expect(parse("nan") == nil)
        #expect(parse("inf") == nil)
        #expect(parse("1.2.3") == nil)
        #expect(parse("n552.000") == nil)
        #expect(int("-124") == -124)
        #expect(int("1433221332117") == 1_433_221_332_117)
        #expect(int("12a") == nil)
        #expect(int("99999999999999999999") == nil)
    }

    @Test func suggestions() {
        #expect(editDistance("kitten", "sitting") == 3)
        #expect(nearestName(to: "is_clik", in: ["is_like", "is_click"]) == "is_click")
        #expect(nearestName(to: "categoryid", in: ["category_id", "categoryid"]) == "categoryid")
        #expect(nearestName(to: "abc", in: ["xyzw"]) == nil)
    }
}

/// rmtl's CSV reader against Python's `csv` module (strict), run by default: every positive case
/// (`<n>.csv`) and this reader's table (`<n>.json`) go into a temporary folder (or `RMTL_CSV_CORPUS`,
/// which is kept), with `compare.py`, and python3 must find every case in agreement.
@Test func DataCSVCorpusAgreesWithPython() throws {
    let temporary = TemporaryFolder()
    defer { temporary.cleanup() }
    let folder = ProcessInfo.processInfo.environment["RMTL_CSV_CORPUS"] ?? temporary.path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for (n, c) in csvPositives.enumerated() {
        let path = folder + "/\(n).csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data(c.bytes))
        let rows = try readAllRecords(path, separator: c.separator)
        let json = try JSONSerialization.data(withJSONObject: ["name": c.name, "separator": Int(c.separator), "rows": rows])
        _ = FileManager.default.createFile(atPath: folder + "/\(n).json", contents: json)
    }
    _ = FileManager.default.createFile(atPath: folder + "/compare.py", contents: Data(csvDifferentialScript.utf8))
    try expectPythonCSVAgrees(folder)
}

/// Runs `compare.py` in `folder` with python3 and expects every case to agree.
func expectPythonCSVAgrees(_ folder: String) throws {
    let python = try #require(["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) },
                              "python3 is needed for the differential CSV check")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [folder + "/compare.py", folder]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    print("python csv: \(output.split(separator: "\n").last ?? "")")
    #expect(process.terminationStatus == 0, "\(output)")
}

let csvDifferentialScript = #"""
#!/usr/bin/env python3
"""Compare rmtl's CSV reader with Python's csv module (strict) on the positive corpus.

Run by the tests DataCSVCorpusAgreesWithPython and DataCSVRandomInputsAgreeWithPython; by hand:
RMTL_CSV_CORPUS=/tmp/corpus swift test -c release --disable-testable-imports --disable-xctest \
           --filter DataCSVCorpusAgreesWithPython && python3 /tmp/corpus/compare.py /tmp/corpus
Known, documented difference: Python yields [] for a blank line; rmtl skips blank lines.
Accept/reject must agree; fields must agree when both accept.
"""
import csv, json, pathlib, sys

csv.field_size_limit(sys.maxsize)

folder = pathlib.Path(sys.argv[1])
failures = 0
cases = sorted(folder.glob("*.json"), key=lambda p: int(p.stem))
for case in cases:
    expected = json.loads(case.read_text())
    raw = (folder / f"{case.stem}.csv").read_bytes()
    with open(folder / f"{case.stem}.csv", newline="", encoding="utf-8-sig", errors="replace") as f:
        try:
            rows = [r for r in csv.reader(f, delimiter=chr(expected["separator"]), strict=True) if r != []]
            python_error = None
        except csv.Error as e:
            rows, python_error = None, str(e)
    if "error" in expected or python_error is not None:
        if ("error" in expected) != (python_error is not None):
            failures += 1
            print(f"DIFFERENT {expected['name']} {raw!r}: python {python_error or rows!r} rmtl {expected.get('error') or expected.get('rows')!r}")
        continue
    if rows != expected["rows"]:
        failures += 1
        print(f"DIFFERENT {expected['name']} {raw!r}: python {rows[:3]!r} rmtl {expected['rows'][:3]!r}")
print(f"{len(cases) - failures}/{len(cases)} cases agree with Python csv (strict)")
sys.exit(1 if failures else 0)
"""#

/// Random small inputs over the alphabet `a , " \n \r` (seeded), each with this reader's verdict
/// (`rows` or `error`), against Python's csv: 2,000 by default in a temporary folder; with
/// `RMTL_CSV_FUZZ=/tmp/dir`, 20,000 kept in that folder.
@Test func DataCSVRandomInputsAgreeWithPython() throws {
    let temporary = TemporaryFolder()
    defer { temporary.cleanup() }
    let kept = ProcessInfo.processInfo.environment["RMTL_CSV_FUZZ"]
    let folder = kept ?? temporary.path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var rng = RandomGenerator(seed: 2026)
    let alphabet = Array("a,\"\n\r".utf8)
    for n in 0..<(kept == nil ? 2_000 : 20_000) {
        let length = 1 + rng.nextInt(below: 12)
        let bytes = (0..<length).map { _ in alphabet[rng.nextInt(below: alphabet.count)] }
        let path = folder + "/\(n).csv"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        var verdict: [String: Any] = ["name": "random \(n)", "separator": 44]
        do {
            verdict["rows"] = try readAllRecords(path)
        } catch let e as DataError {
            verdict["error"] = e.description
        }
        let json = try JSONSerialization.data(withJSONObject: verdict)
        _ = FileManager.default.createFile(atPath: folder + "/\(n).json", contents: json)
    }
    _ = FileManager.default.createFile(atPath: folder + "/compare.py", contents: Data(csvDifferentialScript.utf8))
    try expectPythonCSVAgrees(folder)
}

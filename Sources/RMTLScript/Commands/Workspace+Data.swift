import RMTL

// MARK: - generate, load, sessionize, split, show data
//
// ENGINE: the data pipeline (Sources/RMTL/Data) plugs in here. Each method must leave
// `dataset` (after load) or `splits` (after split, or `load rmtl`) set, and record its settings
// with `setConfig`. Until then they throw `.unavailable`.
extension Workspace {
    /// `generate retailrocket DIR events= seed=`.
    public func generateRetailRocket(directory: String, events: Int, seed: UInt64?) throws {
        throw WorkspaceError.unavailable("generate retailrocket")
    }

    /// `load FORMAT PATH …`; `format` is retailrocket, rmtl, kuairand or csv.
    public func load(format: String, path: String, csv: CSVOptions? = nil) throws {
        throw WorkspaceError.unavailable("load \(format)")
    }

    /// `load csv` options.
    public struct CSVOptions: Sendable, Equatable {
        public var categorical: [String]
        public var numeric: [String]
        /// task name → label column, in task order.
        public var labels: [(task: String, column: String)]
        public var session: String?
        public var time: String?
        /// `comma`, `tab`, `semicolon`, `pipe`.
        public var separator: String

        public static func == (a: CSVOptions, b: CSVOptions) -> Bool {
            a.categorical == b.categorical && a.numeric == b.numeric && a.session == b.session
                && a.time == b.time && a.separator == b.separator
                && a.labels.map(\.task) == b.labels.map(\.task) && a.labels.map(\.column) == b.labels.map(\.column)
        }
    }

    /// `sessionize gap=30m` or `sessionize by=COLUMN` (`gap` in seconds).
    public func sessionize(gap: Double?, byColumn: String?) throws {
        guard dataset != nil else { throw WorkspaceError.failed("no dataset is loaded") }
        throw WorkspaceError.unavailable("sessionize")
    }

    /// `split time|random TRAIN VAL TEST keep_sessions=`.
    public func split(mode: String, train: Double, validation: Double, test: Double, keepSessions: Bool) throws {
        let total = train + validation + test
        guard abs(total - 1) < 1e-9 else {
            throw WorkspaceError.failed("split fractions must sum to 1, found \(Value.format(total))")
        }
        guard dataset != nil else { throw WorkspaceError.failed("no dataset is loaded") }
        throw WorkspaceError.unavailable("split")
    }

    /// `show data`: sizes, tasks and label rates of what is loaded.
    public func showData() {
        func describe(_ name: String, _ d: Dataset) -> [String] {
            var row = [name, String(d.rowCount), String(Set(d.sessions).count)]
            row += d.labels.map { col in
                col.isEmpty ? "-" : String(format: "%.4f", col.reduce(0, +) / Float(col.count))
            }
            return row
        }
        guard let any = splits?.train ?? dataset else {
            say("no data loaded")
            return
        }
        var rows: [[String]] = []
        if let s = splits {
            rows = [describe("train", s.train), describe("val", s.validation), describe("test", s.test)]
        } else if let d = dataset {
            rows = [describe("all", d)]
        }
        say("\(dataSource ?? any.name): \(any.fieldCount) categorical, \(any.numericCount) numeric fields; "
            + "tasks \(any.taskNames.joined(separator: ", "))")
        let header = ["part", "rows", "sessions"] + any.taskNames.map { "\($0) rate" }
        emit(.table(Table(header: header, rows: rows, rightAligned: Set(1..<header.count))))
    }

    /// FNV-1a 64 over the shapes, encoders' sizes, labels, sessions and ids of the loaded data:
    /// the fingerprint stored with exports and checkpoints. Nil when nothing is loaded.
    public var dataFingerprint: String? {
        let parts: [Dataset]
        if let s = splits { parts = [s.train, s.validation, s.test] } else if let d = dataset { parts = [d] } else { return nil }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ v: UInt64) {
            var x = v
            for _ in 0..<8 {
                h ^= x & 0xFF
                h = h &* 0x0000_0100_0000_01B3
                x >>= 8
            }
        }
        for d in parts {
            mix(UInt64(d.rowCount))
            for c in d.cardinalities { mix(UInt64(c)) }
            for column in d.categorical { for v in column { mix(UInt64(UInt32(bitPattern: v))) } }
            for column in d.numeric { for v in column { mix(UInt64(v.bitPattern)) } }
            for column in d.labels { for v in column { mix(UInt64(v.bitPattern)) } }
            for s in d.sessions { mix(UInt64(UInt32(bitPattern: s))) }
        }
        return "fnv1a64:" + String(h, radix: 16)
    }
}

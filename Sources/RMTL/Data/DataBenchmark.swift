import Foundation

/// A by-hand measurement of the RetailRocket path (not run by the test suite): generate the synthetic
/// raw files (if `directory` has none), load them without a cache (parse + join + sessionize + encode),
/// then load twice more through the cache (the first writes it, the second reads it).
///
/// Returns a plain-text report with the seconds of each step. The lead can expose it as `rmtl bench data`.
package enum DataBenchmark {
    package static func run(directory: String, events: Int, seed: UInt64 = 7, cachedOnly: Bool = false) throws -> String {
        var report: [String] = []
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        if !FileManager.default.fileExists(atPath: directory + "/events.csv") {
            let t = try seconds { try SyntheticRetailRocket.write(to: directory, events: events, seed: seed) }
            report.append("generate \(events) events: \(String(format: "%.2f", t)) s")
        }
        let cacheFolder = directory + "/.rmtl-cache-bench"
        /// Loads through the cache, then sessionizes, splits and encodes: two report lines.
        func cachedReload(_ loadLabel: String, _ prepareLabel: String) throws {
            var cached: DataPipeline?
            let hit = try seconds {
                cached = try DataPipeline.loadRetailRocket(directory: directory, cache: CacheOptions(folder: cacheFolder))
            }
            report.append("\(loadLabel): \(String(format: "%.2f", hit)) s (\(cached!.cacheStatus))")  // safe: set above
            var c = cached!  // safe: set above
            let prepare = try seconds {
                try c.sessionize(gapMilliseconds: DataPipeline.defaultGap)
                try c.split(.paper)
            }
            report.append("\(prepareLabel): \(String(format: "%.2f", prepare)) s")
        }
        if cachedOnly {
            // A fresh process loading through the cache the previous full run left behind.
            try cachedReload("load through the cache", "sessionize + collapse + split + encode")
            return report.joined(separator: "\n")
        }
        try? FileManager.default.removeItem(atPath: cacheFolder)
        var pipeline: DataPipeline?
        let read = try seconds {
            pipeline = try DataPipeline.loadRetailRocket(directory: directory, cache: .disabled)
        }
        report.append("parse + join (no cache): \(String(format: "%.2f", read)) s")
        var p = pipeline!  // safe: set by the closure above or it threw
        let sessionize = try seconds { try p.sessionize(gapMilliseconds: DataPipeline.defaultGap) }
        report.append("sessionize + collapse: \(String(format: "%.2f", sessionize)) s")
        let encode = try seconds { try p.split(.paper) }
        report.append("split + encode: \(String(format: "%.2f", encode)) s")
        report.append(p.summary.description)
        let write = try seconds {
            _ = try DataPipeline.loadRetailRocket(directory: directory, cache: CacheOptions(folder: cacheFolder))
        }
        report.append("load writing the cache: \(String(format: "%.2f", write)) s")
        try cachedReload("cached reload", "cached reload, sessionize + split + encode")
        return report.joined(separator: "\n")
    }

    /// Loads a KuaiRand folder without a cache, then sessionizes (30 min), splits and encodes.
    package static func runKuaiRand(directory: String) throws -> String {
        let start = DispatchTime.now().uptimeNanoseconds
        var p = try DataPipeline.loadKuaiRand(directory: directory, cache: .disabled)
        let loaded = DispatchTime.now().uptimeNanoseconds
        try p.split(.paper)
        let done = DispatchTime.now().uptimeNanoseconds
        return "kuairand parse + join: \(String(format: "%.2f", Double(loaded - start) / 1e9)) s\n"
            + "sessionize + split + encode: \(String(format: "%.2f", Double(done - loaded) / 1e9)) s\n"
            + p.summary.description
    }

    /// Reads every record of `path` and touches every field: the reader's raw throughput.
    package static func csvThroughput(path: String) throws -> String {
        let start = DispatchTime.now().uptimeNanoseconds
        let reader = try CSVReader(path: path)
        var records = 0, bytes = 0
        while try reader.nextRecord() {
            records += 1
            for i in 0..<reader.fieldCount { bytes += reader.field(i).count }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return "\(path): \(records) records, \(bytes) field bytes in \(String(format: "%.2f", seconds)) s "
            + "(\(String(format: "%.2f", Double(records) / seconds / 1e6))M rows/s)"
    }
}

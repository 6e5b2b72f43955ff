import Foundation
import RMTL
import Testing

@Suite struct DataCacheTests {
    let options = CSVLoadOptions(
        categorical: ["item"], numeric: ["price"], labels: [.init(task: "ctr", column: "click")], user: "user", time: "t")

    func writeData(_ folder: TemporaryFolder, rows: Int = 50, tag: String = "") -> String {
        var text = "user,item,price,click,t\n"
        for i in 0..<rows { text += "u\(i % 7),i\(i % 5)\(tag),\(Double(i) / 4),\(i % 3 == 0 ? 1 : 0),\(i * 1000)\n" }
        return folder.write("d.csv", text)
    }

    func cacheFiles(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".rmtlcache") }.sorted()
    }

    @Test func hitGivesTheSameTable() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let path = writeData(folder)
        let cache = CacheOptions(folder: folder.path + "/cache")
        let first = try DataPipeline.loadCSV(path: path, options: options, cache: cache)
        guard case .miss(_, let written, _) = first.cacheStatus else {
            Issue.record("first load should miss, got \(first.cacheStatus)")
            return
        }
        #expect(written)
        #expect(cacheFiles(folder.path + "/cache").count == 1)
        let second = try DataPipeline.loadCSV(path: path, options: options, cache: cache)
        guard case .hit = second.cacheStatus else {
            Issue.record("second load should hit, got \(second.cacheStatus)")
            return
        }
        #expect(second.source == first.source)
        #expect(second.summary.description.contains("cache: loaded from"))
        #expect(first.summary.description.contains("cache: read the sources (no cache file); wrote"))
        #expect(second.table == first.table)
        // The default folder is <data folder>/.rmtl-cache (when $RMTL_CACHE is unset).
        if ProcessInfo.processInfo.environment["RMTL_CACHE"] == nil {
            _ = try DataPipeline.loadCSV(path: path, options: options)
            #expect(cacheFiles(folder.path + "/.rmtl-cache").count == 1)
        }
    }

    @Test func changedSourceOrOptionsInvalidate() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let path = writeData(folder)
        let cache = CacheOptions(folder: folder.path + "/cache")
        _ = try DataPipeline.loadCSV(path: path, options: options, cache: cache)
        // Same size, new content and mtime: must re-read.
        Thread.sleep(forTimeInterval: 0.01)
        _ = writeData(folder, tag: "x")
        let changed = try DataPipeline.loadCSV(path: path, options: options, cache: cache)
        guard case .miss = changed.cacheStatus else {
            Issue.record("a changed source must not hit, got \(changed.cacheStatus)")
            return
        }
        #expect(changed.source.vocabularies[0].string(0).hasSuffix("x"))
        var other = options
        other.categorical = ["item", "user"]
        let otherLoad = try DataPipeline.loadCSV(path: path, options: other, cache: cache)
        guard case .miss = otherLoad.cacheStatus else {
            Issue.record("other options must not hit")
            return
        }
    }

    @Test(arguments: ["flip a payload byte", "truncate", "garbage", "empty"])
    func corruptCacheFallsBackToReading(_ damage: String) throws {
        let folder = TemporaryFolder(damage)
        defer { folder.cleanup() }
        let path = writeData(folder)
        let cacheFolder = folder.path + "/cache"
        let cache = CacheOptions(folder: cacheFolder)
        let original = try DataPipeline.loadCSV(path: path, options: options, cache: cache)
        let file = cacheFolder + "/" + cacheFiles(cacheFolder)[0]
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        switch damage {
        case "flip a payload byte": bytes[bytes.count - 40] ^= 0x55
        case "truncate": bytes.removeLast(bytes.count / 3)
        case "garbage": bytes = Array("not a cache at all".utf8)
        default: bytes = []
        }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let reloaded = try DataPipeline.loadCSV(path: path, options: options, cache: cache)
        guard case .miss(_, let written, let reason) = reloaded.cacheStatus else {
            Issue.record("a damaged cache must not hit, got \(reloaded.cacheStatus)")
            return
        }
        #expect(written)
        #expect(!reason.isEmpty)
        #expect(reloaded.source == original.source)
        let again = try DataPipeline.loadCSV(path: path, options: options, cache: cache)
        guard case .hit = again.cacheStatus else {
            Issue.record("the rewritten cache should hit")
            return
        }
    }

    @Test func unwritableCacheFolderStillLoads() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let path = writeData(folder)
        folder.write("blocker", "a file where the cache folder would go")
        let p = try DataPipeline.loadCSV(path: path, options: options, cache: CacheOptions(folder: folder.path + "/blocker/cache"))
        guard case .miss(_, let written, _) = p.cacheStatus else {
            Issue.record("expected a miss")
            return
        }
        #expect(!written)
        #expect(p.source.rowCount == 50)
    }

    @Test func retailRocketEventTableRoundTrips() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        try SyntheticRetailRocket.write(to: folder.path, events: 3000, seed: 3)
        let cache = CacheOptions(folder: folder.path + "/cache")
        var a = try DataPipeline.loadRetailRocket(directory: folder.path, cache: cache)
        var b = try DataPipeline.loadRetailRocket(directory: folder.path, cache: cache)
        guard case .hit = b.cacheStatus else {
            Issue.record("expected a hit")
            return
        }
        #expect(a.source == b.source)
        let sa = try a.split(.paper)
        // The sessionized, collapsed table is cached too: a second file appears, and b reads it.
        #expect(cacheFiles(folder.path + "/cache").count == 2)
        let sb = try b.split(.paper)
        #expect(sa.test.categorical == sb.test.categorical)
        #expect(sa.test.labels == sb.test.labels)
        #expect(a.table == b.table)
        var uncached = try DataPipeline.loadRetailRocket(directory: folder.path, cache: .disabled)
        try uncached.sessionize(gapMilliseconds: DataPipeline.defaultGap)
        #expect(uncached.table == b.table)
        // Another gap is another derived entry, never the old one.
        try b.sessionize(gapMilliseconds: 60_000)
        #expect(cacheFiles(folder.path + "/cache").count == 3)
        #expect(b.table.rowCount >= a.table.rowCount)
    }

    /// Issue 12: every edit of a source (or `generate` over it) added a cache file and none was
    /// removed. Only the newest entry of a source is kept, with the tables derived from it; other
    /// sources in the same cache folder are untouched; the load says what it removed.
    @Test func onlyTheNewestCacheOfEachSourceIsKept() throws {
        let folder = TemporaryFolder()
        defer { folder.cleanup() }
        let cacheFolder = folder.path + "/cache"
        let cache = CacheOptions(folder: cacheFolder)
        let path = writeData(folder)
        let otherPath = folder.write("other.csv", "user,item,price,click,t\nu1,i1,1,1,1000\nu2,i2,2,0,2000\n")
        _ = try DataPipeline.loadCSV(path: otherPath, options: options, cache: cache)
        let first = try DataPipeline.loadCSV(path: path, options: options, cache: cache)
        #expect(first.cacheRemoved.isEmpty)
        #expect(cacheFiles(cacheFolder).count == 2)
        for version in 1...3 {
            Thread.sleep(forTimeInterval: 0.01)
            _ = writeData(folder, tag: "v\(version)")
            let edited = try DataPipeline.loadCSV(path: path, options: options, cache: cache)
            #expect(cacheFiles(cacheFolder).count == 2, "after edit \(version): \(cacheFiles(cacheFolder))")
            #expect(edited.cacheRemoved.count == 1)
            #expect(edited.summary.description.contains("cache: removed 1 older cache file of these sources ("))
        }
        // the other source's entry survived and still hits
        guard case .hit = try DataPipeline.loadCSV(path: otherPath, options: options, cache: cache).cacheStatus else {
            Issue.record("the other source's cache was removed")
            return
        }

        // generate over the same folder, as the quickstart does: the loaded and the sessionized
        // tables of the old files go, the new ones stay
        let rr = TemporaryFolder("rr")
        defer { rr.cleanup() }
        let rrCache = CacheOptions(folder: rr.path + "/cache")
        for run in 0..<3 {
            Thread.sleep(forTimeInterval: 0.01)
            try SyntheticRetailRocket.write(to: rr.path, events: 2000, seed: UInt64(run))
            var p = try DataPipeline.loadRetailRocket(directory: rr.path, cache: rrCache)
            try p.sessionize(gapMilliseconds: DataPipeline.defaultGap)
            #expect(cacheFiles(rr.path + "/cache").count == 2, "run \(run): \(cacheFiles(rr.path + "/cache"))")
            #expect(p.cacheRemoved.count == (run == 0 ? 0 : 2))
        }
    }
}

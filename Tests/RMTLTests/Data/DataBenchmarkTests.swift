import Foundation
import RMTL
import Testing

/// By hand only: `RMTL_DATA_BENCH=/tmp/dir RMTL_DATA_BENCH_EVENTS=2756101 swift test -c release
/// --disable-testable-imports --disable-xctest --filter DataBenchmark`. Skipped unless the variable is set.
/// With `RMTL_DATA_BENCH_CACHED=1` it only loads through the cache a previous run left;
/// `RMTL_DATA_BENCH_KUAIRAND=<folder>` times a KuaiRand load instead; `RMTL_DATA_BENCH_CSV=<file>` the raw reader.
@Test(.enabled(if: ProcessInfo.processInfo.environment["RMTL_DATA_BENCH"] != nil
    || ProcessInfo.processInfo.environment["RMTL_DATA_BENCH_KUAIRAND"] != nil
    || ProcessInfo.processInfo.environment["RMTL_DATA_BENCH_CSV"] != nil))
func DataBenchmarkByHand() throws {
    let env = ProcessInfo.processInfo.environment
    if let file = env["RMTL_DATA_BENCH_CSV"] {
        print(try DataBenchmark.csvThroughput(path: file))
        return
    }
    if let kuaiRand = env["RMTL_DATA_BENCH_KUAIRAND"] {
        print(try DataBenchmark.runKuaiRand(directory: kuaiRand))
        return
    }
    let directory = env["RMTL_DATA_BENCH"]!  // safe: the trait above checked one of the two
    let events = Int(env["RMTL_DATA_BENCH_EVENTS"] ?? "") ?? 2_756_101
    let cachedOnly = env["RMTL_DATA_BENCH_CACHED"] != nil
    let report = try DataBenchmark.run(directory: directory, events: events, cachedOnly: cachedOnly)
    print(report)
    expectCompleteBenchmark(report, cachedOnly: cachedOnly)
}

/// The benchmark's path at a small size, run by default: generate, load without the cache, write
/// the cache, and reload through it; the reload must be a cache hit and every step reported.
@Test func DataBenchmarkSmallRunHitsTheCache() throws {
    let folder = TemporaryFolder()
    defer { folder.cleanup() }
    let report = try DataBenchmark.run(directory: folder.path, events: 5_000)
    expectCompleteBenchmark(report, cachedOnly: false)
    #expect(report.contains("generate 5000 events"))
}

func expectCompleteBenchmark(_ report: String, cachedOnly: Bool) {
    let steps = cachedOnly ? ["load through the cache: "]
        : ["parse + join (no cache): ", "sessionize + collapse: ", "split + encode: ", "load writing the cache: ", "cached reload: "]
    for step in steps { #expect(report.contains(step), "\(step) missing from\n\(report)") }
    let reload = report.split(separator: "\n").first { $0.hasPrefix(cachedOnly ? "load through the cache" : "cached reload:") }
    #expect(reload?.contains("hit(") == true, "the reload did not read the cache:\n\(report)")
}

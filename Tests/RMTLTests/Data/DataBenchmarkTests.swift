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
    print(try DataBenchmark.run(directory: directory, events: events, cachedOnly: env["RMTL_DATA_BENCH_CACHED"] != nil))
}

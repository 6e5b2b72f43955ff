import Foundation
import RMTL
import Testing

/// By hand only: `RMTL_DATA_BENCH=/tmp/dir RMTL_DATA_BENCH_EVENTS=2756101 swift test -c release
/// --disable-testable-imports --disable-xctest --filter DataBenchmark`. Skipped unless the variable is set.
/// With `RMTL_DATA_BENCH_CACHED=1` it only loads through the cache a previous run left.
@Test(.enabled(if: ProcessInfo.processInfo.environment["RMTL_DATA_BENCH"] != nil))
func DataBenchmarkByHand() throws {
    let env = ProcessInfo.processInfo.environment
    let directory = env["RMTL_DATA_BENCH"]!  // safe: the trait above checked it
    let events = Int(env["RMTL_DATA_BENCH_EVENTS"] ?? "") ?? 2_756_101
    print(try DataBenchmark.run(directory: directory, events: events, cachedOnly: env["RMTL_DATA_BENCH_CACHED"] != nil))
}

import Foundation
import RMTL
import Testing

/// By hand only (issue 15 item 5): ESMM at the paper's sizes trained for a fixed number of batches on
/// a KuaiRand-size log loaded as CSV with `video_id` as a field, dense or sparse embedding updates, one
/// mode per process (so `/usr/bin/time -v` gives each its peak):
///
///     RMTL_SPARSE_BENCH=/path/log.csv RMTL_SPARSE_BENCH_MODE=sparse RMTL_SPARSE_BENCH_STEPS=40 \
///       swift test -c release --disable-testable-imports --disable-xctest --skip-build --filter SparseEmbeddingBenchmark
///
/// Prints the table size, rows/s over the timed steps (after 3 untimed ones), and the time split
/// between forward + backward and the optimiser step.
@Test(.enabled(if: ProcessInfo.processInfo.environment["RMTL_SPARSE_BENCH"] != nil))
func SparseEmbeddingBenchmark() throws {
    let env = ProcessInfo.processInfo.environment
    let path = env["RMTL_SPARSE_BENCH"]!  // safe: the trait checked it
    let mode = EmbeddingUpdates(rawValue: env["RMTL_SPARSE_BENCH_MODE"] ?? "sparse") ?? .sparse
    let steps = Int(env["RMTL_SPARSE_BENCH_STEPS"] ?? "") ?? 40
    // RMTL_SPARSE_BENCH_RELEASE=0: dense tables keep their gradient pages (to measure what releasing them saves)
    WrittenRows.releasesPages = env["RMTL_SPARSE_BENCH_RELEASE"] != "0"
    defer { WrittenRows.releasesPages = true }
    func residentMiB() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
    var residentAfterWarmUp = 0.0
    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    var start = now()
    let options = CSVLoadOptions(
        categorical: ["user_id", "video_id", "tab"], numeric: ["duration_ms"],
        labels: [.init(task: "ctr", column: "is_click"), .init(task: "ctcvr", column: "long_view")],
        user: "user_id", time: "time_ms")
    var pipeline = try DataPipeline.loadCSV(path: path, options: options)
    try pipeline.sessionize(gapMilliseconds: DataPipeline.defaultGap)
    let splits = try pipeline.split(.time(train: 0.6, validation: 0.2, test: 0.2, wholeSessions: false))
    print("load + sessionize + split: \(String(format: "%.1f", now() - start)) s (\(pipeline.cacheStatus)); train rows \(splits.train.rowCount)")
    var config = ModelConfig(kind: .esmm, cardinalities: splits.train.cardinalities, numericCount: 1, taskCount: 2)
    config.embeddings = mode
    var rng = RandomGenerator(seed: 1)
    let model = try TrainableModel(config, batchCapacity: 2048, threads: 2, rng: &rng)
    let adam = Adam(count: model.values.count, learningRate: 1e-3, weightDecay: 1e-6)
    let train = splits.train
    let batch = Batch(capacity: 2048, fieldCount: train.fieldCount, numericCount: train.numericCount, taskCount: train.taskCount)
    var forwardBackward = 0.0, optimiser = 0.0
    for step in 0..<(steps + 3) {
        if step == 3 { (forwardBackward, optimiser, residentAfterWarmUp) = (0, 0, residentMiB()) }
        let lo = (step * 2048) % (train.rowCount - 2048)
        batch.gather(train, Array(lo..<(lo + 2048))[...])
        let labels = batch.labels
        start = now()
        _ = model.accumulateGradients(batch, isTraining: true, rng: &rng) { part, range, p, dp in
            meanBinaryCrossEntropy(part, range, p, labels, 2048, dp)
        }
        let middle = now()
        model.applyGradients(adam)
        forwardBackward += middle - start
        optimiser += now() - middle
    }
    let total = forwardBackward + optimiser
    print("""
        \(mode.rawValue): table \(config.cardinalities.reduce(0, +)) rows × 128 (\(config.cardinalities.reduce(0, +) * 128) parameters), \
        \(model.parameterCount) parameters in all; \(steps) steps of 2048: \(String(format: "%.0f", Double(steps * 2048) / total)) rows/s; \
        forward + backward \(String(format: "%.1f", 1000 * forwardBackward / Double(steps))) ms/step, \
        optimiser \(String(format: "%.1f", 1000 * optimiser / Double(steps))) ms/step; \
        resident \(String(format: "%.0f", residentAfterWarmUp)) MiB after the warm-up, \(String(format: "%.0f", residentMiB())) MiB at the end\
        \(mode == .dense ? " (gradient pages released: \(WrittenRows.releasesPages))" : "")
        """)
}

import ArgumentParser
import Foundation
import RMTL

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time full training steps on random inputs of the paper's shape.",
        discussion: """
            Each step is forward, backward and Adam with dropout on, as in training. Reports samples/s, \
            achieved GFLOP/s (training = 3 × forward FLOPs) and the fraction of this machine's FP32 peak, \
            which is measured, not assumed.
            """)

    @Option(help: "A model (\(ModelKind.allCases.map(\.rawValue).joined(separator: ", "))) or 'critic'.")
    var model = "ple"
    @Option(help: "Rows per step.") var batch = 2048
    @Option(help: "Timed steps (after 2 warm-up steps).") var steps = 10
    @Option(help: "Worker threads (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func run() throws {
        let r: Benchmark.Result
        do {
            r = try Benchmark.run(model: model, batch: batch, steps: steps, threads: threads)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(r), as: UTF8.self))
            return
        }
        print("""
            model            \(r.model)
            batch × threads  \(r.batch) × \(r.threads)
            step             \(String(format: "%.1f", r.secondsPerStep * 1000)) ms (mean of \(r.steps))
            samples/s        \(String(format: "%.0f", r.samplesPerSecond))
            MFLOP/sample     \(String(format: "%.1f", r.flopsPerSample / 1e6)) (training, 3 × forward)
            GFLOP/s          \(String(format: "%.1f", r.gflops)) of \(String(format: "%.1f", r.peakGflops)) peak measured \
            (\(String(format: "%.0f", r.fractionOfPeak * 100))%)
            parameters       \(r.parameters)
            peak memory      \(String(format: "%.0f", r.peakResidentMB)) MiB resident
            """)
    }
}

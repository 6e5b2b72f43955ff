import ArgumentParser
import Foundation
import RMTL

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time full training steps on random inputs of the paper's shape.",
        discussion: """
            Each step is forward, backward and Adam with dropout on, as in training. Reports samples/s, \
            achieved GFLOP/s (training = 3 × forward FLOPs) and the fraction of this machine's FP32 peak, \
            which is measured, not assumed: the best of peak probes run between the timed steps (or the \
            best step's own executed rate if that was higher), so the fraction cannot exceed 100%.
            """)

    @Option(help: """
        A model (\(ModelKind.allCases.map(\.rawValue).joined(separator: ", "))), 'critic' (one critic step), \
        'critic-update' (one whole RL critic update step: actor forward, targets, two critics, Adam, soft update) \
        or 'critic-stage' (epochs of the critic stage over a full buffer; --steps counts epochs).
        """)
    var model = "ple"
    @Option(help: "Rows per step.") var batch = 2048
    @Option(help: "Timed steps (after 2 warm-up steps); epochs for critic-stage.") var steps = 10
    @Option(help: "critic-stage: replay-buffer transitions (the authors' memory_size).") var buffer = 500_000
    @Option(help: "Worker threads (default: all cores).") var threads = Machine.cores
    @Option(help: """
        critic-update, critic-stage: 'paper' (one shared-bottom critic, target-only TD, raw states) or \
        'code' (the authors' two critics, min target, z-scored states).
        """)
    var mode: RMTLMode = .code
    @Flag(help: """
        Time one seed of the paper's RMTL-ESMM pipeline instead, stage by stage (pretrain, critic stage, \
        RMTL fine-tune, eval) on the RetailRocket files in --data, with a fixed schedule: \
        \(Benchmark.PipelineSchedule().description).
        """)
    var pipeline = false
    @Option(help: "--pipeline: a RetailRocket directory (e.g. from 'generate retailrocket').") var data = "data/retailrocket"
    @Option(help: "--pipeline: also write the splits and schedule here (safetensors) for scripts/torch/pipeline.py.")
    var splitsOut: String?
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func run() throws {
        if pipeline { return try runPipeline() }
        let r: Benchmark.Result
        do {
            r = model == "critic-stage"
                ? try Benchmark.criticStage(batch: batch, bufferRows: buffer, epochs: steps, threads: threads, mode: mode)
                : try Benchmark.run(model: model, batch: batch, steps: steps, threads: threads, mode: mode)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        if json { return try printJSON(r) }
        let m = r.machine
        let peakSource = r.peakFromProbe
            ? "best of \(r.peakProbes) probes between the steps"
            : "a step's executed rate (the best of \(r.peakProbes) probes read only \(String(format: "%.1f", r.peakProbeGflops)))"
        print("""
            model            \(r.model)\(r.mode.map { " (mode=\($0))" } ?? "")
            batch × threads  \(r.batch) × \(r.threads)
            \(r.model == "critic-stage" ? "epoch            \(String(format: "%.1f", r.secondsPerStep)) s (\(r.steps) steps)" : "step             \(String(format: "%.1f", r.secondsPerStep * 1000)) ms (mean of \(r.steps))")
            samples/s        \(String(format: "%.0f", r.samplesPerSecond))
            MFLOP/sample     \(String(format: "%.1f", r.flopsPerSample / 1e6)) (training, 3 × forward; dense count)
            GFLOP/s          \(String(format: "%.1f", r.gflops)) (dense count); \(String(format: "%.0f", r.fractionOfPeak * 100))% \
            of the peak bound \(String(format: "%.1f", r.peakGflops)) in FLOPs executed
            peak bound       \(peakSource)
            machine          \(m.cpuModel), \(m.logicalCPUs) logical CPUs on \(m.physicalCores) cores \
            (\(m.coresAreSeparate ? "separate, no SMT siblings" : "SMT siblings share cores")), \
            \(m.simd.joined(separator: " ")), OpenBLAS kernels \(m.blasCore)
            parameters       \(r.parameters)
            peak memory      \(String(format: "%.0f", r.peakResidentMB)) MiB resident
            """)
        if let executed = r.executedFlopsPerSample, let fraction = r.distinctStateFraction {
            print("executed         \(String(format: "%.1f", executed / 1e6)) MFLOP/sample (critic state GEMMs and actor once per " +
                  "distinct state, rank-one action part; \(String(format: "%.0f", 100 * fraction))% of rows distinct) = " +
                  "\(String(format: "%.1f", executed * r.samplesPerSecond / 1e9)) GFLOP/s executed")
        }
        if let bound = r.arithmeticBoundSeconds {
            let unit = r.model == "critic-stage" ? "epoch" : "step"
            print("arithmetic bound \(String(format: "%.3f", bound)) s per \(unit) at measured peak; measured " +
                  "\(String(format: "%.3f", r.secondsPerStep)) s = \(String(format: "%.2f", r.secondsPerStep / bound))× the bound")
        }
        if let rows = r.bufferRows, let epochs = r.epochs, let perEpoch = r.stepsPerEpoch {
            print("critic stage     buffer \(rows), \(perEpoch) steps/epoch, \(epochs) epoch(s) timed; 96 epochs ≈ " +
                  "\(String(format: "%.0f", 96 * r.secondsPerStep)) s")
        }
    }
}

extension Bench {
    /// `--json`: the result with sorted keys, one line.
    func printJSON(_ result: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    }

    func runPipeline() throws {
        let r: Benchmark.PipelineResult
        do {
            r = try Benchmark.pipeline(directory: data, schedule: .init(), threads: threads, splitsOut: splitsOut)
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        if json { return try printJSON(r) }
        func s(_ x: Double) -> String { String(format: "%.1f s", x) }
        func aucs(_ m: [TaskMetrics]?) -> String { (m ?? []).map { "\($0.task) \(String(format: "%.4f", $0.auc))" }.joined(separator: ", ") }
        print("""
            pipeline         RMTL-ESMM, paper mode, paper sizes; \(r.schedule.description)
            rows             train \(r.rows["train"] ?? 0), validation \(r.rows["validation"] ?? 0), test \(r.rows["test"] ?? 0) (each cut)
            data             \(s(r.dataSeconds)) (load, sessionize, split; not in the total)
            pretrain         \(s(r.seconds["pretrain"] ?? .nan))
            critic stage     \(s(r.seconds["critic"] ?? .nan)) (warm-up, check, epochs; \(r.criticRedraws) redraws)
            RMTL fine-tune   \(s(r.seconds["finetune"] ?? .nan))
            eval (2 × test)  \(s(r.seconds["eval"] ?? .nan))
            total            \(s(r.totalSeconds)) on \(r.threads) threads; load average \(r.loadAverage.map { String(format: "%.2f", $0) }.joined(separator: " → "))
            test AUC         pretrained: \(aucs(r.test["pretrained"])); RMTL: \(aucs(r.test["rmtl"]))
            peak memory      \(String(format: "%.0f", r.peakResidentMB)) MiB resident
            """)
    }
}

extension RMTLMode: ExpressibleByArgument {}

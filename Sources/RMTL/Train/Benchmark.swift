import Foundation

/// `rmtl bench`: times full training steps (forward, backward, Adam, dropout on) on random inputs
/// of the paper's shape, and this machine's FP32 peak, so speed is reported as samples/s and as a
/// measured fraction of the arithmetic limit.
public enum Benchmark {
    /// The paper's RetailRocket input: 7 categorical fields and one numeric field, two tasks.
    public static let paperCardinalities = [1000, 1000, 1000, 3, 1200, 50, 50]

    public struct Result: Sendable, Codable {
        public var model: String
        public var batch: Int
        public var threads: Int
        public var steps: Int
        public var secondsPerStep: Double
        public var samplesPerSecond: Double
        /// Training FLOPs per sample: 3 × the forward pass (backward costs two forward passes).
        public var flopsPerSample: Double
        public var gflops: Double
        public var peakGflops: Double
        public var fractionOfPeak: Double
        public var parameters: Int
        public var peakResidentMB: Double

        /// `rmtl bench --json` keys: snake case, and `samples_per_s` as issue 3 names it.
        enum CodingKeys: String, CodingKey {
            case model, batch, threads, steps, gflops, parameters
            case secondsPerStep = "seconds_per_step", samplesPerSecond = "samples_per_s"
            case flopsPerSample = "flops_per_sample", peakGflops = "peak_gflops", fractionOfPeak = "fraction_of_peak"
            case peakResidentMB = "peak_resident_mb"
        }
    }

    /// Times `steps` training steps of `model` (a `ModelKind` name or `critic`) after 2 warm-up steps.
    public static func run(model name: String, batch: Int, steps: Int, threads: Int, seed: UInt64 = 2022) throws -> Result {
        guard steps >= 1 else { throw ConfigurationError(parameter: "steps", message: "expected at least 1 step, got \(steps)") }
        guard batch >= 1 else { throw ConfigurationError(parameter: "batch", message: "expected a positive batch, got \(batch)") }
        var rng = RandomGenerator(seed: seed)
        let network: TrainableModel
        let isCritic = name == "critic"
        if isCritic {
            let config = CriticConfig(cardinalities: paperCardinalities, numericCount: 1)
            network = try TrainableModel(batchCapacity: batch, threads: threads, rng: &rng) { Critic(config, &$0) }
        } else {
            guard let kind = ModelKind(rawValue: name) else {
                let names = (ModelKind.allCases.map(\.rawValue) + ["critic"]).joined(separator: ", ")
                throw ConfigurationError(parameter: "model", message: "unknown model '\(name)'; expected one of: \(names)")
            }
            let config = ModelConfig(kind: kind, cardinalities: paperCardinalities, numericCount: 1, taskCount: 2)
            network = try TrainableModel(config, batchCapacity: batch, threads: threads, rng: &rng)
        }
        // Random inputs and 0/1 labels (or Q targets ≤ 0 for the critic), fixed for every step.
        let fields = paperCardinalities.count
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: batch * fields)
        defer { ids.deallocate() }
        for r in 0..<batch { for f in 0..<fields { ids[r * fields + f] = Int32(rng.nextInt(below: paperCardinalities[f])) } }
        let numeric = Activation(capacity: batch, columns: 1), actions = Activation(capacity: batch, columns: 1)
        let targets = Activation(capacity: batch, columns: 2)
        for r in 0..<batch {
            numeric.matrix(rows: batch)[r, 0] = rng.nextNormal()
            actions.matrix(rows: batch)[r, 0] = rng.nextUniform()
            for t in 0..<2 { targets.matrix(rows: batch)[r, t] = isCritic ? -rng.nextUniform() : (rng.nextUniform() < 0.1 ? 1 : 0) }
        }
        let input = BatchInput(ids: ids, fieldCount: fields, numeric: numeric.matrix(rows: batch),
                               actions: isCritic ? actions.matrix(rows: batch) : nil)
        let labels = targets.matrix(rows: batch)
        let adam = Adam(count: network.values.count, learningRate: 1e-3, weightDecay: 1e-6)
        func step() {
            _ = network.accumulateGradients(input, isTraining: true, rng: &rng) { _, rows, out, dOut in
                if isCritic { return meanSquaredError(out, labels, rows, batch, dOut) }
                return meanBinaryCrossEntropy(0, rows, out, labels, batch, dOut)
            }
            network.applyGradients(adam)
        }
        for _ in 0..<2 { step() }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { step() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps)
        let flops = 3 * network.flopsPerRow
        let gflops = flops * Double(batch) / seconds / 1e9
        let peak = measurePeakGflops(threads: network.threads)
        return Result(
            model: name, batch: batch, threads: network.threads, steps: steps, secondsPerStep: seconds,
            samplesPerSecond: Double(batch) / seconds, flopsPerSample: flops, gflops: gflops, peakGflops: peak,
            fractionOfPeak: gflops / peak, parameters: network.parameterCount, peakResidentMB: peakResidentMegabytes())
    }

    /// The machine's FP32 peak on `threads` cores, measured: each thread runs a chain-free stream of
    /// 8-lane fused multiply-adds (12 independent accumulators hide the FMA latency).
    public static func measurePeakGflops(threads: Int) -> Double {
        let iterations = 4_000_000
        let sink = UnsafeMutablePointer<Float>.allocate(capacity: threads)
        defer { sink.deallocate() }
        let out = UncheckedSendable(sink)
        let start = DispatchTime.now().uptimeNanoseconds
        parallelFor(threads) { t in out.value[t] = fmaStream(iterations, seed: Float(t) + 1) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(threads) * Double(iterations) * 12 * 8 * 2 / seconds / 1e9
    }

    @inline(never)
    static func fmaStream(_ iterations: Int, seed: Float) -> Float {
        let x = SIMD8<Float>(repeating: 0.999_999), y = SIMD8<Float>(repeating: seed * 1e-7)
        var a0 = SIMD8<Float>(repeating: 1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
        var a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0
        for _ in 0..<iterations {
            a0.addProduct(a0, x); a1.addProduct(a1, x); a2.addProduct(a2, x); a3.addProduct(a3, x)
            a4.addProduct(a4, y); a5.addProduct(a5, y); a6.addProduct(a6, y); a7.addProduct(a7, y)
            a8.addProduct(a8, x); a9.addProduct(a9, y); a10.addProduct(a10, x); a11.addProduct(a11, y)
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).sum()
    }

    /// Peak resident memory of this process (VmHWM), in MiB.
    public static func peakResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
        return kb / 1024
    }
}

/// `mean (q − target)²` over the shard's rows (the critic's TD loss with the targets given).
public func meanSquaredError(_ q: Matrix, _ targets: Matrix, _ rows: Range<Int>, _ batchRows: Int, _ dq: Matrix) -> Double {
    var total = 0.0
    let scale = 2 / Float(batchRows)
    for r in 0..<q.rows {
        let d = q[r, 0] - targets[rows.lowerBound + r, 0]
        total += Double(d * d)
        dq[r, 0] = scale * d
    }
    return total / Double(batchRows)
}

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
        /// `critic-update`/`critic-stage`: seconds the timed work would take at `peakGflops`
        /// (FLOPs / peak), per step or per epoch; `secondsPerStep / arithmeticBoundSeconds` is the
        /// distance from the bound.
        public var arithmeticBoundSeconds: Double? = nil
        /// `critic-stage`: replay-buffer transitions, epochs timed, steps per epoch.
        public var bufferRows: Int? = nil
        public var epochs: Int? = nil
        public var stepsPerEpoch: Int? = nil
        /// `critic-update`: FLOPs rmtl actually executed per sample (the critics' state GEMMs and the
        /// actor run once per distinct state, see `Critic.forward`), and the mean fraction of distinct
        /// states per shard in the critics' training input.
        public var executedFlopsPerSample: Double? = nil
        public var distinctStateFraction: Double? = nil

        /// `rmtl bench --json` keys: snake case, and `samples_per_s` as issue 3 names it.
        enum CodingKeys: String, CodingKey {
            case model, batch, threads, steps, gflops, parameters
            case secondsPerStep = "seconds_per_step", samplesPerSecond = "samples_per_s"
            case flopsPerSample = "flops_per_sample", peakGflops = "peak_gflops", fractionOfPeak = "fraction_of_peak"
            case peakResidentMB = "peak_resident_mb"
            case arithmeticBoundSeconds = "arithmetic_bound_seconds", bufferRows = "buffer_rows", epochs
            case stepsPerEpoch = "steps_per_epoch", executedFlopsPerSample = "executed_flops_per_sample"
            case distinctStateFraction = "distinct_state_fraction"
        }
    }

    /// Times `steps` training steps of `model` (a `ModelKind` name or `critic`) after 2 warm-up steps.
    public static func run(model name: String, batch: Int, steps: Int, threads: Int, seed: UInt64 = 2022) throws -> Result {
        guard steps >= 1 else { throw ConfigurationError(parameter: "steps", .belowMinimum(value: steps, minimum: 1)) }
        guard batch >= 1 else { throw ConfigurationError(parameter: "batch", .belowMinimum(value: batch, minimum: 1)) }
        if name == "critic-update" { return try criticUpdate(batch: batch, steps: steps, threads: threads, seed: seed) }
        var rng = RandomGenerator(seed: seed)
        let network: TrainableModel
        let isCritic = name == "critic"
        if isCritic {
            let config = CriticConfig(cardinalities: paperCardinalities, numericCount: 1)
            network = try TrainableModel(batchCapacity: batch, threads: threads, rng: &rng) { Critic(config, &$0) }
        } else {
            guard let kind = ModelKind(rawValue: name) else {
                let names = ModelKind.allCases.map(\.rawValue) + ["critic", "critic-update", "critic-stage"]
                throw ConfigurationError(parameter: "model", .unknownName(name, kind: "model", known: names))
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

    /// The actor the paper's RMTL-ESMM builds its critics over: ESMM at the paper's sizes.
    public static let criticUpdateActor = ModelKind.esmm

    /// An RLAgent in code mode (two independent `CriticNeg` critics of the paper's sizes over a
    /// pretrained-shape ESMM actor, z-score quirk, min target, noise, dropout in the targets) whose
    /// buffer holds `bufferRows` random transitions: right-skewed ids like frequency ranks, the
    /// all-zero numeric column of the authors' data, uniform actions, rewards in [−4.6, 0], 10% done.
    static func criticAgent(batch: Int, bufferRows: Int, threads: Int, rng: inout RandomGenerator) throws -> RLAgent {
        let config = ModelConfig(kind: criticUpdateActor, cardinalities: paperCardinalities, numericCount: 1, taskCount: 2)
        let actor = try TrainableModel(config, batchCapacity: batch, threads: threads, rng: &rng)
        var settings = RMTLSettings(mode: .code)
        settings.batchSize = batch
        settings.bufferCapacity = bufferRows
        settings.criticInit = .faithful
        let agent = try RLAgent(actor: actor, settings: settings, rng: &rng)
        let n = bufferRows + 1
        var categorical: [[Int32]] = []
        for c in paperCardinalities {
            categorical.append((0..<n).map { _ in let u = rng.nextUniform(); return Int32(Float(c) * u * u * u) })
        }
        let data = Dataset(
            name: "bench", categoricalNames: paperCardinalities.indices.map { "f\($0)" }, categorical: categorical,
            cardinalities: paperCardinalities, numericNames: ["x"], numeric: [[Float](repeating: 0, count: n)],
            taskNames: ["click", "pay"], labels: [[Float](repeating: 0, count: n), [Float](repeating: 0, count: n)],
            sessions: [Int32](repeating: 0, count: n), timestamps: [Int64](repeating: 0, count: n))
        for i in 0..<bufferRows {
            let a = [rng.nextUniform(), rng.nextUniform()]
            agent.buffer.append(row: i, next: i + 1, of: data, actions: a,
                                rewards: [-4.6 * rng.nextUniform(), -4.6 * rng.nextUniform()], isDone: rng.nextUniform() < 0.1)
        }
        return agent
    }

    /// FLOPs of one critic training step per sampled row, dense and counted honestly (2·m·n·k per
    /// GEMM, backward = 2 × forward): the actor's forward for a′, per critic network the target's
    /// forward on (s′, a′), the online forward on (s′, a′) when the target is `min`, and the online
    /// forward + backward on (s, a). Adam, the soft update and embedding gathers are not counted.
    static func criticStepFlopsPerRow(_ agent: RLAgent) -> Double {
        let next = agent.settings.tdTarget == .minimum ? 2.0 : 1.0
        return agent.actor.flopsPerRow + agent.critics.reduce(0) { $0 + (next + 3) * $1.flopsPerRow }
    }

    /// `critic-update`: the real `RLAgent` critic step (`criticStep`, what `trainCritic` repeats) at
    /// `batch`, code mode, over a buffer of 8 batches; `flops_per_sample` is `criticStepFlopsPerRow`.
    static func criticUpdate(batch: Int, steps: Int, threads: Int, seed: UInt64) throws -> Result {
        var rng = RandomGenerator(seed: seed)
        let agent = try criticAgent(batch: batch, bufferRows: 8 * batch, threads: threads, rng: &rng)
        for _ in 0..<2 { _ = agent.criticStep(rng: &rng) }
        var seconds = 0.0, executed = 0.0, distinct = 0.0
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = agent.criticStep(rng: &rng)
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            // Untimed bookkeeping: what the step really executed.
            let (e, d) = executedCriticStepFlops(agent)
            executed += e
            distinct += d
        }
        seconds /= Double(steps)
        let flops = criticStepFlopsPerRow(agent)
        let gflops = flops * Double(batch) / seconds / 1e9
        let peak = measurePeakGflops(threads: threads)
        var r = Result(
            model: "critic-update", batch: batch, threads: threads, steps: steps, secondsPerStep: seconds,
            samplesPerSecond: Double(batch) / seconds, flopsPerSample: flops, gflops: gflops, peakGflops: peak,
            fractionOfPeak: gflops / peak, parameters: agent.critics.reduce(0) { $0 + $1.parameterCount },
            peakResidentMB: peakResidentMegabytes())
        r.arithmeticBoundSeconds = flops * Double(batch) / (peak * 1e9)
        r.executedFlopsPerSample = executed / Double(steps * batch)
        r.distinctStateFraction = distinct / Double(steps)
        return r
    }

    /// FLOPs the last critic step executed, and the distinct-state fraction of its training input:
    /// the dense count minus the state part of each critic's first layer (forward, and both backward
    /// GEMMs for the trained critics) for rows that repeat a state of their shard, minus the action
    /// part of that layer (rank one, so O(bottom[0]) a row instead of a GEMM), and the actor's forward
    /// for repeated next states.
    static func executedCriticStepFlops(_ agent: RLAgent) -> (Double, Double) {
        let b = Double(agent.settings.batchSize), next = agent.settings.tdTarget == .minimum ? 2.0 : 1.0
        func distinct(_ model: TrainableModel) -> Double? {
            var total = 0
            for p in 0..<model.threads {
                guard let critic = model.replica(p) as? Critic else { return nil }
                total += critic.states.count
            }
            return Double(total)
        }
        var flops = agent.actor.flopsPerRow * Double(agent.batch.distinctNext.count)
        var fraction = 0.0
        for (online, target) in zip(agent.critics, agent.targets) {
            let dense = online.flopsPerRow * b
            guard let c = online.replica(0) as? Critic, let us = distinct(online), let ut = distinct(target) else {
                flops += (next + 3) * dense
                fraction += 1
                continue
            }
            let state = 2 * Double(c.config.inputWidth - c.config.embedDim) * Double(c.config.bottom[0])
            let action = 2 * Double(c.config.embedDim) * Double(c.config.bottom[0])   // rank one, O(bottom[0]) a row
            flops += next * (dense - state * (b - ut) - action * b) + 3 * (dense - state * (b - us) - action * b)
            fraction += us / b
        }
        return (flops, fraction / Double(agent.critics.count))
    }

    /// `critic-stage`: `epochs` epochs of the code-faithful critic stage (`RLAgent.trainCritic`,
    /// including its dead-critic check and per-epoch diagnostics) over a full buffer of `bufferRows`
    /// random transitions (the code's memory_size is 500,000: 244 steps of 2048 per epoch).
    /// `seconds_per_step` is seconds per epoch; the bound counts the training steps' FLOPs only.
    public static func criticStage(batch: Int, bufferRows: Int, epochs: Int, threads: Int, seed: UInt64 = 2022) throws -> Result {
        guard epochs >= 1 else { throw ConfigurationError(parameter: "steps", .belowMinimum(value: epochs, minimum: 1)) }
        var rng = RandomGenerator(seed: seed)
        let agent = try criticAgent(batch: batch, bufferRows: bufferRows, threads: threads, rng: &rng)
        let start = DispatchTime.now().uptimeNanoseconds
        let reports = try agent.trainCritic(epochs: epochs, rng: &rng)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(reports.count)
        let stepsPerEpoch = reports[0].steps
        let flops = criticStepFlopsPerRow(agent)
        let epochFlops = flops * Double(batch * stepsPerEpoch)
        let gflops = epochFlops / seconds / 1e9
        let peak = measurePeakGflops(threads: threads)
        var r = Result(
            model: "critic-stage", batch: batch, threads: threads, steps: stepsPerEpoch * reports.count, secondsPerStep: seconds,
            samplesPerSecond: Double(batch * stepsPerEpoch) / seconds, flopsPerSample: flops, gflops: gflops, peakGflops: peak,
            fractionOfPeak: gflops / peak, parameters: agent.critics.reduce(0) { $0 + $1.parameterCount },
            peakResidentMB: peakResidentMegabytes())
        r.arithmeticBoundSeconds = epochFlops / (peak * 1e9)
        r.bufferRows = bufferRows
        r.epochs = reports.count
        r.stepsPerEpoch = stepsPerEpoch
        return r
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

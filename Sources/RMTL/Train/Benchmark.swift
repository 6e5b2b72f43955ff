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
        /// A bound on this machine's FP32 peak (`PeakBound`): the best of the probes interleaved with
        /// the timed steps, or the best step's executed rate if that was higher.
        public var peakGflops: Double
        /// Executed GFLOP/s (for the critic update: what rmtl ran, not the dense count) over
        /// `peakGflops`; ≤ 1 by construction.
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
        /// FLOPs rmtl actually executed per sample: for `critic-update`, the critics' state GEMMs and
        /// the actor run once per distinct state (see `Critic.forward`); for the models, first layers
        /// over the embedding run once per distinct id of a field (`FieldFactoredLinear`). And, for
        /// `critic-update`, the mean fraction of distinct states per shard in the critics' training input.
        public var executedFlopsPerSample: Double? = nil
        public var distinctStateFraction: Double? = nil
        /// `critic-update`/`critic-stage`: the RL mode (`paper`: one shared critic, target-only TD,
        /// raw states; `code`: two critics, min target, the z-score quirk).
        public var mode: String? = nil
        /// The best probe alone, the number of probes, and whether the probes bounded every step.
        public var peakProbeGflops = 0.0
        public var peakProbes = 0
        public var peakFromProbe = true
        public var machine = MachineDescription.current

        mutating func setPeak(_ bound: PeakBound, executedGflops: Double) {
            peakGflops = bound.gflops
            fractionOfPeak = bound.fraction(executedGflops)
            peakProbeGflops = bound.bestProbe
            peakProbes = bound.probes.count
            peakFromProbe = bound.probeIsBound
        }

        /// `rmtl bench --json` keys: snake case, and `samples_per_s` as issue 3 names it.
        enum CodingKeys: String, CodingKey {
            case model, batch, threads, steps, gflops, parameters
            case secondsPerStep = "seconds_per_step", samplesPerSecond = "samples_per_s"
            case flopsPerSample = "flops_per_sample", peakGflops = "peak_gflops", fractionOfPeak = "fraction_of_peak"
            case peakResidentMB = "peak_resident_mb"
            case arithmeticBoundSeconds = "arithmetic_bound_seconds", bufferRows = "buffer_rows", epochs
            case stepsPerEpoch = "steps_per_epoch", executedFlopsPerSample = "executed_flops_per_sample"
            case distinctStateFraction = "distinct_state_fraction", mode
            case peakProbeGflops = "peak_probe_gflops", peakProbes = "peak_probes", peakFromProbe = "peak_from_probe", machine
        }
    }

    /// Times `steps` training steps of `model` (a `ModelKind` name or `critic`) after 2 warm-up steps.
    /// `mode` chooses the RL reading for `critic-update`.
    public static func run(model name: String, batch: Int, steps: Int, threads: Int, mode: RMTLMode = .code,
                           seed: UInt64 = 2022) throws -> Result {
        guard steps >= 1 else { throw ConfigurationError(parameter: "steps", .belowMinimum(value: steps, minimum: 1)) }
        guard batch >= 1 else { throw ConfigurationError(parameter: "batch", .belowMinimum(value: batch, minimum: 1)) }
        if name == "critic-update" { return try criticUpdate(batch: batch, steps: steps, threads: threads, mode: mode, seed: seed) }
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
        let flops = 3 * network.flopsPerRow
        var executed = 0.0
        let (seconds, bound) = timeSteps(steps, threads: network.threads, step: step) {
            // Untimed: the dense count minus what the first layers left out per distinct id
            // (`FieldFactoredLinear`: forward, and twice that in backward).
            let e = flops * Double(batch) - 3 * (0..<network.threads).reduce(0) { $0 + network.replica($1).savedFlops }
            executed += e
            return e
        }
        let gflops = flops * Double(batch) / seconds / 1e9
        var r = Result(
            model: name, batch: batch, threads: network.threads, steps: steps, secondsPerStep: seconds,
            samplesPerSecond: Double(batch) / seconds, flopsPerSample: flops, gflops: gflops, peakGflops: 0,
            fractionOfPeak: 0, parameters: network.parameterCount, peakResidentMB: peakResidentMegabytes())
        r.setPeak(bound, executedGflops: executed / Double(steps) / seconds / 1e9)
        r.executedFlopsPerSample = executed / Double(steps * batch)
        return r
    }

    /// Times `steps` calls of `step` with peak probes before, between and after them (untimed), so
    /// the peak is read under the same conditions as the steps. Returns the mean seconds per step and
    /// the bound, which also records each step's executed rate (`executedFlops()`: what the step
    /// just ran).
    static func timeSteps(_ steps: Int, threads: Int, step: () -> Void, executedFlops: () -> Double) -> (Double, PeakBound) {
        var bound = PeakBound()
        bound.probe(threads: threads)
        var total = 0.0
        for _ in 0..<steps {
            let start = DispatchTime.now().uptimeNanoseconds
            step()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            total += seconds
            bound.recordStep(executedFlops() / seconds / 1e9)
            bound.probe(threads: threads)
        }
        return (total / Double(steps), bound)
    }

    /// The actor the paper's RMTL-ESMM builds its critics over: ESMM at the paper's sizes.
    public static let criticUpdateActor = ModelKind.esmm

    /// An RLAgent in `mode` (code: two independent `CriticNeg` critics of the paper's sizes, z-score
    /// quirk, min target, noise, dropout in the targets; paper: one `SharedCritic`, raw states, target
    /// only) over a pretrained-shape ESMM actor, whose buffer holds `bufferRows` random transitions:
    /// right-skewed ids like frequency ranks, the all-zero numeric column of the authors' data,
    /// uniform actions, rewards in [−4.6, 0], 10% done.
    static func criticAgent(batch: Int, bufferRows: Int, threads: Int, mode: RMTLMode, rng: inout RandomGenerator) throws -> RLAgent {
        let config = ModelConfig(kind: criticUpdateActor, cardinalities: paperCardinalities, numericCount: 1, taskCount: 2)
        let actor = try TrainableModel(config, batchCapacity: batch, threads: threads, rng: &rng)
        var settings = RMTLSettings(mode: mode)
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
    /// `batch`, in `mode`, over a buffer of 8 batches; `flops_per_sample` is `criticStepFlopsPerRow`
    /// (dense), the fraction of peak uses the FLOPs executed.
    static func criticUpdate(batch: Int, steps: Int, threads: Int, mode: RMTLMode, seed: UInt64) throws -> Result {
        var rng = RandomGenerator(seed: seed)
        let agent = try criticAgent(batch: batch, bufferRows: 8 * batch, threads: threads, mode: mode, rng: &rng)
        for _ in 0..<2 { _ = agent.criticStep(rng: &rng) }
        var executed = 0.0, distinct = 0.0
        let (seconds, bound) = timeSteps(steps, threads: threads, step: { _ = agent.criticStep(rng: &rng) }) {
            // Untimed bookkeeping: what the step really executed.
            let (e, d) = executedCriticStepFlops(agent)
            executed += e
            distinct += d
            return e
        }
        let flops = criticStepFlopsPerRow(agent)
        let gflops = flops * Double(batch) / seconds / 1e9
        var r = Result(
            model: "critic-update", batch: batch, threads: threads, steps: steps, secondsPerStep: seconds,
            samplesPerSecond: Double(batch) / seconds, flopsPerSample: flops, gflops: gflops, peakGflops: 0,
            fractionOfPeak: 0, parameters: agent.critics.reduce(0) { $0 + $1.parameterCount },
            peakResidentMB: peakResidentMegabytes())
        r.setPeak(bound, executedGflops: executed / Double(steps) / seconds / 1e9)
        r.mode = mode.rawValue
        r.arithmeticBoundSeconds = flops * Double(batch) / (bound.gflops * 1e9)
        r.executedFlopsPerSample = executed / Double(steps * batch)
        r.distinctStateFraction = distinct / Double(steps)
        return r
    }

    /// FLOPs the last critic step executed, and the distinct-state fraction of its training input:
    /// the dense count minus the state part of each critic's first layer (forward, and both backward
    /// GEMMs for the trained critics) for rows and task blocks that repeat a state of their shard
    /// (`CriticFirstLayer`), minus the action part of that layer (rank one, so O(bottom[0]) a row
    /// instead of a GEMM), and the actor's forward for repeated next states.
    static func executedCriticStepFlops(_ agent: RLAgent) -> (Double, Double) {
        let b = Double(agent.settings.batchSize), next = agent.settings.tdTarget == .minimum ? 2.0 : 1.0
        func distinct(_ model: TrainableModel) -> Double? {
            var total = 0
            for p in 0..<model.threads {
                guard let critic = model.replica(p) as? any SplitFirstLayerCritic else { return nil }
                total += critic.firstLayer.states.count
            }
            return Double(total)
        }
        var flops = agent.actor.flopsPerRow * Double(agent.batch.distinctNext.count)
        var fraction = 0.0
        for (online, target) in zip(agent.critics, agent.targets) {
            let dense = online.flopsPerRow * b
            guard let c = online.replica(0) as? any SplitFirstLayerCritic, let us = distinct(online), let ut = distinct(target) else {
                flops += (next + 3) * dense
                fraction += 1
                continue
            }
            let blocks = Double(c.headCount) * b     // first-layer rows: one block of b per head
            let state = 2 * Double(c.config.inputWidth - c.config.embedDim) * Double(c.config.bottom[0])
            let action = 2 * Double(c.config.embedDim) * Double(c.config.bottom[0])   // rank one, O(bottom[0]) a row
            flops += next * (dense - state * (blocks - ut) - action * blocks) + 3 * (dense - state * (blocks - us) - action * blocks)
            fraction += us / b
        }
        return (flops, fraction / Double(agent.critics.count))
    }

    /// `critic-stage`: `epochs` epochs of the critic stage in `mode` (`RLAgent.trainCritic`, with its
    /// per-epoch diagnostics) over a full buffer of `bufferRows` random transitions (the code's
    /// memory_size is 500,000: 244 steps of 2048 per epoch). `seconds_per_step` is seconds per epoch
    /// (the dead-critic check before the first epoch is not timed); the bound counts the training
    /// steps' dense FLOPs only. Peak probes run between epochs; an epoch's executed FLOPs are
    /// estimated from its last step (`executedCriticStepFlops`), exact when nothing is skipped (paper).
    public static func criticStage(batch: Int, bufferRows: Int, epochs: Int, threads: Int, mode: RMTLMode = .code,
                                   seed: UInt64 = 2022) throws -> Result {
        guard epochs >= 1 else { throw ConfigurationError(parameter: "steps", .belowMinimum(value: epochs, minimum: 1)) }
        var rng = RandomGenerator(seed: seed)
        let agent = try criticAgent(batch: batch, bufferRows: bufferRows, threads: threads, mode: mode, rng: &rng)
        var bound = PeakBound()
        bound.probe(threads: threads)
        var executed = 0.0
        let reports = try agent.trainCritic(epochs: epochs, rng: &rng) { report in
            let e = executedCriticStepFlops(agent).0 * Double(report.steps)
            executed += e
            bound.recordStep(e / report.seconds / 1e9)
            bound.probe(threads: threads)
        }
        let seconds = reports.reduce(0) { $0 + $1.seconds } / Double(reports.count)
        let stepsPerEpoch = reports[0].steps
        let flops = criticStepFlopsPerRow(agent)
        let epochFlops = flops * Double(batch * stepsPerEpoch)
        let gflops = epochFlops / seconds / 1e9
        var r = Result(
            model: "critic-stage", batch: batch, threads: threads, steps: stepsPerEpoch * reports.count, secondsPerStep: seconds,
            samplesPerSecond: Double(batch * stepsPerEpoch) / seconds, flopsPerSample: flops, gflops: gflops, peakGflops: 0,
            fractionOfPeak: 0, parameters: agent.critics.reduce(0) { $0 + $1.parameterCount },
            peakResidentMB: peakResidentMegabytes())
        r.setPeak(bound, executedGflops: executed / Double(reports.count) / seconds / 1e9)
        r.mode = mode.rawValue
        r.executedFlopsPerSample = executed / Double(reports.count * batch * stepsPerEpoch)
        r.arithmeticBoundSeconds = epochFlops / (bound.gflops * 1e9)
        r.bufferRows = bufferRows
        r.epochs = reports.count
        r.stepsPerEpoch = stepsPerEpoch
        return r
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

import Foundation
import Testing
import RMTL

/// Thresholds of the finite-difference checks (see `GradientCheck.swift`), per tensor: the error
/// relative to the tensor's own gradient scale (RMS, floored at `resolution`), the fraction of
/// entries away from kinks, and the fraction of non-zero gradients (so a check cannot pass by
/// comparing zeros with zeros).
enum GradientCheckLimits {
    /// Entry by entry, ‖numeric − analytic‖ / ‖analytic‖: Float rounding leaves up to 6% in the
    /// smallest tensors (RMS gradient ≈ 5e-5, entries next to kinks differenced with ε = 4e-4);
    /// the median is 6e-4.
    static let error = 0.1
    /// Along the tensor's gradient direction, for every tensor with a gradient: |D − ‖a‖| / ‖a‖.
    /// Half of 1%, so a 1% error in any one tensor fails it (`expectInjectedErrorsCaught`).
    static let directional = 0.005
    /// Of all entries of a model.
    static let compared = 0.8
    static let alive = 0.5
}

/// PLE's shared branch never reaches an output (README, "Facts the parity work pinned down"): the
/// last level's shared gate `gate.L.K.0.*` (K = the task count) gets no gradient, by design.
func structurallyDead(_ name: String, tasks: Int) -> Bool {
    let parts = name.split(separator: ".")
    return parts.count == 5 && parts[0] == "gate" && parts[2] == "\(tasks)"
}

func expectSound(_ report: GradientCheckReport, _ what: String, dead: (String) -> Bool = { _ in false }) {
    if ProcessInfo.processInfo.environment["RMTL_FD_VERBOSE"] != nil { for t in report.tensors { print("  \(what) \(t)") } }
    for t in report.tensors {
        #expect(t.error < GradientCheckLimits.error, "\(what) \(t)")
        // Every tensor has compared entries; most entries of the model are away from kinks.
        #expect(t.compared > 0, "\(what): every entry at a kink in \(t)")
        if dead(t.name) {
            #expect(t.nonzero == 0, "\(what): expected no gradient in \(t)")
        } else {
            #expect(t.nonzeroFraction >= GradientCheckLimits.alive, "\(what): mostly dead \(t)")
            #expect(t.directionalMeasured, "\(what): no kink-free span along the gradient of \(t)")
            #expect(t.directionalError < GradientCheckLimits.directional, "\(what) \(t)")
        }
    }
    let compared = report.tensors.reduce(0) { $0 + $1.compared }
    #expect(Double(compared) >= GradientCheckLimits.compared * Double(report.checked), "\(what): too many kinks: \(report)")
}

/// An error injected into one tensor's gradient must fail that tensor's check (and only that one):
/// scale one tensor's analytic gradient at a time by 1 ± 1%, and expect its directional error to
/// reach the limit, for every tensor that has a gradient.
func expectInjectedErrorsCaught(_ fd: FiniteDifferences, _ what: String) {
    let clean = fd.report()
    var caught = 0, nonzero = 0
    for (k, slot) in fd.slots.enumerated() where clean.tensors[k].norm > 0 {
        nonzero += 1
        var up = fd.analytic, down = fd.analytic
        for i in slot.offset..<(slot.offset + slot.count) { up[i] *= 1.01; down[i] *= 0.99 }
        let reports = [fd.report(analytic: up), fd.report(analytic: down)]
        for report in reports {
            #expect(report.tensors.indices.allSatisfy { $0 == k || report.tensors[$0].directionalError == clean.tensors[$0].directionalError })
        }
        let both = reports.allSatisfy { $0.tensors[k].directionalError >= GradientCheckLimits.directional }
        #expect(both, "\(what): a 1% error in \(slot.name) went unnoticed: \(reports.map { $0.tensors[k] })")
        if both { caught += 1 }
    }
    #expect(nonzero > 0)
    print("finite differences \(what): a 1% error caught in \(caught) of \(nonzero) tensors with a gradient; clean worst directional "
          + "\(clean.worstDirectionalError), entrywise \(clean.worstError)")
}

/// Sizes where the units are alive: 32 rows hit every id of the 3 fields, and wider layers than
/// the old 7-row tiny models (where whole towers, gates and experts were dead).
func aliveConfig(_ kind: ModelKind, tasks: Int = 2) -> ModelConfig {
    tinyConfig(kind, tasks: tasks, tower: [6, 4])
}

@Suite("Finite-difference gradients") struct GradientTests {
    static let rows = 32

    static func differences(_ kind: ModelKind, tasks: Int = 2, threads: Int, dropout: Float = 0) throws -> FiniteDifferences {
        var rng = RandomGenerator(seed: 11)
        var config = aliveConfig(kind, tasks: tasks)
        config.dropout = dropout
        let model = try TrainableModel(config, batchCapacity: rows, threads: threads, rng: &rng)
        // Positive biases keep most ReLU units on for most rows (PyTorch's init leaves whole
        // layers of these small models off for every row, and their gradients exactly zero).
        for slot in model.layout.slots where slot.name.hasSuffix("bias") {
            for i in slot.offset..<(slot.offset + slot.count) { model.values.base[i] = abs(model.values.base[i]) + 0.05 }
        }
        return finiteDifferences(model, batch: randomBatch(rows: rows, config: config, seed: 5), isTraining: dropout > 0)
    }

    @Test(arguments: ModelKind.allCases, [1, 2])
    func modelGradientsMatchFiniteDifferences(_ kind: ModelKind, threads: Int) throws {
        let report = try Self.differences(kind, threads: threads).report()
        print("gradient check \(kind), \(threads) threads: \(report)")
        expectSound(report, "\(kind) \(threads) threads") { kind == .ple && structurallyDead($0, tasks: 2) }
    }

    @Test(arguments: ModelKind.allCases)
    func injectedErrorsAreCaught(_ kind: ModelKind) throws {
        expectInjectedErrorsCaught(try Self.differences(kind, threads: 2), "\(kind)")
    }

    @Test(arguments: [3, 4])
    func gradientsWithMoreTasks(_ tasks: Int) throws {
        for kind in ModelKind.allCases where kind != .esmm {
            let fd = try Self.differences(kind, tasks: tasks, threads: 1)
            let report = fd.report()
            print("gradient check \(kind), \(tasks) tasks: \(report)")
            expectSound(report, "\(kind) with \(tasks) tasks") { kind == .ple && structurallyDead($0, tasks: tasks) }
            expectInjectedErrorsCaught(fd, "\(kind) with \(tasks) tasks")
        }
    }

    @Test func paddingRowGetsNoGradient() throws {
        var rng = RandomGenerator(seed: 2)
        var config = tinyConfig(.sharedbottom)
        config.freezesPaddingRow = true
        let model = try TrainableModel(config, batchCapacity: 6, threads: 1, rng: &rng)
        let batch = randomBatch(rows: 6, config: config, seed: 4)
        let labels = batch.labels
        _ = model.accumulateGradients(batch, isTraining: false, rng: &rng) { part, range, p, dp in
            meanBinaryCrossEntropy(part, range, p, labels, 6, dp)
        }
        let g = try #require(model.gradient(of: "embedding.embedding.weight"))
        #expect(g[0..<4].allSatisfy { $0 == 0 })          // row 0 (field 0, id 0): frozen
        #expect(g[4..<g.count].contains { $0 != 0 })
    }
}

@Suite("Finite-difference gradients: dropout and critic") struct MoreGradientTests {
    @Test(arguments: [ModelKind.sharedbottom, .mmoe, .ple, .aitm])
    func dropoutBackwardMatchesItsForwardMask(_ kind: ModelKind) throws {
        let fd = try GradientTests.differences(kind, threads: 2, dropout: 0.3)
        let report = fd.report()
        print("gradient check \(kind) with dropout: \(report)")
        expectSound(report, "\(kind) with dropout") { kind == .ple && structurallyDead($0, tasks: 2) }
        expectInjectedErrorsCaught(fd, "\(kind) with dropout")
    }

    @Test func criticGradientsMatchFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 8)
        var config = CriticConfig(cardinalities: [5, 4, 3], numericCount: 1)
        config.embedDim = 4
        config.bottom = [8, 6]
        config.tower = [5, 3]
        config.dropout = 0
        config.freezesPaddingRow = false
        let rows = 32
        let critic = try TrainableModel(batchCapacity: rows, threads: 2, rng: &rng) { Critic(config, &$0) }
        // Q = −ReLU(z) is 0 wherever z ≤ 0: scale the last layer up so most rows are alive.
        let last = critic.layout.slot(named: "tower.mlp.6.bias")!
        critic.values.base[last.offset] = 0.5
        let model = tinyConfig(.sharedbottom)
        let batch = randomBatch(rows: rows, config: model, seed: 3)
        let actions = Activation(capacity: rows, columns: 1)
        for r in 0..<rows { actions.matrix(rows: rows)[r, 0] = rng.nextUniform() }
        // Targets in the label columns: negative values, as Q ≤ 0.
        for r in 0..<rows { batch.labels[r, 0] = -rng.nextUniform() }
        let fd = finiteDifferences(critic, batch: batch, input: batch.input.with(actions: actions.matrix(rows: rows)), mse: true)
        let report = fd.report()
        print("gradient check critic: \(report)")
        expectSound(report, "critic")
        expectInjectedErrorsCaught(fd, "critic")
        #expect(critic.gradient(of: "action_layer.weight")!.contains { $0 != 0 })
    }
}

import Testing
import RMTL

@Suite("Critics: formulas, structures, gradients") struct RLCriticTests {
    @Test func tdTargetByHand() {
        func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) < 1e-6 }
        // r + γ(1 − d)·Q̄ with the target only (paper) ...
        #expect(close(RLAgent.tdTarget(reward: -0.5, isDone: 0, gamma: 0.95, target: -2, online: nil), -2.4))
        // ... min(Q̄, Q) (code): the more negative of the two.
        #expect(close(RLAgent.tdTarget(reward: -0.5, isDone: 0, gamma: 0.9, target: -1, online: -3), -3.2))
        #expect(close(RLAgent.tdTarget(reward: -0.5, isDone: 0, gamma: 0.9, target: -4, online: -3), -4.1))
        // Done: no bootstrap.
        #expect(RLAgent.tdTarget(reward: -0.25, isDone: 1, gamma: 0.9, target: -4, online: -3) == -0.25)
    }

    @Test func softUpdateByHand() {
        let target = FloatBuffer(count: 3), online = FloatBuffer(count: 3)
        target.copy(from: [1, 2, -1])
        online.copy(from: [3, 4, 1])
        softUpdate(target: target, online: online, tau: 0.2)       // keeps 80% of the target
        let expected: [Float] = [1.4, 2.4, -0.6]
        for i in 0..<3 { #expect(abs(target.base[i] - expected[i]) < 1e-6) }
    }

    @Test func lossWeightsByHand() {
        #expect(RLAgent.lossWeight(.critic, lambda: 0.7, q: -2, label: 0, constant: 0.5) == 1 + 0.7 * 2)
        #expect(RLAgent.lossWeight(.critic, lambda: 0, q: -2, label: 1, constant: 0.5) == 1)
        #expect(RLAgent.lossWeight(.label, lambda: 0.7, q: -2, label: 0, constant: 0.5) == 1)
        #expect(RLAgent.lossWeight(.label, lambda: 0.7, q: -2, label: 1, constant: 0.5) == 1 + 0.7 * 2)
        #expect(RLAgent.lossWeight(.negativeQ, lambda: 0.7, q: -2, label: 1, constant: 0.5) == 2)
        #expect(RLAgent.lossWeight(.constant, lambda: 0.7, q: -2, label: 1, constant: 0.5) == 0.5)
    }

    @Test(arguments: CriticStructure.allCases)
    func qIsNeverPositive(_ structure: CriticStructure) throws {
        for seed: UInt64 in 1...5 {
            let critic = try tinyCritic(structure, rows: 40, seed: seed)
            let inputs = CriticInputs(rows: 40, heads: structure == .shared ? 2 : 1, seed: seed)
            var rng = RandomGenerator(seed: seed)
            let q = critic.replica(0).forward(inputs.input, isTraining: true, rng: &rng)
            #expect(q.array.allSatisfy { $0 <= 0 })
        }
    }

    @Test func modesBuildTheDocumentedStructures() throws {
        let actor = try tinyActor()
        var rng = RandomGenerator(seed: 4)
        let code = try RLAgent(actor: actor, settings: tinySettings(.code), rng: &rng)
        let table = try #require(actor.tensors().first { $0.name == "embedding.embedding.weight" }).values
        let width = (7 + 2) * 8
        #expect(code.critics.count == 2 && code.targets.count == 2)
        for c in code.critics {
            let shapes = Dictionary(uniqueKeysWithValues: c.tensors().map { ($0.name, $0.shape) })
            #expect(shapes["action_layer.weight"] == [8, 1])
            #expect(shapes["bottom.mlp.0.weight"] == [16, width])
            #expect(shapes["tower.mlp.6.weight"] == [1, 4])
            #expect(c.tensors().first { $0.name == "embedding.embedding.weight" }!.values == table)
        }
        // The code's critic 2 is a copy of critic 1; targets start equal to their critics.
        #expect(code.critics[0].values.array == code.critics[1].values.array)
        #expect(code.targets[1].values.array == code.critics[1].values.array)
        #expect(code.settings.gamma == 0.9 && code.settings.tdTarget == .minimum && code.settings.normalizesStates)

        let paper = try RLAgent(actor: actor, settings: tinySettings(.paper), rng: &rng)
        #expect(paper.critics.count == 1)
        let shapes = Dictionary(uniqueKeysWithValues: paper.critics[0].tensors().map { ($0.name, $0.shape) })
        #expect(shapes["bottom.mlp.0.weight"] == [16, width])
        #expect(shapes["tower.0.mlp.6.weight"] == [1, 4] && shapes["tower.1.mlp.6.weight"] == [1, 4])
        #expect(shapes["tower.mlp.6.weight"] == nil)
        #expect(paper.critics[0].outputCount == 2)
        #expect(paper.settings.gamma == 0.95 && paper.settings.lambda == 0.7 && paper.settings.tdTarget == .target)
        #expect(paper.settings.warmupPolicy == .actor && !paper.settings.normalizesStates)
        #expect(paper.summary.contains("mode=paper") && code.summary.contains("mode=code"))
    }

    /// Finite differences of `L = Σ c·Q` with respect to every parameter entry and every action.
    @Test(arguments: CriticStructure.allCases)
    func gradientsAndActionGradientsMatchFiniteDifferences(_ structure: CriticStructure) throws {
        let rows = 6, heads = structure == .shared ? 2 : 1
        let critic = try tinyCritic(structure, rows: rows, seed: 21)
        let inputs = CriticInputs(rows: rows, heads: heads, seed: 8)
        var crng = RandomGenerator(seed: 2)
        let c = (0..<(rows * heads)).map { _ in crng.nextNormal() }
        let net = critic.replica(0) as! ActionValueNetwork
        // Make every head alive on most rows so the check is not vacuous: shift the output bias up.
        for name in critic.layout.slots.map(\.name) where name.hasSuffix("mlp.6.bias") { try critic.setTensor(name, [0.5]) }

        func loss() -> (Double, [Bool]) {
            var unused = RandomGenerator(seed: 0)
            let l = critic.accumulateGradients(inputs.input, isTraining: false, rng: &unused) { _, range, q, dq in
                var total = 0.0
                for r in 0..<q.rows { for h in 0..<heads {
                    dq[r, h] = c[(range.lowerBound + r) * heads + h]
                    total += Double(dq[r, h]) * Double(q[r, h])
                } }
                return total
            }
            // Kinks: the sign of every output pre-activation and of every hidden ReLU unit.
            let h = reluPattern(critic)
            let z = net.logits(rows: rows).array.map { $0 > 0 } + (0..<64).map { (h >> UInt64($0)) & 1 == 1 }
            return (l, z)
        }
        let (_, centerZ) = loss()
        let alive = net.logits(rows: rows).array.filter { $0 > 0 }.count
        #expect(alive * 2 > rows * heads, "most heads should be alive")
        let analytic = critic.gradient
        let dA = net.actionGradient(rows: rows).array
        let eps: Float = 1e-2
        var checked = 0, kinks = 0
        // Per tensor (and for dQ/da): ‖numeric − analytic‖ / ‖analytic‖ over the entries away from
        // kinks, against the tensor's own scale (RMS floor 3e-5, the resolution of Float differences).
        var errors: [(String, Double, Int)] = []
        func measure(_ what: String, _ entries: [(numeric: Double, analytic: Double)?]) {
            let compared = entries.compactMap { $0 }
            let e2 = compared.reduce(0.0) { $0 + ($1.numeric - $1.analytic) * ($1.numeric - $1.analytic) }
            let a2 = compared.reduce(0.0) { $0 + $1.analytic * $1.analytic }
            let error = compared.isEmpty ? 0 : e2.squareRoot() / (a2.squareRoot() + 3e-5 * Double(compared.count).squareRoot())
            errors.append((what, error, compared.count))
            #expect(error < 0.05, "\(what): error \(error) over \(compared.count) of \(entries.count) entries")
            #expect(!compared.isEmpty, "\(what): every entry at a kink")
            // A 10% error injected into this tensor's gradient must fail it where the RMS is resolved.
            let rms = (a2 / Double(max(compared.count, 1))).squareRoot()
            if rms >= 1e-4 {
                let i2 = compared.reduce(0.0) { $0 + ($1.numeric - 1.1 * $1.analytic) * ($1.numeric - 1.1 * $1.analytic) }
                let injected = i2.squareRoot() / (1.1 * a2.squareRoot() + 3e-5 * Double(compared.count).squareRoot())
                #expect(injected >= 0.05, "\(what): a 10% error reads as only \(injected)")
            }
        }
        /// The central difference of `set(x)` at the largest ε (1e-2, 2e-3, 4e-4) that crosses no kink.
        func difference(_ a: Float, _ set: (Float) -> Void, _ saved: Float) -> (numeric: Double, analytic: Double)? {
            checked += 1
            defer { set(saved) }
            for e in [eps, eps / 5, eps / 25] {
                set(saved + e); let plus = loss()
                set(saved - e); let minus = loss()
                if plus.1 == centerZ && minus.1 == centerZ { return ((plus.0 - minus.0) / Double(2 * e), Double(a)) }
            }
            kinks += 1
            return nil
        }
        for slot in critic.layout.slots {
            var entries: [(numeric: Double, analytic: Double)?] = []
            for i in slot.offset..<(slot.offset + slot.count) {
                entries.append(difference(analytic[i], { critic.values.base[i] = $0 }, critic.values.base[i]))
            }
            measure(slot.name, entries)
        }
        let a = inputs.actions.matrix(rows: rows)
        var actionEntries: [(numeric: Double, analytic: Double)?] = []
        for r in 0..<rows {
            for h in 0..<heads {
                actionEntries.append(difference(dA[r * heads + h], { a[r, h] = $0 }, a[r, h]))
            }
        }
        measure("dQ/da", actionEntries)
        let worst = errors.max { $0.1 < $1.1 }!
        print("critic gradient check \(structure): \(checked) entries (every one), \(kinks) at kinks, worst tensor error \(worst.1) in \(worst.0)")
        #expect(checked > 30 && kinks * 4 < checked)
    }
}

@Suite("RL settings") struct RLSettingsTests {
    @Test func parseStartsFromTheModeThenAppliesEachKey() throws {
        let s = try RMTLSettings.parse([("gamma", .real(0.5)), ("mode", .choice("paper")), ("td", .choice("min")), ("keep", .choice("best"))])
        #expect(s.mode == .paper && s.criticStructure == .shared && s.warmupPolicy == .actor)
        #expect(s.gamma == 0.5 && s.tdTarget == .minimum && s.keepBest)
        #expect(RMTLSettings(mode: .code).description.contains("td=min(target, online) critic"))
        #expect(throws: SettingError.unknownChoice(key: "critic", value: "twin", allowed: ["independent", "shared"])) {
            try RMTLSettings.parse([("critic", .choice("twin"))])
        }
        #expect(throws: SettingError.unknownKey("gama", known: RMTLSettings.settingKeys)) { try RMTLSettings.parse([("gama", .real(0.9))]) }
        #expect(throws: SettingError.outOfRange(key: "gamma", value: .real(1.5), domain: .real(.closed(0, 1)))) {
            try RMTLSettings.parse([("gamma", .real(1.5))])
        }
    }
}

@Suite("RL state z-score quirk") struct RLZScoreTests {
    @Test func idsBecomeTruncatedZScoreBuckets() {
        // [0, 1, 2, 3]: mean 1.5, unbiased std √(5/3) ≈ 1.291 → z ≈ [−1.16, −0.39, 0.39, 1.16].
        let z = RLAgent.batchZScore([0, 1, 2, 3])
        let std = (5.0 / 3).squareRoot()
        for (i, x) in [0.0, 1, 2, 3].enumerated() { #expect(abs(Double(z[i]) - (x - 1.5) / (std + 1e-3)) < 1e-6) }
        // Truncation toward zero: [−1, 0, 0, 1]. In field 0 (offset 0) −1 would leave the table: clamped to 0.
        #expect(RLAgent.zScoredIDs([0, 1, 2, 3], offset: 0, tableRows: 10) == [0, 0, 0, 1])
        // In a later field (offset 5) −1 reaches the previous field's last row, as in PyTorch.
        #expect(RLAgent.zScoredIDs([0, 1, 2, 3], offset: 5, tableRows: 10) == [-1, 0, 0, 1])
        // A constant column: std 0, every z is 0.
        #expect(RLAgent.zScoredIDs([7, 7, 7], offset: 0, tableRows: 10) == [0, 0, 0])
    }
}

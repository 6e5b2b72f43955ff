import Foundation
import Testing
import RMTL

@Suite("RL agent: guard, critic training, RMTL loss, DDPG") struct RLAgentTests {
    /// An agent over a tiny ESMM actor with a warmed-up buffer.
    private func warmAgent(
        _ mode: RMTLMode, seed: UInt64 = 7, actorDropout: Float? = nil, change: (inout RMTLSettings) -> Void = { _ in }
    ) throws -> (RLAgent, RandomGenerator) {
        var settings = tinySettings(mode)
        change(&settings)
        let actor = try tinyActor(dropout: actorDropout)
        var rng = RandomGenerator(seed: seed)
        let agent = try RLAgent(actor: actor, settings: settings, rng: &rng)
        try agent.warmUp(on: rlSplits.train, rng: &rng)
        return (agent, rng)
    }

    @Test func liveInitRedrawsADeadCritic() throws {
        let (agent, start) = try warmAgent(.code)
        var rng = start
        // Kill critic 0: a large negative output bias makes z ≤ 0 for every pair.
        try agent.critics[0].setTensor("tower.mlp.6.bias", [-100])
        #expect(agent.measureAliveFractions()[0] == 0)
        let fractions = try agent.checkCritics(rng: &rng)
        #expect(fractions[0] >= 0.5)
        #expect(agent.redraws >= 1)
        #expect(agent.targets[0].values.array == agent.critics[0].values.array)

        // init=faithful keeps it and warns.
        let (faithful, start2) = try warmAgent(.code) { $0.criticInit = .faithful }
        var rng2 = start2
        try faithful.critics[1].setTensor("tower.mlp.6.bias", [-100])
        let kept = try faithful.checkCritics(rng: &rng2)
        #expect(kept[1] == 0 && faithful.redraws == 0)
        #expect(faithful.warnings.contains { $0.message.contains("task 1 is nearly dead") && $0.hint == "init=live redraws it" })

        // Out of redraws: a clear error.
        let (stuck, start3) = try warmAgent(.code) { $0.maxRedraws = 0 }
        var rng3 = start3
        try stuck.critics[0].setTensor("tower.mlp.6.bias", [-100])
        #expect(throws: DeadCriticError.self) { try stuck.checkCritics(rng: &rng3) }
    }

    @Test(arguments: RMTLMode.allCases)
    func shortCriticTrainingReducesTheTDLoss(_ mode: RMTLMode) throws {
        let (agent, start) = try warmAgent(mode) { $0.criticEpochs = 4 }
        var rng = start
        try agent.checkCritics(rng: &rng)
        let before = agent.measureTDLoss()
        let reports = try agent.trainCritic(rng: &rng)
        print("critic \(mode): sample TD \(before) → " + reports.map {
            "TD \($0.tdLoss) sample \($0.sampleTDLoss) Q \($0.meanQ) alive \($0.aliveFractions)"
        }.joined(separator: " | "))
        #expect(reports.count == 4)
        #expect(reports.last!.sampleTDLoss < before)
        #expect(reports.allSatisfy { $0.meanQ <= 0 })
        #expect(agent.totalSteps == 4 * (agent.buffer.count / 64))
        // Soft updates moved the targets toward, but not onto, the critics.
        #expect(agent.targets[0].values.array != agent.critics[0].values.array)
    }

    @Test func convergenceStopEndsEarly() throws {
        let (agent, start) = try warmAgent(.code) {
            $0.criticEpochs = 20
            $0.criticConverges = true
            $0.convergenceEpsilon = 0.5         // loose, so a few epochs suffice
        }
        var rng = start
        let reports = try agent.trainCritic(rng: &rng)
        #expect(reports.count < 20)
    }

    @Test func lambdaZeroIsPlainBCETrainingBitForBit() throws {
        var train = TrainConfig()
        train.batchSize = 128
        train.epochs = 2
        train.shuffle = true
        // Plain supervised fine-tuning.
        let plain = try tinyActor(seed: 3)
        var rngA = RandomGenerator(seed: 11)
        _ = try SupervisedTrainer(config: train).train(plain, train: rlSplits.train, validation: rlSplits.validation, rng: &rngA)
        // The same through the RMTL loss with λ = 0 (critics present, trained a little).
        let actor = try tinyActor(seed: 3)
        var rng = RandomGenerator(seed: 5)
        let agent = try RLAgent(actor: actor, settings: tinySettings(.code), rng: &rng)
        try agent.warmUp(on: rlSplits.train, rng: &rng)
        try agent.trainCritic(epochs: 1, rng: &rng)
        var rngB = RandomGenerator(seed: 11)
        _ = try agent.fineTune(train: rlSplits.train, validation: rlSplits.validation, config: train, lambda: 0, rng: &rngB)
        #expect(actor.values.array == plain.values.array)
        #expect(rngA == rngB)
    }

    /// The first fine-tuning step's loss, computed independently from the actor's predictions and
    /// the critics' Q on the first batch: `mean_k mean_b (w_kb · BCE(p_kb, y_kb))` in Double, with the
    /// weight `w` given by hand for each weighting (dropout off in actor and critics, no shuffling,
    /// so the first batch is rows 0..<128 and the step sees exactly these predictions).
    static func expectedFirstLoss(_ agent: RLAgent, weight: (_ q: Double, _ y: Double) -> Double) -> Double {
        let first = rlSplits.train.rows(0..<128)
        let p = agent.actor.predict(first), q = agent.criticValues(on: first)
        var total = 0.0
        for k in 0..<2 {
            for b in 0..<128 {
                let y = Double(rlSplits.train.labels[k][b]), pk = Double(p[k][b])
                let bce = -(y * max(log(pk), -100) + (1 - y) * max(log(1 - pk), -100))
                total += weight(Double(q[k][b]), y) * bce
            }
        }
        return total / Double(2 * 128)
    }

    static func firstStepLoss(_ agent: RLAgent, lambda: Float? = nil, rng: RandomGenerator) throws -> (Double, [EpochReport]) {
        var train = TrainConfig()
        train.batchSize = 128
        train.epochs = 1
        var r = rng, first: Double? = nil
        let reports = try agent.fineTune(train: rlSplits.train, validation: rlSplits.validation, config: train, lambda: lambda, rng: &r,
                                         onStep: { step, _, l in if step == 1 { first = l } })
        return (first ?? .nan, reports)
    }

    @Test(arguments: RMTLMode.allCases)
    func rmtlFineTuneStepIsTheCriticWeightedLoss(_ mode: RMTLMode) throws {
        let (agent, start) = try warmAgent(mode, actorDropout: 0) { $0.criticDropoutAtUse = false }
        var rng = start
        try agent.trainCritic(rng: &rng)
        let pretrained = agent.actor.values.array
        let q = agent.criticValues(on: rlSplits.train.rows(0..<128))
        #expect(q.allSatisfy { $0.allSatisfy { $0 <= 0 } })
        // The weights only matter where the critic is alive (Q < 0): most rows must be.
        #expect(q.allSatisfy { Double($0.filter { $0 < 0 }.count) >= 0.5 * Double($0.count) }, "critic mostly dead")
        let lambda = 0.7
        let expectedRMTL = Self.expectedFirstLoss(agent) { q, _ in 1 - lambda * q }
        let expectedControl = Self.expectedFirstLoss(agent) { _, _ in 1 }
        #expect(expectedRMTL > expectedControl * 1.001, "the weighting must matter on this batch")
        let (rmtl, reports) = try Self.firstStepLoss(agent, lambda: 0.7, rng: rng)
        #expect(abs(rmtl - expectedRMTL) <= 1e-5 * expectedRMTL, "RMTL loss \(rmtl), by hand \(expectedRMTL)")
        #expect(reports.count == 1 && reports[0].trainLoss.isFinite)
        let tuned = agent.actor.values.array
        #expect(tuned != pretrained)
        agent.actor.values.copy(from: pretrained)
        let (control, _) = try Self.firstStepLoss(agent, lambda: 0, rng: rng)
        #expect(abs(control - expectedControl) <= 1e-5 * expectedControl, "control loss \(control), by hand \(expectedControl)")
        #expect(agent.actor.values.array != tuned)
    }

    @Test func ablationWeightingsAreTheirFormulas() throws {
        let (agent, start) = try warmAgent(.code, actorDropout: 0) { $0.criticDropoutAtUse = false }
        var rng = start
        try agent.trainCritic(epochs: 1, rng: &rng)
        let pretrained = agent.actor.values.array
        let lambda = Double(agent.settings.lambda), c = Double(agent.settings.constantWeight)
        #expect(lambda > 0)
        var losses: [LossWeighting: Double] = [:]
        for weighting in LossWeighting.allCases {
            agent.actor.values.copy(from: pretrained)
            try agent.update { $0.weighting = weighting; $0.keepBest = true }
            let expected = Self.expectedFirstLoss(agent) { q, y in
                switch weighting {
                case .critic: 1 - lambda * q
                case .label: 1 - lambda * y * q
                case .negativeQ: -q
                case .constant: c
                }
            }
            let (loss, reports) = try Self.firstStepLoss(agent, rng: rng)
            #expect(abs(loss - expected) <= 1e-5 * expected, "\(weighting): loss \(loss), by hand \(expected)")
            #expect(reports.allSatisfy { $0.trainLoss.isFinite }, "\(weighting)")
            losses[weighting] = loss
        }
        // The four weightings give four different losses on this batch.
        #expect(Set(losses.values).count == LossWeighting.allCases.count)
        #expect(throws: ConfigurationError.self) { try agent.update { $0.criticStructure = .shared } }
    }

    @Test(arguments: RMTLMode.allCases)
    func sameSeedSameBits(_ mode: RMTLMode) throws {
        func run() throws -> ([Float], [Float], [Float]) {
            let (agent, start) = try warmAgent(mode, seed: 42)
            var rng = start
            try agent.trainCritic(rng: &rng)
            var train = TrainConfig()
            train.batchSize = 128
            train.epochs = 1
            try agent.fineTune(train: rlSplits.train, validation: rlSplits.validation, config: train, rng: &rng)
            return (agent.critics.last!.values.array, agent.targets[0].values.array, agent.actor.values.array)
        }
        let a = try run(), b = try run()
        #expect(a.0 == b.0 && a.1 == b.1 && a.2 == b.2)
    }

    /// Σ_k mean_rows Q_k(s, π_k(s)) over `data`: the value DDPG's actor steps ascend.
    static func policyValue(_ agent: RLAgent, _ data: Dataset) -> Double {
        agent.criticValues(on: data).reduce(0.0) { $0 + $1.reduce(0.0) { $0 + Double($1) } / Double($1.count) }
    }

    /// With the critics held fixed (learning rate 1e-12: Adam's steps vanish below Float's rounding),
    /// DDPG's actor steps are gradient ascent on the policy value: it must rise on the states the
    /// buffer was filled from, and the mean policy Q the report gives (measured along the way) lies
    /// between the value before and after.
    @Test(arguments: CriticStructure.allCases)
    func ddpgActorStepsAscendTheCriticsValue(_ structure: CriticStructure) throws {
        let (agent, start) = try warmAgent(.code, actorDropout: 0) {
            $0.criticStructure = structure
            $0.actorWarmupSteps = 0
            $0.criticDropoutAtUse = false
            $0.keepBest = false
            $0.actorLearningRate = 1e-2       // larger steps than the default 1e-3: a clearer rise
        }
        var rng = start
        try agent.trainCritic(epochs: 1, rng: &rng)
        for adam in agent.criticOptimizers { adam.learningRate = 1e-12 }
        let critics = agent.critics.map(\.values.array)
        let before = agent.actor.values.array
        let valueBefore = Self.policyValue(agent, rlSplits.train)
        let reports = try agent.trainDDPG(validation: rlSplits.validation, epochs: 1, rng: &rng)
        let valueAfter = Self.policyValue(agent, rlSplits.train)
        print("ddpg \(structure): policy value \(valueBefore) → \(valueAfter), reported mean policy Q \(reports[0].meanPolicyQ)")
        let moved = zip(agent.critics.map(\.values.array), critics).map { a, b in zip(a, b).map { abs($0 - $1) }.max()! }.max()!
        #expect(moved < 1e-6, "the critics were to stay fixed; moved by \(moved)")
        #expect(reports[0].actorSteps == reports[0].steps && reports[0].tdLoss.isFinite)
        #expect(agent.actor.values.array != before)
        #expect(valueBefore < 0 && valueAfter > valueBefore, "policy value \(valueBefore) → \(valueAfter)")
        // The reported mean policy Q lies between the value before and after (it is measured along the way).
        #expect(reports[0].meanPolicyQ > valueBefore - 0.05 * abs(valueBefore) && reports[0].meanPolicyQ < valueAfter + 0.05 * abs(valueBefore))
        #expect(agent.actorTarget != nil && agent.actorTarget!.values.array != agent.actor.values.array)
    }

    /// D-PLE in code mode pulls every prediction toward 0 (docs/results.md, D-PLE): the critics,
    /// trained on uniform random actions with the reward of 0.5·a + 0.5, score lower actions higher.
    /// The epoch report shows it: the mean prediction on validation (which must be the mean of what
    /// the actor predicts) falls below half the label rate, which is the mean of the labels.
    @Test func ddpgInCodeModeLowersThePredictionsBelowTheLabelRate() throws {
        let (agent, start) = try warmAgent(.code, actorDropout: 0) {
            $0.actorWarmupSteps = 0
            $0.keepBest = false
            $0.actorLearningRate = 1e-2       // a clearer drift in few steps
        }
        var rng = start
        try agent.trainCritic(epochs: 4, rng: &rng)
        let before = agent.actor.predict(rlSplits.validation).map { $0.reduce(0.0) { $0 + Double($1) } / Double($0.count) }
        let reports = try agent.trainDDPG(validation: rlSplits.validation, epochs: 2, rng: &rng)
        print("ddpg code mode: mean predictions by epoch \(reports.map(\.meanPredictions))")
        let report = reports.last!, kept = reports.last(where: \.isBest)!
        let after = agent.actor.predict(rlSplits.validation).map { $0.reduce(0.0) { $0 + Double($1) } / Double($0.count) }
        let rates = rlSplits.validation.labels.map { $0.reduce(0.0) { $0 + Double($1) } / Double($0.count) }
        print("ddpg code mode: mean predictions \(before) → \(report.meanPredictions), label rates \(report.labelRates)")
        #expect(report.labelRates == rates)
        for t in rates.indices {
            #expect(abs(kept.meanPredictions[t] - after[t]) < 1e-9)       // the epoch kept is what the actor predicts
            #expect(report.meanPredictions[t] < before[t] / 2 && report.meanPredictions[t] < rates[t] / 2)
        }
    }

    /// The whole recipe: the planted signal is learnt (AUC > 0.58 pretrained, after the control and
    /// after RMTL, at these small sizes), with λ = 0 the "RMTL" run is the control bit for bit (same
    /// starting weights, same seed), and with λ = 0.7 on a live critic it is not.
    @Test func pipelineOnPlantedSignal() throws {
        let splits = PlantedSignal.splits(rows: 6000, seed: 17)
        var options = RMTLPipeline.Options()
        options.embedDim = 8
        options.bottom = [16, 8]
        options.tower = [8, 4]
        options.pretrain.batchSize = 256
        options.pretrain.epochs = 4
        options.fineTune.batchSize = 256
        options.fineTune.epochs = 3
        for (mode, lambda) in [(RMTLMode.code, Float(0.7)), (.paper, 0)] {
            var settings = tinySettings(mode)
            settings.batchSize = 256
            settings.bufferCapacity = 10_000
            settings.warmupEpisodes = 1500
            settings.criticEpochs = 3
            settings.lambda = lambda
            let result = try RMTLPipeline.run(splits, settings: settings, options: options)
            print("pipeline mode=\(mode):\n\(result)")
            for metrics in [result.pretrained, result.control, result.rmtl] {
                #expect(metrics.allSatisfy { $0.auc > 0.58 && $0.logLoss.isFinite }, "\(mode): \(result)")
            }
            #expect(result.meanQAtUse.allSatisfy { $0 < 0 } && result.aliveAtUse.allSatisfy { $0 > 0.5 }, "\(mode): \(result)")
            let same = zip(result.rmtl, result.control).allSatisfy { $0.auc == $1.auc && $0.logLoss == $1.logLoss }
            #expect(same == (lambda == 0), "\(mode) λ=\(lambda): RMTL \(result.rmtl), control \(result.control)")
        }
    }
}

import Testing
import RMTL

@Suite("RL agent: guard, critic training, RMTL loss, DDPG") struct RLAgentTests {
    /// An agent over a tiny ESMM actor with a warmed-up buffer.
    private func warmAgent(_ mode: RMTLMode, seed: UInt64 = 7, change: (inout RMTLSettings) -> Void = { _ in }) throws -> (RLAgent, RandomGenerator) {
        var settings = tinySettings(mode)
        change(&settings)
        let actor = try tinyActor()
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
        #expect(faithful.warnings.contains { $0.contains("task 1 is nearly dead") })

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

    @Test(arguments: RMTLMode.allCases)
    func rmtlFineTuneRunsAndDiffersFromTheControl(_ mode: RMTLMode) throws {
        let (agent, start) = try warmAgent(mode)
        var rng = start
        try agent.trainCritic(rng: &rng)
        let pretrained = agent.actor.values.array
        let q = agent.criticValues(on: rlSplits.validation)
        #expect(q.allSatisfy { $0.allSatisfy { $0 <= 0 } })
        var train = TrainConfig()
        train.batchSize = 128
        train.epochs = 1
        var a = rng, b = rng
        let reports = try agent.fineTune(train: rlSplits.train, validation: rlSplits.validation, config: train, lambda: 0.7, rng: &a)
        #expect(reports.count == 1 && reports[0].trainLoss.isFinite)
        let tuned = agent.actor.values.array
        #expect(tuned != pretrained)
        agent.actor.values.copy(from: pretrained)
        _ = try agent.fineTune(train: rlSplits.train, validation: rlSplits.validation, config: train, lambda: 0, rng: &b)
        #expect(agent.actor.values.array != tuned)
    }

    @Test func ablationWeightingsRun() throws {
        let (agent, start) = try warmAgent(.code)
        var rng = start
        try agent.trainCritic(epochs: 1, rng: &rng)
        var train = TrainConfig()
        train.batchSize = 128
        train.epochs = 1
        let pretrained = agent.actor.values.array
        for weighting in LossWeighting.allCases {
            agent.actor.values.copy(from: pretrained)
            try agent.update { $0.weighting = weighting; $0.keepBest = true }
            var r = rng
            let reports = try agent.fineTune(train: rlSplits.train, validation: rlSplits.validation, config: train, rng: &r)
            #expect(reports.allSatisfy { $0.trainLoss.isFinite }, "\(weighting)")
        }
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

    @Test(arguments: CriticStructure.allCases)
    func ddpgUpdatesTheActorThroughTheCritic(_ structure: CriticStructure) throws {
        let (agent, start) = try warmAgent(.code) {
            $0.criticStructure = structure
            $0.actorWarmupSteps = 0
        }
        var rng = start
        try agent.trainCritic(epochs: 1, rng: &rng)
        let before = agent.actor.values.array
        let reports = try agent.trainDDPG(validation: rlSplits.validation, epochs: 1, rng: &rng)
        #expect(reports[0].actorSteps > 0 && reports[0].meanPolicyQ <= 0 && reports[0].tdLoss.isFinite)
        #expect(agent.actor.values.array != before)
        #expect(agent.actorTarget != nil && agent.actorTarget!.values.array != agent.actor.values.array)
    }

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
        for mode in RMTLMode.allCases {
            var settings = tinySettings(mode)
            settings.batchSize = 256
            settings.bufferCapacity = 10_000
            settings.warmupEpisodes = 1500
            settings.criticEpochs = 3
            settings.lambda = 0.7
            let result = try RMTLPipeline.run(splits, settings: settings, options: options)
            print("pipeline mode=\(mode):\n\(result)")
            #expect(result.rmtl.allSatisfy { $0.auc > 0.5 && $0.logLoss.isFinite })
            #expect(result.control.allSatisfy { $0.auc > 0.5 })
        }
    }
}

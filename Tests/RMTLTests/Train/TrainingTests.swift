import Testing
import RMTL

@Suite("Adam, determinism, learning") struct TrainingTests {
    @Test func adamMatchesTwoHandComputedSteps() {
        let values = FloatBuffer(count: 2), gradient = FloatBuffer(count: 2)
        values.copy(from: [1.0, -2.0])
        let adam = Adam(count: 2, learningRate: 0.1, weightDecay: 0.01)
        // Textbook Adam with L2 decay, in Double: m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ), θ −= lr·m̂/(√v̂ + ε).
        var theta = [1.0, -2.0], m = [0.0, 0.0], v = [0.0, 0.0]
        for t in 1...2 {
            gradient.copy(from: [0.5, 0.1])
            adam.update(values, gradients: [gradient], threads: 1)
            for i in 0..<2 {
                let g = [0.5, 0.1][i] + 0.01 * theta[i]
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                let mHat = m[i] / (1 - pow(0.9, Double(t))), vHat = v[i] / (1 - pow(0.999, Double(t)))
                theta[i] -= 0.1 * mHat / (vHat.squareRoot() + 1e-8)
            }
            #expect(abs(Double(values.base[0]) - theta[0]) < 1e-6)
            #expect(abs(Double(values.base[1]) - theta[1]) < 1e-6)
        }
        // Step one moves each weight by exactly lr against the gradient's sign.
        #expect(abs(theta[0] - 0.8) < 0.01 && abs(theta[1] + 2.2) < 0.01)
    }

    private func trainSmall(
        _ kind: ModelKind, seed: UInt64, threads: Int = 2, epochs: Int = 2, patience: Int = 2, splits: DatasetSplits? = nil
    ) throws -> (TrainableModel, [EpochReport]) {
        let splits = splits ?? PlantedSignal.splits(rows: 3000, seed: 99)
        let config = testConfig(kind, cardinalities: splits.train.cardinalities, embed: 8, bottom: [32, 16], tower: [16, 8], experts: 4)
        var rng = RandomGenerator(seed: seed)
        var train = TrainConfig()
        train.batchSize = 256
        train.epochs = epochs
        train.patience = patience
        train.shuffle = true
        let model = try TrainableModel(config, batchCapacity: train.batchSize, threads: threads, rng: &rng)
        let reports = try SupervisedTrainer(config: train).train(model, train: splits.train, validation: splits.validation, rng: &rng)
        return (model, reports)
    }

    @Test(arguments: ModelKind.allCases)
    func sameSeedSameBitsDifferentSeedDifferentBits(_ kind: ModelKind) throws {
        let (a, _) = try trainSmall(kind, seed: 1)
        let (b, _) = try trainSmall(kind, seed: 1)
        let (c, _) = try trainSmall(kind, seed: 2)
        #expect(a.values.array == b.values.array)
        #expect(a.values.array != c.values.array)
    }

    @Test(arguments: ModelKind.allCases)
    func learnsPlantedSignal(_ kind: ModelKind) throws {
        let splits = PlantedSignal.splits(rows: 30_000, seed: 7)
        let config = testConfig(kind, cardinalities: splits.train.cardinalities, embed: 16, bottom: [64, 32], tower: [32, 16], experts: 4)
        var rng = RandomGenerator(seed: 2022)
        var train = TrainConfig()
        train.batchSize = 512
        train.epochs = 8
        train.shuffle = true
        let model = try TrainableModel(config, batchCapacity: 512, threads: 2, rng: &rng)
        let reports = try SupervisedTrainer(config: train).train(model, train: splits.train, validation: splits.validation, rng: &rng)
        let test = model.evaluate(on: splits.test)
        #expect(test.allSatisfy { $0.auc > 0.70 }, "\(kind): test AUC \(test.map(\.auc)) after \(reports.count) epochs")
        #expect(reports.first!.trainLoss > reports.last!.trainLoss)
    }

    /// Validation labels drawn independently of the features: the validation AUC is noise around
    /// 0.5, so no epoch keeps improving it and early stopping must end the run long before 40
    /// epochs, exactly `patience` epochs after the best one, with the best epoch's weights restored.
    @Test(arguments: [2, 3])
    func earlyStoppingStopsAfterPatienceAndRestoresTheBestEpoch(_ patience: Int) throws {
        var splits = PlantedSignal.splits(rows: 3000, seed: 99)
        var rng = RandomGenerator(seed: 123)
        splits.validation.labels = splits.validation.labels.map { $0.map { _ in rng.nextUniform() < 0.3 ? 1 : 0 } }
        let (model, reports) = try trainSmall(.sharedbottom, seed: 3, epochs: 40, patience: patience, splits: splits)
        print("early stopping, patience \(patience): " + reports.map { "\($0.epoch):\($0.meanAUC)\($0.isBest ? "*" : "")" }.joined(separator: " "))
        #expect(reports.count < 40, "early stopping never triggered")
        let lastBest = try #require(reports.lastIndex { $0.isBest })
        #expect(reports.count - lastBest - 1 == patience, "stopped \(reports.count - lastBest - 1) epochs after the best, patience \(patience)")
        // Every epoch marked best improved on all before it, and the others did not.
        for (i, r) in reports.enumerated() {
            let bestBefore = reports[..<i].map(\.meanAUC).max() ?? -.infinity
            #expect(r.isBest == (r.meanAUC > bestBefore), "epoch \(r.epoch)")
        }
        #expect(abs(meanAUC(model.evaluate(on: splits.validation)) - reports[lastBest].meanAUC) < 1e-9)
    }

    @Test func badSettingsAreClearErrors() throws {
        let splits = PlantedSignal.splits(rows: 500, seed: 1)
        var rng = RandomGenerator(seed: 1)
        var config = ModelConfig(kind: .esmm, cardinalities: splits.train.cardinalities, numericCount: 1, taskCount: 3)
        #expect(throws: ConfigurationError.self) { try TrainableModel(config, batchCapacity: 8, threads: 1, rng: &rng) }
        config.taskCount = 2
        config.bottom = [0, 4]
        let e = #expect(throws: SettingError.self) { try TrainableModel(config, batchCapacity: 8, threads: 1, rng: &rng) }
        #expect(e?.key == "bottom")
        config.bottom = [8]
        let model = try TrainableModel(config, batchCapacity: 8, threads: 1, rng: &rng)
        var big = TrainConfig()
        big.batchSize = 100_000
        let e2 = #expect(throws: ConfigurationError.self) {
            try SupervisedTrainer(config: big).train(model, train: splits.train, validation: splits.validation, rng: &rng)
        }
        #expect(e2?.description.contains("larger than the 300 training rows") == true)
        #expect(throws: ConfigurationError.self) { try TrainableModel(config, batchCapacity: 0, threads: 1, rng: &rng) }
    }

    @Test func nanLossStopsTraining() throws {
        let splits = PlantedSignal.splits(rows: 600, seed: 1)
        var rng = RandomGenerator(seed: 1)
        var config = ModelConfig(kind: .sharedbottom, cardinalities: splits.train.cardinalities, numericCount: 1, taskCount: 2)
        config.embedDim = 4
        config.bottom = [8]
        config.tower = [4]
        let model = try TrainableModel(config, batchCapacity: 64, threads: 1, rng: &rng)
        var train = TrainConfig()
        train.batchSize = 64
        train.learningRate = .infinity
        #expect(throws: SettingError.self) {
            try SupervisedTrainer(config: train).train(model, train: splits.train, validation: splits.validation, rng: &rng)
        }
        train.learningRate = 1e-3
        var poisoned = splits.train
        poisoned.numeric[0][3] = .nan
        let error = #expect(throws: NonFiniteLossError.self) {
            try SupervisedTrainer(config: train).train(model, train: poisoned, validation: splits.validation, rng: &rng)
        }
        #expect(error?.step == 1 && error?.epoch == 1)
    }
}

@_silgen_name("pow") private func pow(_ x: Double, _ y: Double) -> Double

@Suite("Parallel inference") struct ParallelInferenceTests {
    /// Shards write their probabilities from two threads (a race on the output arrays once corrupted
    /// the heap here): repeated runs must agree bit for bit, and with one thread up to GEMM rounding
    /// (OpenBLAS blocks 1,000 and 500 rows differently, so the last bits may differ).
    @Test(arguments: [ModelKind.esmm, .ple])
    func twoThreadsPredictExactlyWhatOneThreadDoes(_ kind: ModelKind) throws {
        let data = PlantedSignal.make(rows: 20_000, seed: 4)
        let config = testConfig(kind, cardinalities: data.cardinalities, embed: 8, bottom: [16, 8], tower: [8], experts: 4)
        var rng1 = RandomGenerator(seed: 5), rng2 = RandomGenerator(seed: 5)
        let one = try TrainableModel(config, batchCapacity: 1000, threads: 1, rng: &rng1)
        let two = try TrainableModel(config, batchCapacity: 1000, threads: 2, rng: &rng2)
        let reference = two.predict(data), single = one.predict(data)
        for _ in 0..<4 { #expect(two.predict(data) == reference, "two-thread predictions changed between runs") }
        let worst = zip(reference, single).map { a, b in zip(a, b).map { abs($0 - $1) }.max()! }.max()!
        #expect(worst < 1e-5, "one vs two threads differ by \(worst)")
    }
}

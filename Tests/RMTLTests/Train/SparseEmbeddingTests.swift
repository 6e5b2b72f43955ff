import Foundation
import Testing
import RMTL

/// Row-sparse embedding updates (`embeddings=sparse`, issue 15 item 5): lazy Adam over the rows a
/// batch looks up, against hand-computed steps and against dense Adam.
@Suite("Sparse embeddings (lazy Adam)") struct SparseEmbeddingTests {
    /// A 3 × 2 table at slab offset 0; step 1 touches rows 0 and 2, step 2 only row 2 (two replicas,
    /// both touching row 2 at step 2). lr 0.1, wd 0.01.
    @Test func lazyAdamMatchesTwoHandComputedSteps() {
        let values = FloatBuffer(count: 6), slab = FloatBuffer(count: 6)
        values.copy(from: [0.5, -0.25, 1.0, 2.0, -0.75, 0.125])
        let adam = Adam(count: 6, learningRate: 0.1, weightDecay: 0.01)
        let replicas = (0..<2).map { _ in RowGradients(offset: 0, rowCount: 3, width: 2, capacity: 4) }
        func touch(_ replica: Int, _ row: Int, _ g: [Float]) {
            let p = replicas[replica].gradient(ofRow: row)
            for c in 0..<2 { p[c] += g[c] }
        }
        touch(0, 0, [0.2, -0.4])
        touch(1, 2, [1.0, 0.5])
        adam.update(values, gradients: [slab, slab], threads: 1, ranges: [], rowTables: [replicas])
        // Step 1 moves every touched weight by exactly lr against its gradient's sign (m̂ = g, v̂ = g²);
        // row 1 stays, and so do its moments.
        expectClose(values.array, [0.4, -0.15, 1.0, 2.0, -0.85, 0.025])
        #expect(adam.m.array[2...3] == [0, 0] && adam.v.array[2...3] == [0, 0])
        let row0Moments = (adam.m.array[0...1], adam.v.array[0...1])
        // m of row 0: 0.1 · (0.2 + 0.01 · 0.5) = 0.0205; v: 0.001 · 0.205² = 4.2025e-5.
        expectClose(Array(row0Moments.0), [0.0205, -0.04025])
        expectClose(Array(row0Moments.1), [4.2025e-5, 1.6200625e-4])

        touch(0, 2, [-0.1, 0.2])
        touch(1, 2, [-0.2, 0.4])
        adam.update(values, gradients: [slab, slab], threads: 1, ranges: [], rowTables: [replicas])
        // Row 2, column 0, by hand: g = −0.3 + 0.01 · (−0.85) = −0.3085; m = 0.09925 + 0.1 · (g − 0.09925)
        // = 0.058475; v = 0.999 · 0.001 · 0.9925² + 0.001 · 0.3085² = 1.07924e-3; m̂ = m / 0.19 = 0.307763,
        // √v̂ = √(v / 0.001999) = 0.734773; θ = −0.85 − 0.1 · 0.307763 / 0.734773 = −0.891885.
        // Rows 0 and 1 keep their values, and row 0 its moments (no decay while untouched).
        expectClose(values.array, [0.4, -0.15, 1.0, 2.0, -0.891885461, -0.075065206])
        #expect(adam.m.array[0...1] == row0Moments.0 && adam.v.array[0...1] == row0Moments.1)
        #expect(adam.step == 2)
        #expect(replicas.allSatisfy { $0.rows.isEmpty }, "the step consumes the row gradients")
    }

    /// When every step touches every row, lazy steps are the dense steps bit for bit at wd = 0. At
    /// wd > 0 dense Adam also decays the padding row, which no step touches: after one step that row
    /// is the only difference; later steps differ everywhere, since the forward pass reads that row.
    @Test(arguments: [Float(0), 0.01])
    func sparseEqualsDenseWhenEveryRowIsTouched(_ weightDecay: Float) throws {
        let data = Self.coveringData()
        let dense = try Self.model(.dense), sparse = try Self.model(.sparse)
        let denseAdam = Self.adam(dense, weightDecay), sparseAdam = Self.adam(sparse, weightDecay)
        for _ in 0..<(weightDecay == 0 ? 3 : 1) {
            _ = Self.step(dense, data, rows: 0..<data.rowCount, denseAdam)
            _ = Self.step(sparse, data, rows: 0..<data.rowCount, sparseAdam)
        }
        let width = dense.modelConfig!.embedDim
        let differing = Self.differingEntries(dense, sparse)
        if weightDecay == 0 {
            #expect(differing.isEmpty)
        } else {
            #expect(differing == Array(0..<width), "only the padding row (global row 0) differs")
        }
    }

    /// Step 1 touches every row, step 2 only some: after step 2 the two agree on everything but the
    /// table rows step 2 left out, which dense Adam moved on its momentum and lazy Adam did not.
    @Test func untouchedRowsKeepTheirValueAndMoments() throws {
        let data = Self.coveringData()
        let dense = try Self.model(.dense), sparse = try Self.model(.sparse)
        let denseAdam = Self.adam(dense, 0), sparseAdam = Self.adam(sparse, 0)
        for (model, adam) in [(dense, denseAdam), (sparse, sparseAdam)] {
            _ = Self.step(model, data, rows: 0..<data.rowCount, adam)
        }
        let afterFirst = sparse.values.array
        let partial = 0..<2
        for (model, adam) in [(dense, denseAdam), (sparse, sparseAdam)] { _ = Self.step(model, data, rows: partial, adam) }
        let config = dense.modelConfig!, width = config.embedDim
        var offsets = [0]
        for c in config.cardinalities.dropLast() { offsets.append(offsets.last! + c) }
        var touched = Set<Int>()
        for r in partial { for f in 0..<data.fieldCount { touched.insert(offsets[f] + Int(data.categorical[f][r])) } }
        touched.remove(0)  // the padding row
        let table = try #require(dense.layout.slot(named: "embedding.embedding.weight"))
        let untouched = (0..<table.shape[0]).filter { !touched.contains($0) }
        #expect(untouched.count >= 3, "the partial batch must leave rows out")
        let expected = untouched.filter { $0 != 0 }.flatMap { row in (row * width)..<((row + 1) * width) }.map { table.offset + $0 }
        #expect(Self.differingEntries(dense, sparse) == expected)
        for i in expected { #expect(sparse.values.base[i] == afterFirst[i], "an untouched row keeps its value") }
    }

    @Test func sameSeedSameBitsAndItLearns() throws {
        func train(_ seed: UInt64) throws -> (TrainableModel, [EpochReport]) {
            let splits = PlantedSignal.splits(rows: 6000, seed: 3)
            var config = testConfig(.esmm, cardinalities: splits.train.cardinalities, embed: 8, bottom: [32, 16], tower: [16], experts: 2)
            config.embeddings = .sparse
            var rng = RandomGenerator(seed: seed)
            var settings = TrainConfig()
            settings.batchSize = 256
            settings.epochs = 2
            settings.shuffle = true
            settings.learningRate = 0.01
            let model = try TrainableModel(config, batchCapacity: 256, threads: 2, rng: &rng)
            let reports = try SupervisedTrainer(config: settings).train(model, train: splits.train, validation: splits.validation, rng: &rng)
            return (model, reports)
        }
        let (a, reports) = try train(5), (b, _) = try train(5), (c, _) = try train(6)
        #expect(a.values.array == b.values.array)
        #expect(a.values.array != c.values.array)
        #expect(reports.last!.validation[0].auc > 0.6)
    }

    /// Dense tables: the model zeroes only the rows a backward wrote, and in a mapped slab gives
    /// their pages back (the memory effect is measured in docs/performance.md: a mapped page that
    /// is only read maps the shared zero page, which `mincore` cannot tell from a resident one).
    /// The bits must not depend on it.
    @Test func denseLargeTableReleasesGradientPagesWithoutChangingBits() throws {
        let cardinalities = [60_000, 5, 3]  // a 60,008 × 32 table: a 7.7 MB slab, so mapped
        let data = PlantedSignal.make(rows: 512, cardinalities: cardinalities, seed: 4)
        func train(releasing: Bool) throws -> [UInt32] {
            WrittenRows.releasesPages = releasing
            defer { WrittenRows.releasesPages = true }
            var config = testConfig(.esmm, cardinalities: cardinalities, embed: 32, bottom: [16], tower: [8], experts: 2)
            config.embeddings = .dense
            var rng = RandomGenerator(seed: 8)
            let model = try TrainableModel(config, batchCapacity: 128, threads: 2, rng: &rng)
            #expect(model.gradients.allSatisfy { $0.isMapped })
            let adam = Adam(count: model.values.count, learningRate: 0.05, weightDecay: 1e-4)
            let batch = Batch(capacity: 128, fieldCount: 3, numericCount: data.numericCount, taskCount: data.taskCount)
            for start in stride(from: 0, to: 512, by: 128) {
                batch.gather(data, Array(start..<(start + 128))[...])
                let labels = batch.labels
                _ = model.accumulateGradients(batch, isTraining: true, rng: &rng) { part, range, p, dp in
                    meanBinaryCrossEntropy(part, range, p, labels, 128, dp)
                }
                model.applyGradients(adam)
            }
            return model.values.array.map(\.bitPattern)
        }
        let released = try train(releasing: true), kept = try train(releasing: false)
        #expect(released == kept)
    }

    @Test func settingRoundTripsThroughConfigurationJSON() throws {
        var config = testConfig(.esmm, cardinalities: [3, 4], embed: 4, bottom: [8], tower: [4], experts: 2)
        config.embeddings = .sparse
        let json = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(ModelConfig.self, from: json) == config)
        // Configurations saved before the setting existed read as dense.
        var old = try JSONSerialization.jsonObject(with: json) as! [String: Any]
        old["embeddings"] = nil
        let decoded = try JSONDecoder().decode(ModelConfig.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(decoded.embeddings == .dense)
        #expect(ModelConfig.setting("embeddings")?.domain == .choice(["dense", "sparse"]))
    }

    // MARK: - helpers

    /// 40 rows whose ids cover every id of every field ([3, 2, 4]: 9 table rows, row 0 the padding row).
    static func coveringData() -> Dataset {
        var data = PlantedSignal.make(rows: 40, cardinalities: [3, 2, 4], seed: 11)
        for f in 0..<3 {
            for r in 0..<40 { data.categorical[f][r] = Int32(r % [3, 2, 4][f]) }
        }
        return data
    }

    static func model(_ embeddings: EmbeddingUpdates, threads: Int = 2) throws -> TrainableModel {
        var config = testConfig(.esmm, cardinalities: [3, 2, 4], embed: 4, bottom: [8], tower: [4], experts: 2)
        config.embeddings = embeddings
        var rng = RandomGenerator(seed: 21)
        return try TrainableModel(config, batchCapacity: 40, threads: threads, rng: &rng)
    }

    static func adam(_ model: TrainableModel, _ weightDecay: Float) -> Adam {
        Adam(count: model.values.count, learningRate: 0.05, weightDecay: weightDecay)
    }

    /// One training step on `rows` of `data` (dropout on, a fixed seed per step).
    @discardableResult
    static func step(_ model: TrainableModel, _ data: Dataset, rows: Range<Int>, _ adam: Adam? = nil) -> Double {
        let batch = Batch(capacity: 40, fieldCount: data.fieldCount, numericCount: data.numericCount, taskCount: data.taskCount)
        batch.gather(data, Array(rows)[...])
        var rng = RandomGenerator(seed: UInt64(rows.count))
        let labels = batch.labels, n = batch.rows
        let loss = model.accumulateGradients(batch, isTraining: true, rng: &rng) { part, range, p, dp in
            meanBinaryCrossEntropy(part, range, p, labels, n, dp)
        }
        model.applyGradients(adam ?? Self.adam(model, 0))
        return loss
    }

    /// Slab indices where the two models' values differ.
    static func differingEntries(_ a: TrainableModel, _ b: TrainableModel) -> [Int] {
        (0..<a.values.count).filter { a.values.base[$0].bitPattern != b.values.base[$0].bitPattern }
    }

    func expectClose(_ actual: [Float], _ expected: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        for (a, e) in zip(actual, expected) {
            #expect(abs(Double(a) - e) <= 1e-6 * max(1, abs(e)), "\(a) vs \(e)", sourceLocation: sourceLocation)
        }
    }
}

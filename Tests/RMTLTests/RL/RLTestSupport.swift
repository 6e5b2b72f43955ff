import RMTL

/// Small planted-signal splits shared by the RL tests (3000 rows, sessions of 1–8 rows).
let rlSplits = PlantedSignal.splits(rows: 3000, seed: 5)

/// A small actor over `data`'s fields: embed 8, bottom [16, 8], tower [8, 4].
func tinyActor(
    _ kind: ModelKind = .esmm, data: Dataset = rlSplits.train, batch: Int = 128, threads: Int = 2, seed: UInt64 = 1, dropout: Float? = nil
) throws -> TrainableModel {
    var config = testConfig(kind, cardinalities: data.cardinalities, tasks: data.taskCount, embed: 8, bottom: [16, 8], tower: [8, 4], experts: 2)
    config.numericCount = data.numericCount
    if let dropout { config.dropout = dropout }
    var rng = RandomGenerator(seed: seed)
    return try TrainableModel(config, batchCapacity: batch, threads: threads, rng: &rng)
}

/// `mode`'s settings at test sizes: batch 64, buffer 4000, 200 warm-up episodes, 2 critic epochs.
func tinySettings(_ mode: RMTLMode) -> RMTLSettings {
    var s = RMTLSettings(mode: mode)
    s.batchSize = 64
    s.bufferCapacity = 4000
    s.warmupEpisodes = 200
    s.criticEpochs = 2
    s.aliveSampleSize = 512
    return s
}

/// A tiny critic of either structure: 3 fields, embed 4, bottom [8, 6], tower [5, 3], no dropout.
func tinyCritic(_ structure: CriticStructure, tasks: Int = 2, rows: Int, threads: Int = 1, seed: UInt64) throws -> TrainableModel {
    var c = CriticConfig(cardinalities: [5, 4, 3], numericCount: 1)
    c.embedDim = 4
    c.bottom = [8, 6]
    c.tower = [5, 3]
    c.dropout = 0
    c.freezesPaddingRow = false
    var rng = RandomGenerator(seed: seed)
    switch structure {
    case .independent: return try TrainableModel(batchCapacity: rows, threads: threads, rng: &rng) { Critic(c, &$0) }
    case .shared: return try TrainableModel(batchCapacity: rows, threads: threads, rng: &rng) { SharedCritic(c, taskCount: tasks, &$0) }
    }
}

/// Random critic inputs for `tinyCritic`: ids, one numeric column, `heads` action columns in [0, 1).
final class CriticInputs {
    let ids: UnsafeMutablePointer<Int32>
    let numeric: Activation
    let actions: Activation
    let rows: Int
    init(rows: Int, heads: Int, seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        self.rows = rows
        ids = .allocate(capacity: rows * 3)
        for r in 0..<rows { for (f, c) in [5, 4, 3].enumerated() { ids[r * 3 + f] = Int32(rng.nextInt(below: c)) } }
        numeric = Activation(capacity: rows, columns: 1)
        actions = Activation(capacity: rows, columns: heads)
        for r in 0..<rows {
            numeric.matrix(rows: rows)[r, 0] = rng.nextNormal()
            for h in 0..<heads { actions.matrix(rows: rows)[r, h] = rng.nextUniform() }
        }
    }
    deinit { ids.deallocate() }
    var input: BatchInput {
        BatchInput(ids: ids, fieldCount: 3, numeric: numeric.matrix(rows: rows), actions: actions.matrix(rows: rows))
    }
}

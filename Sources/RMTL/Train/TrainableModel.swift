/// A network ready to train on several cores: one values slab, and one replica per thread
/// with its own activations and gradient slab. A batch is cut into fixed contiguous shards, one per
/// replica; gradients are summed in replica order, so a given seed and thread count always give the
/// same bits. The replicas may be spread over processes (`group`): each computes its block of
/// shards, and the gradient slabs are gathered so that every process sums all of them in order.
public final class TrainableModel: @unchecked Sendable {
    /// The actor's configuration; nil for other networks (critics).
    public let modelConfig: ModelConfig?
    public let outputCount: Int
    public let layout: SlabLayout
    public let values: FloatBuffer
    /// Replicas in all (shards per batch), over every process of `group`.
    public let threads: Int
    public let group: ReplicaGroup
    /// The slab ranges Adam updates (parameters outside the graph are skipped, as in PyTorch), less
    /// the row-sparse tables, whose gradients are `rowGradients`.
    let trainableRanges: [Range<Int>]
    /// Per replica (all of them, as `gradients`), the row-sparse embedding tables' gradients
    /// (`embeddings=sparse`; else empty).
    let rowGradients: [[RowGradients]]
    /// The gradient slabs less the row-sparse tables (which stay untouched, so never resident).
    let slabRanges: [Range<Int>]
    /// What `zeroGradients` clears in full: `slabRanges` less the dense tables, of which only the
    /// rows this process's replicas wrote (`writtenRows`, per local replica) are cleared.
    let zeroedRanges: [Range<Int>]
    let writtenRows: [[WrittenRows]]
    /// The largest batch `step` and `predict` take (rows, all replicas together).
    public let capacity: Int
    /// This process's replicas: global replica `part` is `replicas[part % replicas.count]`.
    let replicas: [Network]
    /// Every replica's gradient slab (other processes' ones filled by the gather).
    package let gradients: [FloatBuffer]
    /// Per replica, every ReLU + dropout site (kink-aware gradient checks, PyTorch's dropout masks).
    package let dropoutSites: [[DropoutSite]]
    let dOutputs: [Activation]

    /// Builds an actor's replicas and draws the initial weights from `rng` (PyTorch's distributions).
    public convenience init(
        _ config: ModelConfig, batchCapacity: Int, threads: Int, group: ReplicaGroup = .oneProcess, rng: inout RandomGenerator
    ) throws {
        try config.validate()
        try config.admitMemory(batchCapacity: batchCapacity, threads: max(1, min(threads, batchCapacity)))
        try self.init(modelConfig: config, batchCapacity: batchCapacity, threads: threads, group: group, rng: &rng) {
            try makeModel(config, &$0)
        }
    }

    /// Builds this process's share of `threads` replicas with `build` and draws the initial
    /// weights from `rng` (the same draws on every process of `group`).
    public init(
        modelConfig: ModelConfig? = nil, batchCapacity: Int, threads: Int, group: ReplicaGroup = .oneProcess,
        rng: inout RandomGenerator, build: (inout ModelBuilder) throws -> Network
    ) throws {
        guard batchCapacity >= 1 else {
            throw ConfigurationError(parameter: "batch", .belowMinimum(value: batchCapacity, minimum: 1))
        }
        guard threads >= 1 else {
            throw ConfigurationError(parameter: "threads", .belowMinimum(value: threads, minimum: 1))
        }
        guard threads % group.ranks == 0, threads <= batchCapacity || group.ranks == 1 else {
            throw ConfigurationError(parameter: "threads", .replicasOverRanks(replicas: min(threads, batchCapacity), ranks: group.ranks))
        }
        self.modelConfig = modelConfig
        self.capacity = batchCapacity
        self.threads = min(threads, batchCapacity)
        self.group = group
        let perReplica = (batchCapacity + self.threads - 1) / self.threads
        var replicas: [Network] = [], slabs: [ParameterSlabs] = [], sites: [[DropoutSite]] = []
        var localRows: [[RowGradients]] = [], written: [[WrittenRows]] = []
        var layout = SlabLayout()
        for r in 0..<(self.threads / group.ranks) {
            var builder = ModelBuilder(capacity: perReplica)
            replicas.append(try build(&builder))
            if r == 0 { layout = builder.layout } else { assert(layout == builder.layout) }
            slabs.append(builder.slabs)
            sites.append(builder.dropoutSites)
            localRows.append(builder.rowGradients)
            written.append(builder.writtenRows)
        }
        dropoutSites = sites
        self.layout = layout
        // Other processes' replicas get row gradients of their own, filled by the gather.
        let local = group.localParts(of: self.threads)
        rowGradients = (0..<self.threads).map { part in
            local.contains(part) ? localRows[part - local.lowerBound] : localRows[0].map { $0.sameTable() }
        }
        let tables = localRows[0].map(\.region)
        trainableRanges = layout.trainableRanges.flatMap { $0.subtracting(tables) }
        slabRanges = (0..<layout.count).subtracting(tables)
        zeroedRanges = (0..<layout.count).subtracting((tables + written[0].map(\.region)).sorted { $0.lowerBound < $1.lowerBound })
        writtenRows = written
        self.replicas = replicas
        values = FloatBuffer(count: layout.count)
        layout.initialize(values.base, rng: &rng)
        gradients = (0..<self.threads).map { _ in FloatBuffer(count: layout.count) }
        for (s, g) in zip(slabs, gradients[group.localParts(of: self.threads)]) { s.bind(values: values, gradients: g) }
        outputCount = replicas[0].outputCount
        dOutputs = (0..<replicas.count).map { [outputCount] _ in Activation(capacity: perReplica, columns: outputCount) }
        setBLASThreads(1)
    }

    /// The same actor (same weights) with room for batches of `batchCapacity` rows.
    public func resized(batchCapacity: Int) throws -> TrainableModel {
        guard let modelConfig else { preconditionFailure("resized(batchCapacity:) is for actors") }
        var unused = RandomGenerator(seed: 0)
        let model = try TrainableModel(modelConfig, batchCapacity: batchCapacity, threads: threads, group: group, rng: &unused)
        model.values.copy(from: values.array)
        return model
    }

    public var parameterCount: Int { layout.slots.reduce(0) { $0 + $1.count } }
    public var flopsPerRow: Double { replicas[0].flopsPerRow }

    /// The replica that serves shard `part` (for loss hooks that run per shard, e.g. critics).
    public func replica(_ part: Int) -> Network { replicas[part % replicas.count] }

    /// Forward and backward over `batch`, leaving the summed gradient in the replicas' slabs.
    ///
    /// `lossGradient(part, rows, output, dOutput)` runs on shard `part`'s thread: given the shard's
    /// output (shard rows × outputCount) it writes d loss / d output and returns the shard's
    /// contribution to the batch loss. Returns the batch loss, added in shard order.
    public func accumulateGradients(
        _ batch: Batch, isTraining: Bool, rng: inout RandomGenerator,
        lossGradient: (_ part: Int, _ rows: Range<Int>, _ output: Matrix, _ dOutput: Matrix) -> Double
    ) -> Double {
        accumulateGradients(batch.input, isTraining: isTraining, rng: &rng, lossGradient: lossGradient)
    }

    /// The same for any batch input (a critic's carries actions).
    public func accumulateGradients(
        _ input: BatchInput, isTraining: Bool, rng: inout RandomGenerator,
        lossGradient: (_ part: Int, _ rows: Range<Int>, _ output: Matrix, _ dOutput: Matrix) -> Double
    ) -> Double {
        precondition(input.rows <= capacity, "batch of \(input.rows) rows exceeds capacity \(capacity)")
        let parts = min(threads, input.rows)
        // Every process draws every shard's stream, so its own shards get the one-process streams.
        var rngs = (0..<parts).map { _ in rng.split() }
        var losses = [Double](repeating: 0, count: threads)
        let local = group.localParts(of: threads)
        accumulateGradients(input, parts: local.clamped(to: 0..<parts), of: parts, isTraining: isTraining, rngs: &rngs,
                            losses: &losses, lossGradient: lossGradient)
        for part in local where part >= parts { zeroGradients(part) }
        if group.ranks > 1 { gatherGradients(&losses) }
        return losses[..<parts].reduce(0, +)
    }

    /// Computes shards `parts` of the `count` a batch is cut into, on this process's replicas.
    private func accumulateGradients(
        _ input: BatchInput, parts: Range<Int>, of count: Int, isTraining: Bool, rngs: inout [RandomGenerator],
        losses: inout [Double], lossGradient: (_ part: Int, _ rows: Range<Int>, _ output: Matrix, _ dOutput: Matrix) -> Double
    ) {
        rngs.withUnsafeMutableBufferPointer { rngPointer in
            losses.withUnsafeMutableBufferPointer { lossPointer in
                let shared = UncheckedSendable((rngPointer, lossPointer))
                parallelFor(parts.count) { i in
                    let part = parts.lowerBound + i
                    let range = shard(input.rows, part: part, of: count)
                    let model = self.replicas[i]
                    let shardInput = input.rows(range.lowerBound, range.count)
                    self.zeroGradients(part)
                    let p = model.forward(shardInput, isTraining: isTraining, rng: &shared.value.0[part])
                    let dp = self.dOutputs[i].matrix(rows: range.count)
                    // A NaN probability would pass through the loss unseen (the log clamp's `max`
                    // compiles to maxss, which drops NaN), so check the model's output itself.
                    guard Self.isFinite(p) else { shared.value.1[part] = .nan; return }
                    shared.value.1[part] = lossGradient(part, range, p, dp)
                    model.backward(shardInput, dOutput: dp)
                }
            }
        }
    }

    /// Gives every process every replica's gradient and shard loss: one allgather of this
    /// process's replicas, each packed as its slab (less the row-sparse tables), each table's
    /// touched rows (`RowGradients.pack`) and its loss (two `Float`s).
    private func gatherGradients(_ losses: inout [Double]) {
        let dense = slabRanges.reduce(0) { $0 + $1.count }
        let block = dense + rowGradients[0].reduce(0) { $0 + $1.packedCount } + 2
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: threads * block)
        defer { packed.deallocate() }
        let local = group.localParts(of: threads)
        for part in local {
            var p = packed + part * block
            for range in slabRanges {
                p.update(from: gradients[part].base + range.lowerBound, count: range.count)
                p += range.count
            }
            for rows in rowGradients[part] {
                rows.pack(into: p)
                p += rows.packedCount
            }
            UnsafeMutableRawPointer(p).storeBytes(of: losses[part], as: Double.self)
        }
        group.allgather(packed, count: threads * block)
        for part in 0..<threads where !local.contains(part) {
            var p = packed + part * block
            for range in slabRanges {
                (gradients[part].base + range.lowerBound).update(from: p, count: range.count)
                p += range.count
            }
            for rows in rowGradients[part] {
                rows.unpack(from: p)
                p += rows.packedCount
            }
            losses[part] = UnsafeRawPointer(p).loadUnaligned(as: Double.self)
        }
    }

    /// Clears replica `part`'s gradient (one of this process's).
    private func zeroGradients(_ part: Int) {
        let slab = gradients[part].base
        for range in zeroedRanges { (slab + range.lowerBound).update(repeating: 0, count: range.count) }
        for table in writtenRows[part - group.localParts(of: threads).lowerBound] { table.zero(in: gradients[part]) }
        for rows in rowGradients[part] { rows.clear() }
    }

    /// One optimiser step with the gradients of the last `accumulateGradients`.
    public func applyGradients(_ optimizer: Adam) {
        let rowTables = rowGradients[0].indices.map { t in rowGradients.map { $0[t] } }
        optimizer.update(values, gradients: gradients, threads: threads, ranges: trainableRanges, rowTables: rowTables)
    }

    /// The sum of the replicas' gradient slabs (for tests and gradient checks; a row-sparse table's
    /// gradient is in `rowGradients`, not here).
    public var gradient: [Float] {
        var g = gradients[0].array
        for r in 1..<threads {
            for i in 0..<g.count { g[i] += gradients[r].base[i] }
        }
        return g
    }

    /// Whether every entry of `m` is finite (scanned in place: this runs every step).
    static func isFinite(_ m: Matrix) -> Bool {
        for r in 0..<m.rows { for c in 0..<m.columns where !m[r, c].isFinite { return false } }
        return true
    }

    /// Probabilities for every row of `data` (dropout off): `result[task][row]`.
    public func predict(_ data: Dataset) -> [[Float]] {
        // Shards write into one flat Float buffer (task-major): nested Swift arrays must not be
        // mutated from two threads (their copy-on-write bookkeeping is not thread-safe).
        let n = data.rowCount
        var flat = [Float](repeating: 0, count: outputCount * n)
        let batch = Batch(capacity: capacity, fieldCount: data.fieldCount, numericCount: data.numericCount, taskCount: data.taskCount)
        var start = 0
        flat.withUnsafeMutableBufferPointer { buffer in
            let out = UncheckedSendable(buffer.baseAddress!)
            while start < n {
                let end = min(start + capacity, n)
                batch.gather(data, Array(start..<end)[...])
                let offset = start
                accumulateForward(batch) { _, rows, p in
                    for t in 0..<p.columns {
                        for r in 0..<p.rows { out.value[t * n + offset + rows.lowerBound + r] = p[r, t] }
                    }
                }
                start = end
            }
        }
        return (0..<outputCount).map { t in Array(flat[(t * n)..<((t + 1) * n)]) }
    }

    /// Forward only, dropout off, shard by shard; `body` sees each shard's probabilities.
    func accumulateForward(_ batch: Batch, _ body: (Int, Range<Int>, Matrix) -> Void) {
        let parts = min(threads, batch.rows)
        let input = batch.input
        forEachShard(parts) { part in
            let range = shard(batch.rows, part: part, of: parts)
            var noRandomness = RandomGenerator(seed: 0)
            let p = self.replica(part).forward(input.rows(range.lowerBound, range.count), isTraining: false, rng: &noRandomness)
            body(part, range, p)
        }
    }

    /// Runs `body` for shards `0..<parts` on this process's replicas, as many at a time as there
    /// are replicas (one round in one process), shard `part` on `replica(part)`: a forward-only
    /// pass is computed whole, in the global shard layout, on every process.
    func forEachShard(_ parts: Int, _ body: (Int) -> Void) {
        for round in stride(from: 0, to: parts, by: replicas.count) {
            parallelFor(min(replicas.count, parts - round)) { body(round + $0) }
        }
    }

    /// Named copies of every parameter tensor (checkpoints, parity tests).
    public func tensors() -> [(name: String, shape: [Int], values: [Float])] {
        layout.slots.map { slot in (slot.name, slot.shape, Array(UnsafeBufferPointer(start: values.base + slot.offset, count: slot.count))) }
    }

    /// Overwrites the parameter named `name` (shape must match).
    public func setTensor(_ name: String, _ newValues: [Float]) throws {
        guard let slot = layout.slot(named: name) else {
            throw ConfigurationError(parameter: name, .unknownParameter)
        }
        guard slot.count == newValues.count else {
            throw ConfigurationError(parameter: name, .valueCount(expected: slot.count, shape: slot.shape, got: newValues.count))
        }
        newValues.withUnsafeBufferPointer { (values.base + slot.offset).update(from: $0.baseAddress!, count: slot.count) }
    }

    /// The gradient of the parameter named `name`, summed over replicas.
    public func gradient(of name: String) -> [Float]? {
        guard let slot = layout.slot(named: name) else { return nil }
        return Array(gradient[slot.offset..<(slot.offset + slot.count)])
    }
}

private extension Range<Int> {
    /// This range less `holes` (sorted, disjoint), as the ranges left between them.
    func subtracting(_ holes: [Range<Int>]) -> [Range<Int>] {
        var pieces: [Range<Int>] = [], start = lowerBound
        for hole in holes where hole.overlaps(self) {
            if hole.lowerBound > start { pieces.append(start..<hole.lowerBound) }
            start = Swift.max(start, hole.upperBound)
        }
        if start < upperBound { pieces.append(start..<upperBound) }
        return pieces
    }
}

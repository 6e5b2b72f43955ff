/// A network in a checkpoint: every parameter as an `F32` tensor `prefix + name` with its shape
/// (`name` is the PyTorch state_dict name, `bottom.mlp.0.weight`, …). The slab's alignment padding
/// is always zero and is not stored.
extension TrainableModel {
    /// Adds every parameter as `prefix + name`.
    public func saveTensors(prefix: String, into tensors: inout [String: TensorData]) {
        for (name, shape, values) in self.tensors() { tensors[prefix + name] = TensorData(shape: shape, floats: values) }
    }

    /// Overwrites every parameter from `prefix + name`, each required with its shape.
    public func restoreTensors(prefix: String, from reader: inout CheckpointReader) throws(CheckpointMismatch) {
        for slot in layout.slots {
            let saved = try reader.tensor(prefix + slot.name, .f32, slot.shape)
            _ = saved.copyFloats(into: UnsafeMutableBufferPointer(start: values.base + slot.offset, count: slot.count))
        }
    }

    /// The actor `config` describes, built for `batchCapacity` rows on `threads` replicas spread
    /// over `group`, with the weights saved under `prefix`.
    public static func restore(
        _ config: ModelConfig, batchCapacity: Int, threads: Int, group: ReplicaGroup = .oneProcess, prefix: String,
        from reader: inout CheckpointReader
    ) throws(CheckpointMismatch) -> TrainableModel {
        var unused = RandomGenerator(seed: 0)
        let model: TrainableModel
        do { model = try TrainableModel(config, batchCapacity: batchCapacity, threads: threads, group: group, rng: &unused) } catch {
            throw CheckpointMismatch("the saved actor configuration does not build a model: \(error)")
        }
        try model.restoreTensors(prefix: prefix, from: &reader)
        return model
    }
}

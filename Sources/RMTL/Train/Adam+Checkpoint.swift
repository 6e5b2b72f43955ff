/// An Adam optimiser in a checkpoint: its moments as `F32` tensors per parameter of the model it
/// updates, `prefix + "m." + name` and `prefix + "v." + name` (the slab's alignment padding is
/// always zero and is not stored), and its scalars as `State` in the caller's configuration JSON.
extension Adam {
    /// An Adam's scalars (its moments are tensors).
    public struct State: Codable, Equatable, Sendable {
        public var step: Int
        public var learningRate: Float
        public var weightDecay: Float
    }

    public var state: State { State(step: step, learningRate: learningRate, weightDecay: weightDecay) }

    /// Adds the moments of every parameter of `layout` (the model this Adam updates); returns the scalars.
    public func saveTensors(layout: SlabLayout, prefix: String, into tensors: inout [String: TensorData]) -> State {
        for slot in layout.slots {
            let range = slot.offset..<(slot.offset + slot.count)
            tensors[prefix + "m." + slot.name] = TensorData(shape: slot.shape, floats: Array(m.pointer[range]))
            tensors[prefix + "v." + slot.name] = TensorData(shape: slot.shape, floats: Array(v.pointer[range]))
        }
        return state
    }

    /// Puts back what `saveTensors` wrote: the moments (each required with its shape; padding
    /// zero), then the scalars, refused if impossible. `name` names the optimiser in a refusal.
    public func restore(
        _ saved: State, layout: SlabLayout, prefix: String, from reader: inout CheckpointReader, name: String
    ) throws(CheckpointMismatch) {
        precondition(layout.count == m.count, "the layout is not the one this optimiser updates")
        m.zero()
        v.zero()
        for slot in layout.slots {
            for (slab, moment) in [(m, "m."), (v, "v.")] {
                let tensor = try reader.tensor(prefix + moment + slot.name, .f32, slot.shape)
                _ = tensor.copyFloats(into: UnsafeMutableBufferPointer(start: slab.base + slot.offset, count: slot.count))
            }
        }
        guard saved.step >= 0, saved.learningRate > 0, saved.weightDecay >= 0 else {
            throw CheckpointMismatch("the \(name) optimiser's step \(saved.step), learning rate \(saved.learningRate) "
                                     + "or weight decay \(saved.weightDecay) is impossible")
        }
        step = saved.step
        learningRate = saved.learningRate
        weightDecay = saved.weightDecay
    }
}

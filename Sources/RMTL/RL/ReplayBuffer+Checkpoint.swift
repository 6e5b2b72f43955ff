/// A replay buffer in a checkpoint: the stored rows (the first `count` slots) and the sampling
/// permutation as tensors, and capacity, count and write position as `State`:
///
///   <prefix>states, <prefix>next_states          I32 [count, fields]
///   <prefix>state_numeric, <prefix>next_numeric  F32 [count, numeric]
///   <prefix>actions, <prefix>labels, <prefix>rewards  F32 [count, tasks]
///   <prefix>done                                 F32 [count]
///   <prefix>order                                I64 [count]   the sampling permutation
extension ReplayBuffer {
    public struct State: Codable, Equatable, Sendable {
        public var capacity: Int
        public var count: Int
        public var position: Int
    }

    public var state: State { State(capacity: capacity, count: count, position: position) }

    /// Adds the stored rows and the sampling permutation; returns the scalars.
    public func saveTensors(prefix: String, into tensors: inout [String: TensorData]) -> State {
        let n = count
        tensors[prefix + "states"] = TensorData(shape: [n, fieldCount], int32s: Array(states[0..<(n * fieldCount)]))
        tensors[prefix + "next_states"] = TensorData(shape: [n, fieldCount], int32s: Array(nextStates[0..<(n * fieldCount)]))
        tensors[prefix + "state_numeric"] = TensorData(shape: [n, numericCount], floats: Array(stateNumeric[0..<(n * numericCount)]))
        tensors[prefix + "next_numeric"] = TensorData(shape: [n, numericCount], floats: Array(nextNumeric[0..<(n * numericCount)]))
        tensors[prefix + "actions"] = TensorData(shape: [n, taskCount], floats: Array(actions[0..<(n * taskCount)]))
        tensors[prefix + "labels"] = TensorData(shape: [n, taskCount], floats: Array(labels[0..<(n * taskCount)]))
        tensors[prefix + "rewards"] = TensorData(shape: [n, taskCount], floats: Array(rewards[0..<(n * taskCount)]))
        tensors[prefix + "done"] = TensorData(shape: [n], floats: Array(done[0..<n]))
        tensors[prefix + "order"] = TensorData(shape: [n], int64s: order.map { Int64($0) })
        return state
    }

    /// Puts back what `saveTensors` wrote into this (empty) buffer: the saved rows fill the first
    /// `count` slots, the rest stay zero as never written. Refuses a state that does not fit the
    /// capacity, a state id outside its field's `cardinalities`, or an order that is not a
    /// permutation; the buffer changes only when every check passed.
    public func restore(
        _ saved: State, cardinalities: [Int], prefix: String, from reader: inout CheckpointReader
    ) throws(CheckpointMismatch) {
        let (n, f, nn, k) = (saved.count, fieldCount, numericCount, taskCount)
        guard saved.capacity == capacity, (0...capacity).contains(n),
              n < capacity ? saved.position == n : (0..<capacity).contains(saved.position) else {
            throw CheckpointMismatch("the replay buffer's capacity \(saved.capacity), count \(n) and position \(saved.position) "
                                     + "are inconsistent (settings say capacity \(capacity))")
        }
        precondition(cardinalities.count == f, "one cardinality per state field")
        func padded<T: Numeric>(_ values: [T], _ width: Int) -> [T] { values + [T](repeating: 0, count: (capacity - n) * width) }
        let states = try reader.tensor(prefix + "states", .i32, [n, f]).int32s!
        let nextStates = try reader.tensor(prefix + "next_states", .i32, [n, f]).int32s!
        for (name, ids) in [(prefix + "states", states), (prefix + "next_states", nextStates)] {
            for (i, id) in ids.enumerated() where id < 0 || Int(id) >= cardinalities[i % f] {
                throw CheckpointMismatch("tensor '\(name)' holds id \(id) for field \(i % f), outside 0..<\(cardinalities[i % f])")
            }
        }
        let order = try reader.tensor(prefix + "order", .i64, [n]).int64s!
        var seen = [Bool](repeating: false, count: n)
        for o in order {
            guard o >= 0, o < Int64(n), !seen[Int(o)] else {
                throw CheckpointMismatch("tensor '\(prefix)order' is not a permutation of 0..<\(n)")
            }
            seen[Int(o)] = true
        }
        let stateNumeric = try reader.floats(prefix + "state_numeric", [n, nn])
        let nextNumeric = try reader.floats(prefix + "next_numeric", [n, nn])
        let actions = try reader.floats(prefix + "actions", [n, k])
        let labels = try reader.floats(prefix + "labels", [n, k])
        let rewards = try reader.floats(prefix + "rewards", [n, k])
        let done = try reader.floats(prefix + "done", [n])
        count = n
        position = saved.position
        self.states = padded(states, f)
        self.stateNumeric = padded(stateNumeric, nn)
        self.nextStates = padded(nextStates, f)
        self.nextNumeric = padded(nextNumeric, nn)
        self.actions = padded(actions, k)
        self.labels = padded(labels, k)
        self.rewards = padded(rewards, k)
        self.done = padded(done, 1)
        self.order = order.map { Int($0) }
    }
}

/// One sampled batch of transitions as the networks read them.
final class TransitionBatch: @unchecked Sendable {
    let capacity: Int, fieldCount: Int, taskCount: Int
    let ids: UnsafeMutablePointer<Int32>, nextIds: UnsafeMutablePointer<Int32>
    let numeric: Activation, nextNumeric: Activation
    let actionBuffer: Activation, nextActions: Activation, rewards: Activation, targets: Activation
    let scratch: Activation, scratch2: Activation
    /// The distinct next states and the actor's actions for them (the TD target's a′ is computed
    /// once per distinct s′).
    let distinctNext: DistinctStates, distinctActions: Activation
    var done: [Float]
    private(set) var rows = 0

    init(capacity: Int, fieldCount: Int, numericCount: Int, taskCount: Int) {
        self.capacity = capacity
        self.fieldCount = fieldCount
        self.taskCount = taskCount
        ids = .allocate(capacity: max(capacity * fieldCount, 1))
        nextIds = .allocate(capacity: max(capacity * fieldCount, 1))
        numeric = Activation(capacity: capacity, columns: numericCount)
        nextNumeric = Activation(capacity: capacity, columns: numericCount)
        actionBuffer = Activation(capacity: capacity, columns: taskCount)
        nextActions = Activation(capacity: capacity, columns: taskCount)
        rewards = Activation(capacity: capacity, columns: taskCount)
        targets = Activation(capacity: capacity, columns: taskCount)
        scratch = Activation(capacity: capacity, columns: taskCount)
        scratch2 = Activation(capacity: capacity, columns: taskCount)
        distinctNext = DistinctStates(capacity: capacity, fieldCount: fieldCount, numericCount: numericCount)
        distinctActions = Activation(capacity: capacity, columns: taskCount)
        done = [Float](repeating: 0, count: capacity)
    }

    deinit { ids.deallocate(); nextIds.deallocate() }

    var actions: Matrix { actionBuffer.matrix(rows: rows) }

    func gather(_ buffer: ReplayBuffer, _ indices: [Int]) {
        precondition(indices.count <= capacity)
        rows = indices.count
        let f = fieldCount, n = numeric.columns, k = taskCount
        let num = numeric.matrix(rows: rows), nextNum = nextNumeric.matrix(rows: rows)
        let a = actionBuffer.matrix(rows: rows), rw = rewards.matrix(rows: rows)
        for (r, i) in indices.enumerated() {
            for j in 0..<f {
                ids[r * f + j] = buffer.states[i * f + j]
                nextIds[r * f + j] = buffer.nextStates[i * f + j]
            }
            for j in 0..<n {
                num[r, j] = buffer.stateNumeric[i * n + j]
                nextNum[r, j] = buffer.nextNumeric[i * n + j]
            }
            for t in 0..<k {
                a[r, t] = buffer.actions[i * k + t]
                rw[r, t] = buffer.rewards[i * k + t]
            }
            done[r] = buffer.done[i]
        }
    }

    func state(actions: Matrix?) -> BatchInput {
        BatchInput(ids: ids, fieldCount: fieldCount, numeric: numeric.matrix(rows: rows), actions: actions)
    }

    func nextState(actions: Matrix?) -> BatchInput {
        BatchInput(ids: nextIds, fieldCount: fieldCount, numeric: nextNumeric.matrix(rows: rows), actions: actions)
    }
}

/// A circular replay buffer of session-MDP transitions (rmtl-reference.md §3.3).
///
/// Storage is flat arrays, row-major per transition: state ids (capacity, fields) Int32, state
/// numeric (capacity, numeric) Float, the same for the next state, actions, labels and rewards
/// (capacity, tasks) Float, done (capacity) Float. When full, a new transition overwrites the
/// oldest (`position` is the next slot written). `ReplayBuffer+Checkpoint.swift` saves and restores it.
public final class ReplayBuffer: @unchecked Sendable {
    public let capacity: Int
    public let fieldCount: Int
    public let numericCount: Int
    public let taskCount: Int
    /// Transitions stored (≤ capacity).
    public internal(set) var count = 0
    /// The slot the next transition goes to.
    public internal(set) var position = 0
    public internal(set) var states: [Int32]
    public internal(set) var stateNumeric: [Float]
    public internal(set) var nextStates: [Int32]
    public internal(set) var nextNumeric: [Float]
    public internal(set) var actions: [Float]
    public internal(set) var labels: [Float]
    public internal(set) var rewards: [Float]
    public internal(set) var done: [Float]
    /// A permutation of `0..<count` that sampling reorders in place (partial Fisher–Yates).
    var order: [Int] = []

    public init(capacity: Int, fieldCount: Int, numericCount: Int, taskCount: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.fieldCount = fieldCount
        self.numericCount = numericCount
        self.taskCount = taskCount
        states = [Int32](repeating: 0, count: capacity * fieldCount)
        nextStates = states
        stateNumeric = [Float](repeating: 0, count: capacity * numericCount)
        nextNumeric = stateNumeric
        actions = [Float](repeating: 0, count: capacity * taskCount)
        labels = actions
        rewards = actions
        done = [Float](repeating: 0, count: capacity)
    }

    /// Stores the transition from `row` to `next` of `data`, with one action, label and reward per task.
    public func append(row: Int, next: Int, of data: Dataset, actions a: [Float], rewards r: [Float], isDone: Bool) {
        let i = position
        for f in 0..<fieldCount {
            states[i * fieldCount + f] = data.categorical[f][row]
            nextStates[i * fieldCount + f] = data.categorical[f][next]
        }
        for f in 0..<numericCount {
            stateNumeric[i * numericCount + f] = data.numeric[f][row]
            nextNumeric[i * numericCount + f] = data.numeric[f][next]
        }
        for t in 0..<taskCount {
            actions[i * taskCount + t] = a[t]
            labels[i * taskCount + t] = data.labels[t][row]
            rewards[i * taskCount + t] = r[t]
        }
        done[i] = isDone ? 1 : 0
        position = (position + 1) % capacity
        if count < capacity { order.append(count); count += 1 }
    }

    /// `n` distinct slot indices drawn uniformly (without replacement within the batch, batches
    /// independent), as `np.random.choice(len, n, replace=False)` does in distribution.
    public func sample(_ n: Int, rng: inout RandomGenerator) -> [Int] {
        precondition(n <= count, "a batch of \(n) from a buffer of \(count)")
        // Partial Fisher–Yates over a persistent permutation: starting from any permutation, the
        // first n entries after n swap steps are a uniform n-subset in uniform order.
        for i in 0..<n {
            let j = i + rng.nextInt(below: count - i)
            if i != j { order.swapAt(i, j) }
        }
        return Array(order[0..<n])
    }
}

/// What a warm-up put into the buffer.
public struct WarmupReport: Sendable, Codable {
    public var episodes: Int
    public var transitions: Int
    /// Mean reward per task over the stored transitions.
    public var meanReward: [Double]
    public var bufferCount: Int
}

extension ReplayBuffer {
    /// Fills the buffer by running `episodes` episodes of `mdp` (each a session drawn uniformly with
    /// replacement, as the env's `reset` does), storing every transition.
    ///
    /// Actions: `.random` draws each task's action uniformly on [0, 1) (the code); `.actor` takes
    /// `predictions[task][row]` (the frozen actor's, dropout off) plus `N(0, explorationNoise)`,
    /// clipped to [0, 1] (the paper). The reward uses `SessionMDP.rewardAction` (the 0.5a+0.5
    /// quirk when `rescalesRewardAction`).
    public func warmUp(
        _ mdp: SessionMDP, data: Dataset, settings s: RMTLSettings, predictions: [[Float]]?,
        episodes: Int, rng: inout RandomGenerator
    ) throws -> WarmupReport {
        guard mdp.episodeCount > 0 else {
            throw ConfigurationError(parameter: "episodes", .noSessions)
        }
        if s.warmupPolicy == .actor {
            guard let predictions, predictions.count == taskCount, predictions.allSatisfy({ $0.count == data.rowCount }) else {
                throw ConfigurationError(parameter: "warmup", .missingPredictions)
            }
        }
        var a = [Float](repeating: 0, count: taskCount), r = a
        var sums = [Double](repeating: 0, count: taskCount)
        var transitions = 0
        for e in 0..<episodes {
            if e % 256 == 0 { try Interrupt.check() }
            let rows = mdp.episodes[rng.nextInt(below: mdp.episodeCount)]
            for (t, row) in rows.enumerated() {
                let isLast = t == rows.count - 1
                for k in 0..<taskCount {
                    switch s.warmupPolicy {
                    case .random: a[k] = rng.nextUniform()
                    case .actor: a[k] = min(max(predictions![k][row] + s.explorationNoise * rng.nextNormal(), 0), 1)
                    }
                    r[k] = SessionMDP.reward(action: SessionMDP.rewardAction(a[k], rescaled: s.rescalesRewardAction),
                                             label: data.labels[k][row])
                    sums[k] += Double(r[k])
                }
                append(row: row, next: isLast ? row : rows[t + 1], of: data, actions: a, rewards: r, isDone: isLast)
                transitions += 1
            }
        }
        return WarmupReport(episodes: episodes, transitions: transitions,
                            meanReward: sums.map { $0 / Double(max(transitions, 1)) }, bufferCount: count)
    }
}

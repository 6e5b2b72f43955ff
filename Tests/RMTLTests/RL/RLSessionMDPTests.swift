import Foundation
import Testing
import RMTL

@Suite("Session MDP and replay buffer") struct RLSessionMDPTests {
    @Test func rewardIsNegativeClippedBCE() {
        #expect(SessionMDP.reward(action: 0.8, label: 1) == ln(0.8))
        #expect(SessionMDP.reward(action: 0.8, label: 0) == ln(1 - 0.8))
        // Clipped at 1e-4 both ways: a = 0 with y = 1, a = 1 with y = 0.
        #expect(SessionMDP.reward(action: 0, label: 1) == ln(1e-4))
        #expect(SessionMDP.reward(action: 1, label: 0) == ln(1e-4))
        #expect(SessionMDP.reward(action: 1, label: 1) == 0)
        // The ActionNormalizer quirk: the reward sees 0.5a + 0.5.
        #expect(SessionMDP.rewardAction(0.2, rescaled: true) == 0.6)
        #expect(SessionMDP.rewardAction(0.2, rescaled: false) == 0.2)
    }

    @Test func episodesAreSessionsInTimeOrder() {
        // Two sessions interleaved, one row out of time order.
        let data = Dataset(
            name: "t", categoricalNames: ["a"], categorical: [[0, 1, 2, 3, 4]], cardinalities: [5],
            numericNames: ["x"], numeric: [[0, 0, 0, 0, 0]], taskNames: ["ctr"], labels: [[0, 1, 0, 1, 0]],
            sessions: [7, 3, 7, 3, 7], timestamps: [30, 10, 20, 11, 40])
        let mdp = SessionMDP(data)
        #expect(mdp.episodes == [[2, 0, 4], [1, 3]])
        #expect(mdp.transitionCount == 5)
    }

    @Test func bufferWrapsAround() {
        let data = Dataset(
            name: "t", categoricalNames: ["a"], categorical: [(0..<10).map { Int32($0) }], cardinalities: [10],
            numericNames: ["x"], numeric: [(0..<10).map { Float($0) }], taskNames: ["ctr"], labels: [[Float](repeating: 1, count: 10)],
            sessions: [Int32](repeating: 0, count: 10), timestamps: (0..<10).map { Int64($0) })
        let buffer = ReplayBuffer(capacity: 5, fieldCount: 1, numericCount: 1, taskCount: 1)
        for i in 0..<7 {
            buffer.append(row: i, next: i + 1, of: data, actions: [Float(i) / 10], rewards: [-Float(i)], isDone: i == 6)
        }
        #expect(buffer.count == 5)
        #expect(buffer.position == 2)
        // Slots 0 and 1 were overwritten by transitions 5 and 6; slots 2–4 still hold 2–4.
        #expect(buffer.states == [5, 6, 2, 3, 4])
        #expect(buffer.nextStates == [6, 7, 3, 4, 5])
        #expect(buffer.rewards == [-5, -6, -2, -3, -4])
        #expect(buffer.done == [0, 1, 0, 0, 0])
    }

    @Test func samplingIsWithoutReplacementAndCoversTheBuffer() {
        let data = Dataset(
            name: "t", categoricalNames: ["a"], categorical: [[Int32](repeating: 0, count: 20)], cardinalities: [1],
            numericNames: ["x"], numeric: [[Float](repeating: 0, count: 20)], taskNames: ["ctr"], labels: [[Float](repeating: 0, count: 20)],
            sessions: [Int32](repeating: 0, count: 20), timestamps: [Int64](repeating: 0, count: 20))
        let buffer = ReplayBuffer(capacity: 20, fieldCount: 1, numericCount: 1, taskCount: 1)
        for i in 0..<20 { buffer.append(row: i, next: i, of: data, actions: [0], rewards: [0], isDone: true) }
        var rng = RandomGenerator(seed: 3)
        var hits = [Int](repeating: 0, count: 20)
        for _ in 0..<2000 {
            let s = buffer.sample(8, rng: &rng)
            #expect(Set(s).count == 8)
            for i in s { hits[i] += 1 }
        }
        // Each slot is drawn with probability 8/20: 800 expected per slot.
        #expect(hits.allSatisfy { abs($0 - 800) < 120 }, "\(hits)")
        #expect(Set(buffer.sample(20, rng: &rng)) == Set(0..<20))
    }

    @Test func randomWarmUpStoresEpisodesWithTheRescaledReward() throws {
        let data = rlSplits.train
        var settings = tinySettings(.code)
        settings.bufferCapacity = 100_000
        let buffer = ReplayBuffer(capacity: 100_000, fieldCount: data.fieldCount, numericCount: 1, taskCount: 2)
        var rng = RandomGenerator(seed: 1)
        let report = try buffer.warmUp(SessionMDP(data), data: data, settings: settings, predictions: nil, episodes: 50, rng: &rng)
        #expect(report.transitions == buffer.count && buffer.count > 50)
        var dones = 0
        for i in 0..<buffer.count {
            for k in 0..<2 {
                let a = buffer.actions[i * 2 + k], y = buffer.labels[i * 2 + k]
                #expect(a >= 0 && a < 1)
                #expect(buffer.rewards[i * 2 + k] == SessionMDP.reward(action: 0.5 * a + 0.5, label: y))
            }
            if buffer.done[i] == 1 {
                dones += 1
                #expect(buffer.states[(i * 7)..<(i * 7 + 7)] == buffer.nextStates[(i * 7)..<(i * 7 + 7)])
            }
        }
        #expect(dones == 50)
    }

    @Test func actorWarmUpUsesPredictionsPlusNoise() throws {
        let data = rlSplits.train
        var settings = tinySettings(.paper)
        settings.explorationNoise = 0
        let buffer = ReplayBuffer(capacity: 10_000, fieldCount: data.fieldCount, numericCount: 1, taskCount: 2)
        let predictions: [[Float]] = [data.labels[0].map { _ in 0.25 }, data.labels[1].map { _ in 0.75 }]
        var rng = RandomGenerator(seed: 1)
        _ = try buffer.warmUp(SessionMDP(data), data: data, settings: settings, predictions: predictions, episodes: 20, rng: &rng)
        for i in 0..<buffer.count {
            #expect(buffer.actions[i * 2] == 0.25 && buffer.actions[i * 2 + 1] == 0.75)
            #expect(buffer.rewards[i * 2] == SessionMDP.reward(action: 0.25, label: buffer.labels[i * 2]))
        }
    }
}

private func ln(_ x: Float) -> Float { Foundation.log(x) }

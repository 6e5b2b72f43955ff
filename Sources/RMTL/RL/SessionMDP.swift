import RealModule

/// The session MDP of a dataset (rmtl-reference.md §3.2): one episode per session, its rows in time
/// order. The state of step t is row t's features (categorical ids + numeric fields), the action is
/// one probability per task, the reward per task is the negative BCE of the action against the
/// label, and the episode ends on its last row, whose next state is itself.
///
/// The authors' state is the item's 7 mapped properties plus a zero numeric column, with no history
/// and no user features (§8.15); here it is whatever fields the dataset has.
public struct SessionMDP: Sendable {
    /// Row indices of each episode, in time order (timestamp, then row order). Episodes are listed
    /// in order of their session's first row.
    public let episodes: [[Int]]

    public init(_ data: Dataset) {
        var index: [Int32: Int] = [:]
        var episodes: [[Int]] = []
        for row in 0..<data.rowCount {
            let s = data.sessions[row]
            if let e = index[s] { episodes[e].append(row) } else { index[s] = episodes.count; episodes.append([row]) }
        }
        let time = data.timestamps
        for e in episodes.indices where episodes[e].count > 1 {
            // Rows usually are in time order already; a stable sort keeps ties in row order.
            episodes[e] = episodes[e].enumerated()
                .sorted { (time[$0.element], $0.offset) < (time[$1.element], $1.offset) }
                .map(\.element)
        }
        self.episodes = episodes
    }

    public var episodeCount: Int { episodes.count }
    /// Transitions over all episodes (= rows).
    public var transitionCount: Int { episodes.reduce(0) { $0 + $1.count } }

    /// `r = y·ln(clip(a, 1e-4, 1)) + (1 − y)·ln(clip(1 − a, 1e-4, 1))` (env.py:31-32), so r ≤ 0.
    @inline(__always)
    public static func reward(action a: Float, label y: Float) -> Float {
        let logA = Float.log(Swift.min(Swift.max(a, 1e-4), 1))
        let log1mA = Float.log(Swift.min(Swift.max(1 - a, 1e-4), 1))
        return y * logA + (1 - y) * log1mA
    }

    /// The action the reward is computed for: `clip(0.5·a + 0.5, 0, 1)` with the authors'
    /// `ActionNormalizer` quirk (§3.2), else `a`.
    @inline(__always)
    public static func rewardAction(_ a: Float, rescaled: Bool) -> Float {
        rescaled ? Swift.min(Swift.max(0.5 * a + 0.5, 0), 1) : a
    }
}

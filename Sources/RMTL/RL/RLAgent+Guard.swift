/// The dead-critic guard: `Q = −ReLU(z)` passes no gradient where `z ≤ 0`, and a fresh critic can be
/// dead on (nearly) every buffer pair, so it never learns and every RMTL weight is 1.
extension RLAgent {

    /// Per task, the fraction of (evenly spaced) buffer pairs `(s, a_k)` whose critic pre-activation
    /// `z` is positive, with dropout off and the same input transform as critic training. A dead
    /// pair (`z ≤ 0`) has `Q = 0` and passes no gradient.
    public func measureAliveFractions() -> [Double] {
        let n = min(buffer.count, settings.aliveSampleSize)
        guard n > 0 else { return [Double](repeating: .nan, count: taskCount) }
        var alive = [Int](repeating: 0, count: taskCount)
        let all = (0..<n).map { $0 * buffer.count / n }
        var start = 0
        var unused = RandomGenerator(seed: 0)
        let z = batch.scratch.matrix(rows: batch.capacity)
        while start < n {
            let rows = min(batch.capacity, n - start)
            batch.gather(buffer, Array(all[start..<(start + rows)]))
            if settings.normalizesStates { normalizeStates(current: true) }
            for i in critics.indices {
                let zi = z.prefix(rows: rows)
                critics[i].forwardShards(batch.state(actions: actions(batch.actions, forNet: i)), isTraining: false, rng: &unused) {
                    part, range, _ in
                    let logits = (self.critics[i].replica(part) as! ActionValueNetwork).logits(rows: range.count)
                    for r in 0..<range.count { for h in 0..<logits.columns { zi[range.lowerBound + r, h] = logits[r, h] } }
                }
                for (h, k) in tasks(ofNet: i).enumerated() {
                    for r in 0..<rows where zi[r, h] > 0 { alive[k] += 1 }
                }
            }
            start += rows
        }
        return alive.map { Double($0) / Double(n) }
    }

    /// Measures the alive fractions; with `init=live`, redraws every critic network whose worst
    /// head is below `liveThreshold` (new draws from `rng`, the actor's embedding copied again),
    /// up to `maxRedraws` times, then throws `DeadCriticError`. Warns below `aliveWarning`.
    @discardableResult
    public func checkCritics(rng: inout RandomGenerator) throws -> [Double] {
        guard buffer.count > 0 else {
            throw ConfigurationError(parameter: "critic", .emptyBuffer)
        }
        var fractions = measureAliveFractions()
        if settings.criticInit == .live {
            for i in critics.indices {
                var tries = 0
                while tasks(ofNet: i).map({ fractions[$0] }).min()! < settings.liveThreshold {
                    if tries == settings.maxRedraws {
                        throw DeadCriticError(task: tasks(ofNet: i).lowerBound, aliveFraction: tasks(ofNet: i).map { fractions[$0] }.min()!,
                                              redraws: tries, threshold: settings.liveThreshold)
                    }
                    critics[i].redraw(rng: &rng)
                    try copyActorEmbedding(into: i)
                    targets[i].values.copy(from: critics[i].values.array)
                    tries += 1
                    redraws += 1
                    fractions = measureAliveFractions()
                }
            }
        }
        aliveFractions = fractions
        criticsChecked = true
        warnIfDead(fractions, when: "after initialisation")
        return fractions
    }

    func warnIfDead(_ fractions: [Double], when: String) {
        for (k, f) in fractions.enumerated() where f < settings.aliveWarning {
            let percent = String(format: "%.1f", 100 * f)
            warnings.append(RLWarning(message: "the critic of task \(k) is nearly dead \(when): \(percent)% of buffer pairs have z > 0 "
                                        + "(Q = −ReLU(z) passes no gradient there)", hint: "init=live redraws it"))
        }
    }
}

/// `init=live` could not find a live critic.
public struct DeadCriticError: Error, CustomStringConvertible {
    public let task: Int
    public let aliveFraction: Double
    public let redraws: Int
    public let threshold: Double
    public var description: String {
        String(format: "the critic of task %d stayed dead after %d redraws: %.1f%% of buffer pairs alive, %.0f%% needed; "
               + "hint: use init=faithful to keep it anyway, or lower live=", task, redraws, 100 * aliveFraction, 100 * threshold)
    }
}

/// Something the user should know about the critics, with what to do about it.
public struct RLWarning: Codable, Sendable, Equatable {
    public let message: String
    public let hint: String?

    public init(message: String, hint: String?) {
        self.message = message
        self.hint = hint
    }

    /// Checkpoints written before warnings had a hint of their own hold one string,
    /// `warning: MESSAGE; hint: HINT`.
    public init(from decoder: Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            var body = Substring(text)
            if body.hasPrefix("warning: ") { body = body.dropFirst("warning: ".count) }
            let parts = body.components(separatedBy: "; hint: ")
            self.init(message: parts[0], hint: parts.count > 1 ? parts.dropFirst().joined(separator: "; hint: ") : nil)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(message: try c.decode(String.self, forKey: .message), hint: try c.decodeIfPresent(String.self, forKey: .hint))
    }
}

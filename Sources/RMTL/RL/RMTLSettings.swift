/// Every disputed detail of the RL stage as a visible switch (rmtl-reference.md §3, §8).
///
/// `RMTLSettings(mode: .code)` reproduces what the authors' code ran; `RMTLSettings(mode: .paper)`
/// what the paper says. Every field can then be set on its own; `mode` only records the starting
/// point, and `description` lists the effective values (`show model`).

/// Which source the defaults follow.
public enum RMTLMode: String, CaseIterable, Sendable, Codable {
    case paper, code
}

/// How the per-task critics are built (§8.3).
public enum CriticStructure: String, CaseIterable, Sendable, Codable {
    /// Two (one per task) independent `CriticNeg` networks: the authors' code.
    case independent
    /// One network: shared embedding, action layer and bottom MLP, one tower per task: the paper.
    case shared
}

/// The bootstrap term of the TD target (§8.5).
public enum TDTarget: String, CaseIterable, Sendable, Codable {
    /// `Q̄_k(s′, a′_k)`, the target critic only: the paper.
    case target
    /// `min(Q̄_k, Q_k)(s′, a′_k)`, target and online critic: the authors' TD3-BC-style code.
    case minimum = "min"
}

/// Where the warm-up actions that fill the replay buffer come from (§8.8).
public enum WarmupPolicy: String, CaseIterable, Sendable, Codable {
    /// Uniform on [0, 1] per task: the authors' `action_space.sample()`.
    case random
    /// The pretrained actor's prediction plus Gaussian exploration noise, clipped to [0, 1]: the paper.
    case actor
}

/// What to do with a critic whose `Q = −ReLU(z)` is dead (`z ≤ 0`) on most buffer pairs.
public enum CriticInit: String, CaseIterable, Sendable, Codable {
    /// Redraw the critic until at least `liveThreshold` of the sampled pairs are alive.
    case live
    /// Keep the first draw, as the authors do (a warning is still reported).
    case faithful
}

/// The per-sample, per-task weight of the fine-tuning loss (§3.8 and its commented-out ablations).
public enum LossWeighting: String, CaseIterable, Sendable, Codable {
    /// `w = 1 − λ·Q_k(s, ŷ_k)`: RMTL.
    case critic
    /// `w = constantWeight` (the authors' commented-out line uses 0.5): "CW".
    case constant
    /// `w = 1 − λ·y_k·Q_k(s, ŷ_k)`: "WL".
    case label
    /// `w = −Q_k(s, ŷ_k)`: "NLC".
    case negativeQ = "negq"
}

/// The RL stage's settings. Defaults: `mode: .code`.
public struct RMTLSettings: Sendable, Equatable, Codable {
    public var mode: RMTLMode

    // MARK: MDP and replay buffer
    /// Discount: paper 0.95, code 0.9 (§8.1).
    public var gamma: Float
    public var bufferCapacity = 500_000
    /// Episodes (sessions drawn uniformly with replacement) run to fill the buffer; the code's RLmain
    /// uses 200,000.
    public var warmupEpisodes = 200_000
    public var warmupPolicy: WarmupPolicy
    /// Std of the Gaussian noise added to the actor's prediction in `.actor` warm-up (the paper
    /// gives no value; rmtl's choice).
    public var explorationNoise: Float = 0.1
    /// The `ActionNormalizer` quirk (§3.2): the reward is computed for `clip(0.5·a + 0.5, 0, 1)`
    /// while the buffer stores `a`.
    public var rescalesRewardAction: Bool

    // MARK: Critics
    public var criticStructure: CriticStructure
    public var criticInit: CriticInit = .live
    /// `init=live` redraws until this fraction of sampled buffer pairs has `z > 0`.
    public var liveThreshold = 0.5
    /// Redraws allowed before `init=live` gives up with an error.
    public var maxRedraws = 20
    /// A warning is reported when the alive fraction falls below this.
    public var aliveWarning = 0.1
    /// Buffer pairs (evenly spaced) on which the alive fraction is measured.
    public var aliveSampleSize = 4096
    /// The code's critic 2 is a deep copy of critic 1, so both start identical (§3.4).
    public var criticsStartIdentical: Bool
    /// The code overwrites the critics' embedding with the actor's (§3.4); both modes do.
    public var criticEmbeddingFromActor = true

    // MARK: Critic training
    public var tdTarget: TDTarget
    /// Std of the next-action noise `ε ~ N(0, σ)` (one draw per task per batch), clipped to
    /// `±nextActionNoiseClip`: code 0.4 / 0.003, paper none.
    public var nextActionNoise: Float
    public var nextActionNoiseClip: Float = 0.003
    /// Soft update `target ← τ·online + (1 − τ)·target` every `updatePeriod` steps (§8.4).
    public var tau: Float = 0.2
    public var updatePeriod = 2
    public var batchSize = TrainConfig.paperBatchSize
    public var criticLearningRate: Float = 1e-3
    public var criticWeightDecay: Float = 0
    /// Fixed number of critic epochs (code: 96), or the cap when `criticConverges`.
    public var criticEpochs = 96
    /// Stop when the epoch TD loss changes by less than `convergenceEpsilon` (relative) for
    /// `convergenceTrials` epochs in a row: the authors' unused `ConvergeStopper` (§3.6).
    public var criticConverges = false
    public var convergenceEpsilon = 3e-3
    public var convergenceTrials = 2
    /// The batch z-score + truncation quirk of critic (and target-actor) inputs during RL (§3.5 step 2).
    public var normalizesStates: Bool
    /// Dropout active in the target critics (and the online critic inside `min`) during TD (§8.10).
    public var criticDropoutInTarget: Bool

    // MARK: Fine-tuning (the RMTL loss)
    /// λ: paper 0.7; README runs 1 (§8.2).
    public var lambda: Float
    public var weighting: LossWeighting = .critic
    public var constantWeight: Float = 0.5
    /// Dropout left on in the critics when they weight the loss (code) or off (paper) (§8.10).
    public var criticDropoutAtUse: Bool
    /// `keep=best`: the pretrained weights compete on validation; default keeps ≥ 1 fine-tuned epoch.
    public var keepBest = false

    // MARK: DDPG baseline (§3.7)
    public var actorLearningRate: Float = 1e-3
    /// The actor is updated once the agent's step count exceeds this (RLmain: 1000).
    public var actorWarmupSteps = 1000
    public var actorUpdatePeriod = 1

    public init(mode: RMTLMode = .code) {
        self.mode = mode
        switch mode {
        case .code:
            gamma = 0.9
            lambda = 1
            warmupPolicy = .random
            rescalesRewardAction = true
            criticStructure = .independent
            criticsStartIdentical = true
            tdTarget = .minimum
            nextActionNoise = 0.4
            normalizesStates = true
            criticDropoutInTarget = true
            criticDropoutAtUse = true
        case .paper:
            gamma = 0.95
            lambda = 0.7
            warmupPolicy = .actor
            rescalesRewardAction = false
            criticStructure = .shared
            criticsStartIdentical = false
            tdTarget = .target
            nextActionNoise = 0
            normalizesStates = false
            criticDropoutInTarget = false
            criticDropoutAtUse = false
        }
    }

    /// Throws for the first setting outside its declared range (`RMTLSettings.settings`).
    public func validate() throws(SettingError) { try checkSettings() }
}

extension RMTLSettings: CustomStringConvertible {
    /// The effective settings, one per line, with the source each default follows.
    public var description: String {
        func f(_ x: Float) -> String { "\(x)" }
        let stop = criticConverges
            ? "converge (relative TD-loss change < \(convergenceEpsilon) for \(convergenceTrials) epochs, at most \(criticEpochs))"
            : "\(criticEpochs) epochs"
        let warm = warmupPolicy == .random
            ? "random uniform actions" + (rescalesRewardAction ? ", reward from 0.5a+0.5 (ActionNormalizer quirk)" : "")
            : "actor policy + N(0, \(f(explorationNoise))) noise" + (rescalesRewardAction ? ", reward from 0.5a+0.5" : "")
        let td = tdTarget == .target ? "target critic" : "min(target, online) critic"
        let noise = nextActionNoise > 0 ? ", a′ noise N(0, \(f(nextActionNoise))) clipped ±\(f(nextActionNoiseClip))" : ""
        let weight: String
        switch weighting {
        case .critic: weight = "w = 1 − λ·Q"
        case .constant: weight = "w = \(f(constantWeight)) (constant)"
        case .label: weight = "w = 1 − λ·y·Q (label-weighted)"
        case .negativeQ: weight = "w = −Q (negative Q only)"
        }
        return """
            mode=\(mode.rawValue)
              gamma=\(f(gamma)) lambda=\(f(lambda)) tau=\(f(tau)) every \(updatePeriod) steps
              critic=\(criticStructure.rawValue) (\(criticStructure == .independent ? "one CriticNeg per task" : "shared bottom, a tower per task"))\(criticsStartIdentical ? ", identical start" : "")
              td=\(td)\(noise)
              warmup=\(warm), \(warmupEpisodes) episodes, buffer \(bufferCapacity)
              init=\(criticInit.rawValue) (alive ≥ \(liveThreshold), \(maxRedraws) redraws; warn < \(aliveWarning))
              critic training: batch \(batchSize), lr \(f(criticLearningRate)), \(stop)
              state z-score quirk=\(normalizesStates ? "on" : "off"), dropout in TD targets=\(criticDropoutInTarget ? "on" : "off"), at use=\(criticDropoutAtUse ? "on" : "off")
              loss weight: \(weight), keep=\(keepBest ? "best" : "fine-tuned")
              ddpg: actor lr \(f(actorLearningRate)), after step \(actorWarmupSteps), every \(actorUpdatePeriod)
            """
    }
}

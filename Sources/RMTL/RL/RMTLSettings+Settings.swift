/// The script keys of the RL settings (`critic mode=paper gamma=0.9 td=min …`): each field of
/// `RMTLSettings` declared once with its range and meaning. The defaults are the ones
/// `RMTLSettings(mode:)` sets, so `help critic` reads both modes' defaults from there.
extension RMTLSettings: Configurable {
    public static let settings: [Setting<RMTLSettings>] = [
        Setting("mode", .choice(RMTLMode.allCases.map(\.rawValue)),
                "Follow the paper or the authors' code where they differ (rmtl-reference.md §8); resets every other setting to that reading's default.",
                read: { .choice($0.mode.rawValue) },
                write: { s, v in if case .choice(let w) = v, let m = RMTLMode(rawValue: w) { s = RMTLSettings(mode: m) } }),
        .real("gamma", \.gamma, .closed(0, 1), "Discount of the session MDP (paper 0.95, code 0.9)."),
        .real("lambda", \.lambda, .atLeast(0), "λ in the fine-tuning weight w = 1 − λ·Q."),
        .real("tau", \.tau, .leftOpen(0, 1), "Soft target update: target ← τ·online + (1 − τ)·target."),
        .integer("period", \.updatePeriod, 1...TrainConfig.maximumRows, unit: "steps", "Critic steps between soft target updates."),
        .choice("critic", \.criticStructure, "independent: one critic per task (code); shared: shared bottom, a tower per task (paper)."),
        .choice("td", \.tdTarget, "Bootstrap term of the TD target: the target critic (paper) or min(target, online) (code)."),
        .real("noise", \.nextActionNoise, .atLeast(0), "Std of the next-action noise in the TD target (code 0.4, paper none)."),
        .real("noise_clip", \.nextActionNoiseClip, .atLeast(0), "The next-action noise is clipped to ± this."),
        .choice("warmup", \.warmupPolicy, "Warm-up actions: uniform random (code) or the actor's prediction plus noise (paper)."),
        .real("explore", \.explorationNoise, .atLeast(0), "Std of the exploration noise of warmup=actor."),
        .flag("rescale", \.rescalesRewardAction, "The code's ActionNormalizer quirk: the reward is computed for clip(0.5a + 0.5, 0, 1)."),
        .integer("episodes", \.warmupEpisodes, 0...TrainConfig.maximumRows, unit: "episodes", "Warm-up episodes (sessions drawn with replacement) that fill the buffer."),
        .integer("memory", \.bufferCapacity, 1...TrainConfig.maximumRows, unit: "transitions", "Replay buffer capacity."),
        .integer("batch", \.batchSize, 1...TrainConfig.maximumRows, unit: "rows", "Batch of the critic updates and DDPG steps ('train critic batch=' and 'train ddpg batch=' set it too)."),
        .real("lr", \.criticLearningRate, .greaterThan(0), "Critic Adam learning rate."),
        .real("wd", \.criticWeightDecay, .atLeast(0), "Critic Adam weight decay."),
        .integer("epochs", \.criticEpochs, 1...TrainConfig.maximumEpochs, unit: "epochs", "Critic epochs, or the cap with converge=on ('train critic epochs=' sets it too)."),
        .flag("converge", \.criticConverges, "Stop critic training when the epoch TD loss settles (the authors' unused ConvergeStopper)."),
        .real("converge_eps", \.convergenceEpsilon, .atLeast(0), "Relative TD-loss change below which an epoch counts as settled."),
        .integer("converge_trials", \.convergenceTrials, 1...TrainConfig.maximumEpochs, unit: "epochs", "Settled epochs in a row that stop critic training."),
        .flag("zscore", \.normalizesStates, "The code's batch z-score + truncation of critic inputs during RL."),
        .flag("dropout_target", \.criticDropoutInTarget, "Dropout on in the target critics during TD (code) or off (paper)."),
        .flag("dropout_use", \.criticDropoutAtUse, "Dropout on in the critics when they weight the loss (code) or off (paper)."),
        .choice("init", \.criticInit, "live: redraw a critic until enough buffer pairs are alive; faithful: keep the first draw."),
        .real("live", \.liveThreshold, .closed(0, 1), "init=live redraws until this fraction of sampled pairs is alive."),
        .integer("redraws", \.maxRedraws, 0...TrainConfig.maximumEpochs, "Redraws init=live may make before it gives up."),
        .real("alive_warn", \.aliveWarning, .closed(0, 1), "Warn when the alive fraction falls below this."),
        .integer("alive_sample", \.aliveSampleSize, 1...TrainConfig.maximumRows, unit: "pairs", "Buffer pairs on which the alive fraction is measured."),
        .flag("identical", \.criticsStartIdentical, "The critics start as copies of one draw (the code's deep copy)."),
        .choice("weight", \.weighting, "Fine-tuning weight: critic (1 − λ·Q), constant, label (1 − λ·y·Q) or negq (−Q)."),
        .real("constant", \.constantWeight, .unbounded, "The weight of weight=constant."),
        Setting("keep", .choice(["best", "tuned"]),
                "best: the pretrained weights compete on validation; tuned: keep at least one fine-tuned epoch.",
                read: { .choice($0.keepBest ? "best" : "tuned") },
                write: { s, v in if case .choice(let w) = v { s.keepBest = w == "best" } }),
        .real("actor_lr", \.actorLearningRate, .greaterThan(0), "DDPG actor learning rate ('train ddpg lr=' sets it too)."),
        .integer("actor_after", \.actorWarmupSteps, 0...Int.max, unit: "steps", "DDPG updates the actor once the step count exceeds this."),
        .integer("actor_period", \.actorUpdatePeriod, 1...Int.max, unit: "steps", "Steps between DDPG actor updates."),
    ]

    /// A fresh `RMTLSettings(mode:)` from `mode=` if present, then every other value applied in order.
    public static func parse(_ pairs: [(key: String, value: SettingValue)]) throws(SettingError) -> RMTLSettings {
        var s = RMTLSettings(mode: .code)
        if let mode = pairs.last(where: { $0.key == "mode" }) { try s.set("mode", to: mode.value) }
        for (key, value) in pairs where key != "mode" { try s.set(key, to: value) }
        return s
    }
}

import RMTL

extension CommandSpec {
    /// The knobs are `TrainConfig`'s, with its defaults (the authors').
    static let trainActor = CommandSpec(
        "train", "actor", params: trainingParams,
        needs: [.actor, .splits], produces: [.trainedActor], removes: [.critic, .trainedCritic],
        summary: "Supervised training with early stopping on validation mean AUC."
    ) { a in try a.workspace.trainActor(try a.trainConfig()) }

    /// `TrainConfig`'s knobs, shared by `train actor` and `train rmtl`.
    static let trainingParams = TrainConfig.settingKeys.map { ParamSpec.setting($0, of: TrainConfig.self, defaults: TrainConfig()) }
}

extension Arguments {
    /// The engine's training settings from the `TrainConfig` arguments (given or default).
    func trainConfig() throws -> TrainConfig {
        var config = TrainConfig()
        for (key, value) in try givenSettings(TrainConfig.settingKeys) { try config.set(key, to: value) }
        return config
    }
}

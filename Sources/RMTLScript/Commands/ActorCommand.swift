import RMTL

extension CommandSpec {
    /// The knobs are `ModelConfig`'s, with its defaults (the paper's sizes).
    static let actor = CommandSpec(
        "actor",
        params: [ParamSpec("model", .model, positional: true, required: true, "The multi-task model.")]
            + ModelConfig.settingKeys.map { ParamSpec.setting($0, of: ModelConfig.self, defaults: defaultModel) },
        needs: [.data], produces: [.actor], removes: [.trainedActor, .critic, .trainedCritic],
        summary: "Choose and build the multi-task model (the actor)."
    ) { a in
        // the checker and `word` admitted only ModelKind names
        let kind = ModelKind(rawValue: try a.word("model")!)!
        try a.workspace.buildActor(kind, try a.givenSettings(ModelConfig.settingKeys))
    }

    private static let defaultModel = ModelConfig(kind: .esmm, cardinalities: [1], numericCount: 1, taskCount: 2)
}

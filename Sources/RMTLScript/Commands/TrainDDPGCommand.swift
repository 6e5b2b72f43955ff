import RMTL

extension CommandSpec {
    static let trainDDPG = CommandSpec(
        "train", "ddpg",
        params: [
            ParamSpec("epochs", .setting(.integer(1...TrainConfig.maximumEpochs)), default: .number(96), "DDPG epochs (RLmain.py uses 96)."),
            criticSetting("batch"),
            criticSetting("actor_lr", as: "lr"),
        ],
        needs: [.trainedCritic, .splits], produces: [.trainedActor],
        summary: "The D-PLE baseline: update the actor by the critics' gradient."
    ) { a in
        try a.workspace.trainDDPG(epochs: try a.integer("epochs")!, batchSize: try a.integer("batch"),
                                  learningRate: try a.number("lr"))
    }
}

import RMTL

extension CommandSpec {
    static let trainRMTL = CommandSpec(
        "train", "rmtl", params: [criticSetting("lambda")] + trainingParams,
        needs: [.trainedCritic, .splits], produces: [.trainedActor],
        summary: "Fine-tune the actor with the critic-weighted loss w = 1 − λ·Q (a fresh optimiser)."
    ) { a in try a.workspace.trainRMTL(lambda: try a.number("lambda"), try a.trainConfig()) }
}

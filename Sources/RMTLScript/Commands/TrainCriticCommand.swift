import RMTL

extension CommandSpec {
    static let trainCritic = CommandSpec(
        "train", "critic", params: [criticSetting("epochs"), criticSetting("batch")],
        needs: [.critic, .splits], produces: [.trainedCritic],
        summary: "Offline critic training from the session MDP."
    ) { a in try a.workspace.trainCritic(epochs: try a.integer("epochs"), batchSize: try a.integer("batch")) }
}

import RMTL

extension CommandSpec {
    /// Every `RMTLSettings` key is an argument; only the ones given override the chosen mode's
    /// defaults, which `help critic` lists for both modes.
    static let critic = CommandSpec(
        "critic",
        params: RMTLSettings.settingKeys.map { key in
            key == "mode"
                ? ParamSpec.setting(key, of: RMTLSettings.self, defaults: RMTLSettings(mode: .paper))
                : ParamSpec.setting(key, of: RMTLSettings.self, note: modeDefaults(key))
        },
        needs: [.trainedActor], produces: [.critic], removes: [.trainedCritic],
        summary: "Build the RMTL critics over the trained actor and fill the replay buffer; any RL setting can be overridden."
    ) { a in
        try a.workspace.buildCritic([("mode", try a.setting("mode")!)] + a.givenSettings(RMTLSettings.settingKeys.filter { $0 != "mode" }))
    }

    /// "paper 0.95, code 0.9", or "96 in both modes".
    static func modeDefaults(_ key: String) -> String {
        let values = RMTLMode.allCases.map { RMTLSettings(mode: $0).value(of: key)!.description }
        if Set(values).count == 1 { return "\(values[0]) in both modes" }
        return zip(RMTLMode.allCases, values).map { "\($0.rawValue) \($1)" }.joined(separator: ", ")
    }

    /// An `RMTLSettings` knob offered again by a training command: unset, it is the critic's
    /// current value; given, it becomes that value ("the value given last wins"), so `show model`
    /// always shows what trained.
    static func criticSetting(_ key: String, as name: String? = nil) -> ParamSpec {
        ParamSpec.setting(key, of: RMTLSettings.self, as: name,
                          note: "the critic's '\(key)' (\(modeDefaults(key)) unless 'critic \(key)=' set it); given, it sets it")
    }
}

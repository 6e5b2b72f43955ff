/// The script names of the RL settings (`critic mode=paper gamma=0.9 td=min …`), in one place so
/// parsing, checking, suggestions and `help` share them.
// KEEP IN SYNC: RMTLSettings — every settable field has a key here.
extension RMTLSettings {
    /// Every key `set(_:to:)` accepts, in the order `help` lists them.
    public static let keys: [String] = [
        "mode", "gamma", "lambda", "tau", "period", "critic", "td", "noise", "noise_clip", "warmup", "explore", "rescale",
        "episodes", "memory", "batch", "lr", "wd", "epochs", "converge", "converge_eps", "converge_trials", "zscore",
        "dropout_target", "dropout_use", "init", "live", "redraws", "alive_warn", "alive_sample", "identical",
        "weight", "constant", "keep", "actor_lr", "actor_after", "actor_period",
    ]

    /// A fresh `RMTLSettings(mode:)` from `mode=` if present, then every other `key=value` applied in order.
    public static func parse(_ pairs: [(key: String, value: String)]) throws -> RMTLSettings {
        var s = RMTLSettings(mode: .code)
        if let mode = pairs.last(where: { $0.key == "mode" }) {
            guard let m = RMTLMode(rawValue: mode.value) else { throw badChoice("mode", mode.value, RMTLMode.allCases.map(\.rawValue)) }
            s = RMTLSettings(mode: m)
        }
        for (key, value) in pairs where key != "mode" { try s.set(key, to: value) }
        try s.validate()
        return s
    }

    /// Sets the field named by the script key `key` from its text `value`.
    public mutating func set(_ key: String, to value: String) throws {
        func float() throws -> Float {
            guard let x = Float(value), x.isFinite else { throw ConfigurationError(parameter: key, message: "expected a number, got '\(value)'") }
            return x
        }
        func double() throws -> Double { Double(try float()) }
        func int() throws -> Int {
            guard let x = Int(value) else { throw ConfigurationError(parameter: key, message: "expected a whole number, got '\(value)'") }
            return x
        }
        func bool() throws -> Bool {
            switch value {
            case "on", "true", "yes", "1": return true
            case "off", "false", "no", "0": return false
            default: throw RMTLSettings.badChoice(key, value, ["on", "off"])
            }
        }
        func choice<E: RawRepresentable & CaseIterable>(_: E.Type) throws -> E where E.RawValue == String {
            guard let e = E(rawValue: value) else { throw RMTLSettings.badChoice(key, value, E.allCases.map(\.rawValue)) }
            return e
        }
        switch key {
        case "mode":
            let m = try choice(RMTLMode.self)
            self = RMTLSettings(mode: m)
        case "gamma": gamma = try float()
        case "lambda": lambda = try float()
        case "tau": tau = try float()
        case "period": updatePeriod = try int()
        case "critic": criticStructure = try choice(CriticStructure.self)
        case "td": tdTarget = try choice(TDTarget.self)
        case "noise": nextActionNoise = try float()
        case "noise_clip": nextActionNoiseClip = try float()
        case "warmup": warmupPolicy = try choice(WarmupPolicy.self)
        case "explore": explorationNoise = try float()
        case "rescale": rescalesRewardAction = try bool()
        case "episodes": warmupEpisodes = try int()
        case "memory": bufferCapacity = try int()
        case "batch": batchSize = try int()
        case "lr": criticLearningRate = try float()
        case "wd": criticWeightDecay = try float()
        case "epochs": criticEpochs = try int()
        case "converge": criticConverges = try bool()
        case "converge_eps": convergenceEpsilon = try double()
        case "converge_trials": convergenceTrials = try int()
        case "zscore": normalizesStates = try bool()
        case "dropout_target": criticDropoutInTarget = try bool()
        case "dropout_use": criticDropoutAtUse = try bool()
        case "init": criticInit = try choice(CriticInit.self)
        case "live": liveThreshold = try double()
        case "redraws": maxRedraws = try int()
        case "alive_warn": aliveWarning = try double()
        case "alive_sample": aliveSampleSize = try int()
        case "identical": criticsStartIdentical = try bool()
        case "weight": weighting = try choice(LossWeighting.self)
        case "constant": constantWeight = try float()
        case "keep":
            switch value {
            case "best": keepBest = true
            case "tuned", "last": keepBest = false
            default: throw RMTLSettings.badChoice(key, value, ["best", "tuned"])
            }
        case "actor_lr": actorLearningRate = try float()
        case "actor_after": actorWarmupSteps = try int()
        case "actor_period": actorUpdatePeriod = try int()
        default:
            throw ConfigurationError(parameter: key, message: "unknown RL setting; expected one of: \(RMTLSettings.keys.joined(separator: ", "))")
        }
    }

    static func badChoice(_ key: String, _ value: String, _ allowed: [String]) -> ConfigurationError {
        ConfigurationError(parameter: key, message: "unknown value '\(value)'; expected one of: \(allowed.joined(separator: ", "))")
    }
}

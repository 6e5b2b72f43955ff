import RMTL

// MARK: - actor, critic, train, eval, save, restore, show model
//
// ENGINE: the models, trainer, RL critics and metrics (Sources/RMTL/Models, Train, RL, Metrics)
// plug in here. Training methods must: poll `Interrupt.check()` between batches (map it to
// `WorkspaceError.interrupted`, dropping the half-finished epoch), feed `progress` per step,
// append one `EpochRecord` per epoch to `history`, and set `isActorTrained`/`isCriticTrained`.
// `evaluate` must `store` an `EvalResult`. Until merged they throw `.unavailable`.
extension Workspace {
    /// `actor MODEL embed= bottom= tower= experts= dropout=`.
    public func buildActor(_ settings: ActorSettings) throws {
        guard dataset != nil || splits != nil else { throw WorkspaceError.failed("no dataset is loaded") }
        throw WorkspaceError.unavailable("actor")
    }

    /// `train actor …`: supervised training with early stopping on validation mean AUC.
    public func trainActor(_ settings: TrainSettings) throws {
        throw WorkspaceError.unavailable("train actor")
    }

    /// `critic gamma= tau= lr= mode=`.
    public func buildCritic(_ settings: CriticSettings) throws {
        throw WorkspaceError.unavailable("critic")
    }

    /// `train critic epochs= batch=`.
    public func trainCritic(epochs: Int, batchSize: Int) throws {
        throw WorkspaceError.unavailable("train critic")
    }

    /// `train rmtl lambda= …`: fine-tune the actor with w = 1 − λ·Q.
    public func trainRMTL(lambda: Double, _ settings: TrainSettings) throws {
        throw WorkspaceError.unavailable("train rmtl")
    }

    /// `train ddpg …`: the D-PLE baseline.
    public func trainDDPG(epochs: Int, batchSize: Int, learningRate: Double) throws {
        throw WorkspaceError.unavailable("train ddpg")
    }

    /// `eval test|val as NAME`: per-task AUC, Logloss, s-Logloss, stored under `name[index]`.
    public func evaluate(split: String, base: String, index: String?) throws {
        throw WorkspaceError.unavailable("eval")
    }

    /// `save "file"`: models, optimisers, encoders, config and data fingerprint (atomic write).
    public func save(to path: String) throws {
        throw WorkspaceError.unavailable("save")
    }

    /// `restore "file"`.
    public func restore(from path: String) throws {
        throw WorkspaceError.unavailable("restore")
    }

    /// `show model`.
    public func showModel() {
        guard let a = actorSettings else {
            say("no actor: build one with 'actor esmm'")
            return
        }
        var rows = [["model", a.model], ["embed", String(a.embedDim)],
                    ["bottom", "[" + a.bottom.map(String.init).joined(separator: ", ") + "]"],
                    ["tower", "[" + a.tower.map(String.init).joined(separator: ", ") + "]"],
                    ["experts", String(a.experts)], ["dropout", Value.format(a.dropout)],
                    ["trained", isActorTrained ? "yes" : "no"]]
        if let c = criticSettings {
            rows += [["critic", "gamma=\(Value.format(c.gamma)) tau=\(Value.format(c.tau)) mode=\(c.mode)"],
                     ["critic trained", isCriticTrained ? "yes" : "no"]]
        }
        emit(.table(Table(header: ["setting", "value"], rows: rows)))
    }
}

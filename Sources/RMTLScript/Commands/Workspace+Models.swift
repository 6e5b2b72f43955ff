import Foundation
import RMTL

// MARK: - actor, critic, train, eval, show model (save and restore: Workspace+Checkpoint.swift)
//
// The engine's models, trainer, RL critics and metrics plug in here. Training methods poll
// `Interrupt.check()` between batches (the trainer drops the half-finished epoch), feed `progress`
// per step, append one `EpochRecord` per epoch to `history`, and set `isActorTrained`/`isCriticTrained`.
// Methods whose engine part is not merged yet throw `.unavailable`.
extension Workspace {
    /// `actor MODEL embed= bottom= tower= experts= dropout=`: builds the model and draws its weights.
    public func buildActor(_ settings: ActorSettings) throws {
        guard let splits else {
            throw WorkspaceError.failed(data == nil ? "no dataset is loaded" : "the data is not split yet; run 'split' first")
        }
        guard let kind = ModelKind(rawValue: settings.model) else { throw WorkspaceError.failed("unknown model '\(settings.model)'") }
        let train = splits.train
        var config = ModelConfig(kind: kind, cardinalities: train.cardinalities, numericCount: train.numericCount, taskCount: train.taskCount)
        config.embedDim = settings.embedDim
        config.bottom = settings.bottom
        config.tower = settings.tower
        config.experts = settings.experts
        config.sharedExperts = max(1, settings.experts / 2)       // the authors' run.py: expert_num/2 each
        config.specificExperts = max(1, settings.experts / 2)
        config.dropout = Float(settings.dropout)
        do {
            actor = try TrainableModel(config, batchCapacity: 2048, threads: threads, rng: &rng)
        } catch let error as ConfigurationError {
            throw WorkspaceError.failed(error.description)
        }
        actorSettings = settings
        isActorTrained = false
        setConfig("actor", settings.model)
        say("actor \(kind.displayName): \(actor!.parameterCount) parameters, \(String(format: "%.1f", actor!.flopsPerRow / 1e6)) MFLOP a row")
    }

    /// `train actor …`: supervised training with early stopping on validation mean AUC.
    public func trainActor(_ settings: TrainSettings) throws {
        let trainer = SupervisedTrainer(config: try trainConfig(settings))
        try train(phase: "actor", settings) { model, splits, rng, onEpoch, onStep in
            try trainer.train(model, train: splits.train, validation: splits.validation, rng: &rng, onEpoch: onEpoch, onStep: onStep)
        }
        agent = nil          // critics trained on the old actor's outputs no longer apply
        isCriticTrained = false
    }

    /// The engine's training settings for `settings`.
    func trainConfig(_ settings: TrainSettings) throws -> TrainConfig {
        var c = TrainConfig()
        c.epochs = settings.epochs
        c.batchSize = settings.batchSize
        c.learningRate = Float(settings.learningRate)
        c.weightDecay = Float(settings.weightDecay)
        c.patience = settings.patience
        c.shuffle = settings.shuffle
        return c
    }

    /// Runs `run` on the actor, reporting steps as progress and epochs as lines and history.
    func train(
        phase: String, _ settings: TrainSettings,
        run: (TrainableModel, DatasetSplits, inout RandomGenerator, (EpochReport) -> Void, (Int, Int, Double) -> Void) throws -> [EpochReport]
    ) throws {
        guard var model = actor, let splits else { throw WorkspaceError.failed("no actor: build one with 'actor esmm'") }
        if settings.batchSize > model.capacity && agent == nil {
            model = try model.resized(batchCapacity: settings.batchSize)
            actor = model
        }
        lastTraining = settings  // recorded with results and exports (it was never set before)
        let start = Date()
        var stepsDone = 0, epochsDone = 0
        let reports = try engineStep {
            try run(
                model, splits, &rng,
                { [self] r in
                    epochsDone += 1
                    progress.finish()
                    let aucs = r.validation.map { "\($0.task) \(String(format: "%.4f", $0.auc))" }.joined(separator: "  ")
                    say("epoch \(r.epoch)  loss \(String(format: "%.4f", r.trainLoss))  val auc \(aucs)  "
                        + "\(ProgressReporter.formatRate(r.rowsPerSecond)) rows/s\(r.isBest ? "  best" : "")")
                    record(EpochRecord(phase: phase, epoch: r.epoch, loss: r.trainLoss, auc: r.validation.map { ($0.task, $0.auc) }))
                },
                { [self] step, steps, loss in
                    stepsDone += 1
                    let elapsed = Date().timeIntervalSince(start)
                    let rate = Double(stepsDone * settings.batchSize) / max(elapsed, 1e-9)
                    progress.update(ProgressReporter.line(epoch: epochsDone + 1, epochs: settings.epochs,
                                                          step: step, steps: steps, rowsPerSecond: rate, loss: loss,
                                                          eta: Double(steps - step) * Double(settings.batchSize) / max(rate, 1e-9)))
                })
        }
        isActorTrained = true
        if let best = reports.last(where: \.isBest) {
            say("kept epoch \(best.epoch) of \(reports.count) (best mean validation AUC \(String(format: "%.4f", best.meanAUC)))")
        }
    }

    /// `critic mode= gamma= tau= lr=`: builds the critics over the trained actor and fills the replay
    /// buffer from the training split's sessions (random actions in code mode, the actor's own
    /// predictions with noise in paper mode).
    public func buildCritic(_ pairs: [(key: String, value: String)]) throws {
        guard let model = actor, isActorTrained, let splits else { throw WorkspaceError.failed("train an actor first ('train actor')") }
        let start = Date()
        try engineStep {
            let settings = try RMTLSettings.parse(pairs)
            let agent = try RLAgent(actor: model, settings: settings, rng: &rng)
            let warmup = try agent.warmUp(on: splits.train, rng: &rng)
            self.agent = agent
            say("critics (\(settings.mode.rawValue) mode): \(warmup.episodes) warm-up episodes, \(warmup.transitions) transitions "
                + "in the buffer, in \(Value.formatElapsed(Date().timeIntervalSince(start)))")
        }
        isCriticTrained = false
        setConfig("critic", pairs.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }

    /// `train critic epochs= batch=`: offline critic training with the actor frozen.
    public func trainCritic(epochs: Int, batchSize: Int) throws {
        guard let agent else { throw WorkspaceError.failed("no critic: build one with 'critic'") }
        try engineStep {
            try agent.update { $0.batchSize = batchSize }
            _ = try agent.trainCritic(epochs: epochs, rng: &rng) { [self] r in
                let alive = r.aliveFractions.map { String(format: "%.0f%%", 100 * $0) }.joined(separator: " ")
                say("critic epoch \(r.epoch)  TD loss \(String(format: "%.5f", r.tdLoss))  mean Q \(String(format: "%.4f", r.meanQ))  alive \(alive)")
                for w in r.warnings { say("warning: \(w)") }
                record(EpochRecord(phase: "critic", epoch: r.epoch, loss: r.tdLoss, q: r.meanQ))
            }
        }
        isCriticTrained = true
    }

    /// `train rmtl lambda= …`: fine-tune the actor from its weights with w = 1 − λ·Q and a fresh optimiser.
    public func trainRMTL(lambda: Double, _ settings: TrainSettings) throws {
        guard let agent else { throw WorkspaceError.failed("no critic: build one with 'critic' and train it") }
        let config = try trainConfig(settings)
        try train(phase: "rmtl", settings) { _, splits, rng, onEpoch, onStep in
            try agent.fineTune(train: splits.train, validation: splits.validation, config: config, lambda: Float(lambda),
                               rng: &rng, onEpoch: onEpoch, onStep: onStep)
        }
    }

    /// `train ddpg …`: the D-PLE baseline, the actor updated by −mean Σ_k Q_k(s, π_k(s)).
    public func trainDDPG(epochs: Int, batchSize: Int, learningRate: Double) throws {
        guard let agent, let splits else { throw WorkspaceError.failed("no critic: build one with 'critic' and train it") }
        try engineStep {
            try agent.update { $0.batchSize = batchSize; $0.actorLearningRate = Float(learningRate) }
            _ = try agent.trainDDPG(validation: splits.validation, epochs: epochs, rng: &rng) { [self] r in
                let aucs = r.validation.map { "\($0.task) \(String(format: "%.4f", $0.auc))" }.joined(separator: "  ")
                say("ddpg epoch \(r.epoch)  TD loss \(String(format: "%.5f", r.tdLoss))  policy Q \(r.meanPolicyQ.isNaN ? "- (no actor step yet: actor_after)" : String(format: "%.4f", r.meanPolicyQ))  val auc \(aucs)\(r.isBest ? "  best" : "")")
                record(EpochRecord(phase: "ddpg", epoch: r.epoch, loss: r.tdLoss, auc: r.validation.map { ($0.task, $0.auc) }, q: r.meanPolicyQ))
            }
        }
    }

    /// `eval test|val as NAME`: per-task AUC, Logloss, s-Logloss, stored under `name[index]`.
    public func evaluate(split: String, base: String, index: String?) throws {
        guard let model = actor, let splits else { throw WorkspaceError.failed("no actor: build one with 'actor esmm'") }
        let data = split == "val" ? splits.validation : splits.test
        guard data.rowCount > 0 else { throw WorkspaceError.failed("the \(split) split is empty") }
        let result = EvalResult(base: base, index: index, seed: seed, split: split, model: actorSettings?.model,
                                tasks: model.evaluate(on: data))
        store(result)
        emit(.table(resultTable([result])))
    }

    /// `show model`.
    public func showModel() {
        guard let a = actorSettings else {
            say("no actor: build one with 'actor esmm'")
            return
        }
        let rows = [["model", a.model], ["embed", String(a.embedDim)],
                    ["bottom", "[" + a.bottom.map(String.init).joined(separator: ", ") + "]"],
                    ["tower", "[" + a.tower.map(String.init).joined(separator: ", ") + "]"],
                    ["experts", String(a.experts)], ["dropout", Value.format(a.dropout)],
                    ["trained", isActorTrained ? "yes" : "no"]]
        emit(.table(Table(header: ["setting", "value"], rows: rows)))
        if let agent {
            say(agent.summary)
            say("critic trained: \(isCriticTrained ? "yes" : "no")")
        }
    }
}

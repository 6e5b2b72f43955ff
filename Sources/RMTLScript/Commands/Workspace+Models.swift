import Foundation
import RMTL

// MARK: - actor, critic, train, eval, show model (save and restore: Workspace+Checkpoint.swift)
//
// The engine's models, trainer, RL critics and metrics plug in here. Training methods poll
// `Interrupt.check()` between batches (the trainer drops the half-finished epoch), feed `progress`
// per step, append one `EpochRecord` per epoch to `history`, and set `isActorTrained`/`isCriticTrained`.
// Methods whose engine part is not merged yet throw `.unavailable`.
extension Workspace {
    /// `actor MODEL embed= bottom= tower= experts= dropout=`: builds the model from the engine's
    /// defaults and the knobs given, and draws its weights.
    public func buildActor(_ kind: ModelKind, _ knobs: [(key: String, value: SettingValue)]) throws {
        guard let splits else {
            throw WorkspaceError.failed(data == nil ? "no dataset is loaded" : "the data is not split yet; run 'split' first")
        }
        let train = splits.train
        var config = ModelConfig(kind: kind, cardinalities: train.cardinalities, numericCount: train.numericCount, taskCount: train.taskCount)
        actor = try engineStep {
            for (key, value) in knobs { try config.set(key, to: value) }
            return try TrainableModel(config, batchCapacity: TrainConfig.paperBatchSize, threads: threads, group: replicaGroup, rng: &rng)
        }
        actorSettings = ActorSettings(config)
        actorRun = nil
        isActorTrained = false
        dropCritics()
        setConfig("actor", kind.rawValue)
        say("actor \(kind.displayName): \(actor!.parameterCount) parameters, \(String(format: "%.1f", actor!.flopsPerRow / 1e6)) MFLOP a row")
    }

    /// `train actor …`: supervised training with early stopping on validation mean AUC.
    public func trainActor(_ config: TrainConfig) throws {
        let trainer = SupervisedTrainer(config: config)
        try train(phase: "actor", config) { model, splits, rng, onEpoch, onStep in
            try trainer.train(model, train: splits.train, validation: splits.validation, rng: &rng, onEpoch: onEpoch, onStep: onStep)
        }
        dropCritics()
    }

    /// Runs `run` on the actor, reporting steps as progress and epochs as lines and history.
    func train(
        phase: String, _ settings: TrainConfig,
        run: (TrainableModel, DatasetSplits, inout RandomGenerator, (EpochReport) -> Void, (Int, Int, Double) -> Void) throws -> [EpochReport]
    ) throws {
        guard var model = actor, let splits else { throw WorkspaceError.failed("no actor: build one with 'actor esmm'") }
        if settings.batchSize > model.capacity && agent == nil {
            // a batch larger than the data is refused before the larger buffers are allocated
            try settings.validate(trainRows: splits.train.rowCount)
            model = try model.resized(batchCapacity: settings.batchSize)
            actor = model
        }
        lastTraining = settings  // recorded with results and exports (it was never set before)
        let runNumber = beginTrainingRun(changesActor: true)
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
                    record(EpochRecord(phase: phase, epoch: r.epoch, loss: r.trainLoss, auc: r.validation.map { ($0.task, $0.auc) },
                                       run: runNumber, model: actorSettings?.model))
                },
                { [self] step, steps, loss in
                    stepsDone += 1
                    let elapsed = Date().timeIntervalSince(start)
                    let rate = Double(stepsDone * settings.batchSize) / max(elapsed, 1e-9)
                    let secondsPerStep = Double(settings.batchSize) / max(rate, 1e-9)
                    let laterEpochs = max(0, settings.epochs - epochsDone - 1)
                    progress.update(ProgressReporter.line(epoch: epochsDone + 1, epochs: settings.epochs,
                                                          step: step, steps: steps, rowsPerSecond: rate, loss: loss,
                                                          eta: Double(steps - step) * secondsPerStep,
                                                          totalETA: Double(steps - step + laterEpochs * steps) * secondsPerStep))
                })
        }
        isActorTrained = true
        if let best = reports.last(where: \.isBest) {
            say("kept epoch \(best.epoch) of \(reports.count) (best mean validation AUC \(String(format: "%.4f", best.meanAUC)))")
        }
    }

    /// `critic mode= …`: builds the critics over the trained actor and fills the replay buffer from
    /// the training split's sessions (random actions in code mode, the actor's own predictions with
    /// noise in paper mode). `settings` are applied in order after `mode=`'s defaults.
    public func buildCritic(_ settings: [(key: String, value: SettingValue)]) throws {
        guard let model = actor, isActorTrained, let splits else { throw WorkspaceError.failed("train an actor first ('train actor')") }
        let start = Date()
        try engineStep {
            let parsed = try RMTLSettings.parse(settings)
            let agent = try RLAgent(actor: model, settings: parsed, rng: &rng)
            let warmup = try agent.warmUp(on: splits.train, rng: &rng)
            self.agent = agent
            say("critics (\(parsed.mode.rawValue) mode): \(warmup.episodes) warm-up episodes, \(warmup.transitions) transitions "
                + "in the buffer, in \(Value.formatElapsed(Date().timeIntervalSince(start)))")
        }
        isCriticTrained = false
        setConfig("critic", settings.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }

    /// Sets RL settings of the existing critics ("the value given last wins"), so that `show model`
    /// shows what the next training command uses.
    func updateCritic(_ settings: [(key: String, value: SettingValue)]) throws -> RLAgent {
        guard let agent else { throw WorkspaceError.failed("no critic: build one with 'critic'") }
        guard !settings.isEmpty else { return agent }
        try engineStep {
            var s = agent.settings
            for (key, value) in settings { try s.set(key, to: value) }
            try agent.update { $0 = s }
        }
        for (key, value) in settings { setConfig("critic \(key)", value.description) }
        return agent
    }

    /// `train critic epochs= batch=`: offline critic training with the actor frozen; `epochs` and
    /// `batch` default to the critic's settings and, when given, become them.
    public func trainCritic(epochs: Int? = nil, batchSize: Int? = nil) throws {
        let agent = try updateCritic([epochs.map { ("epochs", .integer($0)) }, batchSize.map { ("batch", .integer($0)) }].compactMap { $0 })
        let run = beginTrainingRun(changesActor: false)
        try engineStep {
            _ = try agent.trainCritic(rng: &rng) { [self] r in
                let alive = r.aliveFractions.map { String(format: "%.0f%%", 100 * $0) }.joined(separator: " ")
                say("critic epoch \(r.epoch)  TD loss \(String(format: "%.5f", r.tdLoss))  mean Q \(String(format: "%.4f", r.meanQ))  alive \(alive)")
                for w in r.warnings { warn(w.message, hint: w.hint) }
                record(EpochRecord(phase: "critic", epoch: r.epoch, loss: r.tdLoss, q: r.meanQ, run: run, model: actorSettings?.model))
            }
        }
        isCriticTrained = true
    }

    /// `train rmtl lambda= …`: fine-tune the actor from its weights with w = 1 − λ·Q and a fresh
    /// optimiser; λ is the critic's setting, which `lambda=` sets.
    public func trainRMTL(lambda: Double?, _ config: TrainConfig) throws {
        let agent = try updateCritic(lambda.map { [("lambda", .real($0))] } ?? [])
        try train(phase: "rmtl", config) { _, splits, rng, onEpoch, onStep in
            try agent.fineTune(train: splits.train, validation: splits.validation, config: config,
                               rng: &rng, onEpoch: onEpoch, onStep: onStep)
        }
    }

    /// `train ddpg …`: the D-PLE baseline, the actor updated by −mean Σ_k Q_k(s, π_k(s)); `batch`
    /// and `lr` are the critic's `batch` and `actor_lr` settings.
    public func trainDDPG(epochs: Int, batchSize: Int?, learningRate: Double?) throws {
        guard let splits else { throw WorkspaceError.failed("no critic: build one with 'critic' and train it") }
        let agent = try updateCritic([batchSize.map { ("batch", .integer($0)) }, learningRate.map { ("actor_lr", .real($0)) }].compactMap { $0 })
        let run = beginTrainingRun(changesActor: true)
        var warned = false
        try engineStep {
            _ = try agent.trainDDPG(validation: splits.validation, epochs: epochs, rng: &rng) { [self] r in
                let aucs = r.validation.map { "\($0.task) \(String(format: "%.4f", $0.auc))" }.joined(separator: "  ")
                let calibration = r.validation.indices.map {
                    "\(r.validation[$0].task) \(String(format: "%.4f", r.meanPredictions[$0]))/\(String(format: "%.4f", r.labelRates[$0]))"
                }.joined(separator: "  ")
                say("ddpg epoch \(r.epoch)  TD loss \(String(format: "%.5f", r.tdLoss))  policy Q \(r.meanPolicyQ.isNaN ? "- (no actor step yet: actor_after)" : String(format: "%.4f", r.meanPolicyQ))  val auc \(aucs)  mean p/rate \(calibration)\(r.isBest ? "  best" : "")")
                if !warned, let t = r.validation.indices.first(where: { r.meanPredictions[$0] < r.labelRates[$0] / 2 }) {
                    warned = true
                    var causes: [String] = []
                    if agent.settings.warmupPolicy == .random { causes.append("uniform random warm-up actions, few near the label rate (warmup=random)") }
                    if agent.settings.rescalesRewardAction { causes.append("the reward of 0.5·a + 0.5, highest at a = 0 for any row with a rate below 1/2 (rescale=on)") }
                    let why = causes.isEmpty ? "the critics' Q rises as the predictions fall"
                        : "the critics learnt Q from " + causes.joined(separator: " and from ") + ", so their Q falls with a and each actor step lowers every prediction"
                    warn("ddpg: the actor's mean \(r.validation[t].task) prediction \(String(format: "%.4f", r.meanPredictions[t])) is below half its label rate \(String(format: "%.4f", r.labelRates[t])): \(why); logloss rises while AUC holds",
                         hint: "the authors' code does the same; docs/results.md (D-PLE's logloss) measures the critic settings that change it (warmup=, rescale=)")
                }
                record(EpochRecord(phase: "ddpg", epoch: r.epoch, loss: r.tdLoss, auc: r.validation.map { ($0.task, $0.auc) }, q: r.meanPolicyQ,
                                   run: run, model: actorSettings?.model))
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
        storeEvaluation(result)
    }

    /// Stores an evaluation of the current actor (`eval`, `export predictions … as NAME`) and shows it.
    func storeEvaluation(_ result: EvalResult) {
        store(result)
        if let run = actorRun {  // charts label the run's series with the names it was evaluated as
            for i in history.indices where history[i].run == run && !(history[i].evaluatedAs ?? []).contains(result.name) {
                history[i].evaluatedAs = (history[i].evaluatedAs ?? []) + [result.name]
            }
        }
        emit(.table(resultTable([result])))
    }

    /// Numbers a new training run for `history`; a run that changes the actor's weights becomes
    /// the one later `eval`s label.
    func beginTrainingRun(changesActor: Bool) -> Int {
        let run = (history.compactMap(\.run).max() ?? 0) + 1
        if changesActor { actorRun = run }
        return run
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
                    ["embeddings", (actor?.modelConfig?.embeddings ?? .dense).rawValue],
                    ["trained", isActorTrained ? "yes" : "no"]]
        emit(.table(Table(header: ["setting", "value"], rows: rows)))
        if let agent {
            say(agent.summary)
            say("critic trained: \(isCriticTrained ? "yes" : "no")")
        }
    }
}

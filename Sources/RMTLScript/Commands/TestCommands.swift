import RMTL

/// Hidden commands for tests: left out of `help` and completion.
extension CommandSpec {
    static let sleep = CommandSpec(
        "sleep", params: [ParamSpec("seconds", .number, positional: true, required: true, "How long.")],
        hidden: true, summary: "Wait, polling for Ctrl-C (tests)."
    ) { a in try a.workspace.sleep(seconds: try a.number("seconds")!) }

    static let spin = CommandSpec(
        "spin", params: [ParamSpec("seconds", .number, positional: true, required: true, "How long.")],
        hidden: true, summary: "Busy-loop, polling for Ctrl-C, with a progress line (tests)."
    ) { a in try a.workspace.spin(seconds: try a.number("seconds")!) }

    static let recordResult = CommandSpec(
        "record", "result",
        params: [
            ParamSpec("as", .newResult, required: true, keyword: "as", "Name."),
            ParamSpec("seed", .integer(min: 0), "Seed to record (default: the workspace seed)."),
        ],
        acceptsAnyNamedArgument: true, hidden: true,
        summary: "Store a result by hand: TASK=[auc, logloss, slogloss] (tests).", effect: storesResult
    ) { a in
        let r = try a.result("as")!
        var tasks: [TaskMetrics] = []
        for (name, e) in a.bound.extra {
            guard case .list(let items) = try a.session.evaluate(e), items.count == 3,
                  let auc = Session.numeric(items[0]), let ll = Session.numeric(items[1]),
                  let sll = Session.numeric(items[2]) else {
                throw ScriptError.wrongType(argument: name.text, expected: "[auc, logloss, slogloss]",
                                            found: "something else", at: e.range)
            }
            tasks.append(TaskMetrics(task: name.text, auc: auc, logLoss: ll, sessionLogLoss: sll))
        }
        let seed = try a.integer("seed").map(UInt64.init) ?? a.workspace.seed
        a.workspace.record(EvalResult(base: r.base, index: r.index, seed: seed, tasks: tasks))
    }

    static let recordEpoch = CommandSpec(
        "record", "epoch",
        params: [
            ParamSpec("phase", .choice(["actor", "critic", "rmtl", "ddpg"]), default: .word("actor"), "Training phase."),
            ParamSpec("loss", .number, "Training loss."),
            ParamSpec("q", .number, "Mean Q."),
        ],
        acceptsAnyNamedArgument: true, hidden: true,
        summary: "Append an epoch to the history: loss=, q=, TASK=auc (tests)."
    ) { a in
        let w = a.workspace
        let phase = try a.word("phase")!
        let epoch = w.history.filter { $0.phase == phase }.count + 1
        var auc: [(String, Double)] = []
        for (name, e) in a.bound.extra {
            guard let v = Session.numeric(try a.session.evaluate(e)) else {
                throw ScriptError.wrongType(argument: name.text, expected: "a number", found: "something else", at: e.range)
            }
            auc.append((name.text, v))
        }
        w.record(EpochRecord(phase: phase, epoch: epoch, loss: try a.number("loss"), auc: auc, q: try a.number("q")))
    }
}

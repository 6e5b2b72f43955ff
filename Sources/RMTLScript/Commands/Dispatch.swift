import RMTL
import Foundation

/// Runs one bound command: converts its arguments to typed settings and calls the one
/// `Workspace` method for it. The table in `CommandTable.swift` lists every id handled here.
///
/// The force unwraps of argument values are safe: each names a parameter that is required (the
/// binder reported it missing otherwise, and nothing runs after a static error) or has a default.
extension Session {
    func dispatch(_ b: BoundCommand, _ a: Arguments) throws {
        let w = workspace
        switch b.spec.id {
        case "seed": w.setSeed(UInt64(try a.integer("value")!))
        case "threads": w.setThreads(try a.integer("count")!)
        case "generate retailrocket":
            try w.generateRetailRocket(directory: try a.string("dir")!, events: try a.integer("events")!,
                                       seed: try a.integer("seed").map(UInt64.init))
        case "load retailrocket", "load rmtl", "load kuairand":
            try w.load(format: b.spec.sub!, path: try a.string("dir")!)
        case "load csv":
            let options = Workspace.CSVOptions(
                categorical: try a.nameList("cat") ?? [], numeric: try a.nameList("num") ?? [],
                labels: (try a.pairs("labels") ?? []).map { (task: $0.0, column: $0.1) },
                session: try a.value("session")?.text, time: try a.value("time")?.text,
                separator: try a.word("sep")!, logNumeric: try a.word("scale")! == "log")
            try w.load(format: "csv", path: try a.string("file")!, csv: options)
        case "sessionize":
            let by = try a.value("by")?.text
            if by != nil, b.values["gap"] != nil {
                throw ScriptError.invalidUse("give 'gap=' or 'by=', not both", at: b.syntax.range)
            }
            try w.sessionize(gap: by == nil ? try a.duration("gap") : nil, byColumn: by)
        case "split":
            try w.split(mode: try a.word("mode")!, train: try a.number("train")!, validation: try a.number("val")!,
                        test: try a.number("test")!, keepSessions: try a.bool("keep_sessions")!,
                        byColumn: try a.value("by")?.text)
        case "show": try show(b, a)
        case "actor":
            var s = ActorSettings(model: try a.word("model")!)
            s.embedDim = try a.integer("embed")!
            s.bottom = try a.integerList("bottom")!
            s.tower = try a.integerList("tower")!
            s.experts = try a.integer("experts")!
            s.dropout = try a.number("dropout")!
            try w.buildActor(s)
        case "train actor": try w.trainActor(try trainSettings(a))
        case "critic":
            // Only values the script gives override the chosen mode's defaults (mode=code has γ 0.9).
            var pairs: [(key: String, value: String)] = [("mode", try a.word("mode")!)]
            for key in ["gamma", "tau", "lr"] where b.values[key] != nil {
                pairs.append((key, Value.format(try a.number(key)!)))
            }
            for spec in rlSettingParams where b.values[spec.name] != nil {
                pairs.append((spec.name, try a.value(spec.name)!.text))
            }
            try w.buildCritic(pairs)
        case "train critic": try w.trainCritic(epochs: try a.integer("epochs")!, batchSize: try a.integer("batch")!)
        case "train rmtl": try w.trainRMTL(lambda: try a.number("lambda")!, try trainSettings(a))
        case "train ddpg":
            try w.trainDDPG(epochs: try a.integer("epochs")!, batchSize: try a.integer("batch")!,
                            learningRate: try a.number("lr")!)
        case "eval":
            let r = try a.result("as")!
            try w.evaluate(split: try a.word("split")!, base: r.base, index: r.index)
        case "compare":
            let names = try b.rest.map(resultReference)
            let metric = try a.word("metric")!
            var options = Workspace.CompareOptions()
            options.paired = try a.word("test")! == "paired"
            options.best = try a.resultNames("best")?.flatMap { $0 } ?? []
            options.star = try a.resultNames("star") ?? []
            options.markdownPath = try a.string("markdown")
            try w.compare(names, metrics: metric == "all" ? metricNames : [metric], options: options)
        case "runs":
            try w.listRuns(RunRegistry.Filter(last: try a.integer("last"), script: try a.string("script"),
                                              status: try a.word("status"), result: try a.value("result")?.text))
        case "save": try w.save(to: try a.string("file")!)
        case "restore": try w.restore(from: try a.string("file")!)
        case "export results": try w.exportResults(to: try a.string("file")!)
        case "import results": try w.importResults(from: try a.string("file")!)
        case "plot loss", "plot auc", "plot q": try w.plot(b.spec.sub!, file: try a.string("file"))
        case "report": try writeReport(to: try a.string("file")!)
        case "help": write(Help.text(topic: try a.value("topic")?.text, sub: try a.value("sub")?.text))
        case "quit": requestQuit()
        case "sleep": try w.sleep(seconds: try a.number("seconds")!)
        case "spin": try w.spin(seconds: try a.number("seconds")!)
        case "record result":
            let r = try a.result("as")!
            var tasks: [TaskMetrics] = []
            for (name, e) in b.extra {
                guard case .list(let items) = try evaluate(e), items.count == 3,
                      let auc = Session.numeric(items[0]), let ll = Session.numeric(items[1]),
                      let sll = Session.numeric(items[2]) else {
                    throw ScriptError.wrongType(argument: name.text, expected: "[auc, logloss, slogloss]",
                                                found: "something else", at: e.range)
                }
                tasks.append(TaskMetrics(task: name.text, auc: auc, logLoss: ll, sessionLogLoss: sll))
            }
            let seed = try a.integer("seed").map(UInt64.init) ?? w.seed
            w.record(EvalResult(base: r.base, index: r.index, seed: seed, tasks: tasks))
        case "record epoch":
            let phase = try a.word("phase")!
            let epoch = w.history.filter { $0.phase == phase }.count + 1
            var auc: [(String, Double)] = []
            for (name, e) in b.extra {
                guard let v = Session.numeric(try evaluate(e)) else {
                    throw ScriptError.wrongType(argument: name.text, expected: "a number", found: "something else", at: e.range)
                }
                auc.append((name.text, v))
            }
            w.record(EpochRecord(phase: phase, epoch: epoch, loss: try a.number("loss"), auc: auc, q: try a.number("q")))
        default:
            throw ScriptError.commandUnavailable(command: b.spec.id, at: b.syntax.range)
        }
    }

    private func trainSettings(_ a: Arguments) throws -> TrainSettings {
        var s = TrainSettings()
        s.epochs = try a.integer("epochs")!
        s.batchSize = try a.integer("batch")!
        s.learningRate = try a.number("lr")!
        s.weightDecay = try a.number("wd")!
        s.patience = try a.integer("patience")!
        if let shuffle = try? a.bool("shuffle") { s.shuffle = shuffle }
        return s
    }

    /// `show data|model|results|variables|history|config|NAME|VALUE`.
    private func show(_ b: BoundCommand, _ a: Arguments) throws {
        let w = workspace
        guard let e = b.values["what"] else { return w.showResults() }
        if case .word(let topic, _) = e {
            switch topic {
            case "data": return w.showData()
            case "model": return w.showModel()
            case "results": return w.showResults()
            case "variables":
                let rows = variableOrder.compactMap { n in variables[n].map { [n, $0.description] } }
                if rows.isEmpty { return write("no variables") }
                return w.emit(.table(Table(header: ["name", "value"], rows: rows)))
            case "history":
                if w.history.isEmpty { return write("no training history yet") }
                let rows = w.history.map { r in
                    [r.phase, String(r.epoch), r.loss.map { String(format: "%.4f", $0) } ?? "-",
                     r.taskOrder.map { "\($0) \(String(format: "%.4f", r.auc[$0] ?? .nan))" }.joined(separator: ", "),
                     r.q.map { String(format: "%.4f", $0) } ?? "-"]
                }
                return w.emit(.table(Table(header: ["phase", "epoch", "loss", "AUC", "Q"], rows: rows, rightAligned: [1, 2, 4])))
            case "run": return try w.showRun(Int64(try a.integer("id")!))
            case "config":
                var rows = [["seed", String(w.seed)], ["threads", String(w.threads)]]
                rows += w.config.filter { $0.0 != "seed" && $0.0 != "threads" }.map { [$0.0, $0.1] }
                return w.emit(.table(Table(header: ["setting", "value"], rows: rows)))
            default:
                if let v = variables[topic] { return write(Session.showText(v)) }
                return try w.showResult(base: topic, index: nil)
            }
        }
        let v = try evaluate(e)
        if case .indexedName(let base, let index) = v { return try w.showResult(base: base, index: index) }
        if case .interpolated = e, case .word(let name) = v { return try w.showResult(base: name, index: nil) }
        write(Session.showText(v))
    }

    /// Strings print without quotes; everything else as written.
    static func showText(_ v: Value) -> String {
        if case .string(let s) = v { return s }
        return v.description
    }
}

extension Session {
    /// A `compare` argument as a reference: `esmm`, `esmm[$s]`, or `@12.esmm` (checked against the
    /// registry here, so a bad run or name is reported at the argument).
    func resultReference(_ e: Expr) throws -> ResultReference {
        var run: Int64?
        var nameExpr = e
        if case .runResult(let id, let inner, _) = e { (run, nameExpr) = (id, inner) }
        let v = try evaluate(nameExpr)
        guard let r = Arguments.resultName(v) else {
            throw ScriptError.wrongType(argument: "results", expected: "a result name", found: v.typeName, at: e.range)
        }
        let ref = ResultReference(base: r.base, index: r.index, run: run)
        if run != nil {
            do { _ = try workspace.resolve(ref) } catch let error as WorkspaceError {
                throw Session.scriptError(error, command: "compare", at: e.range)
            }
        }
        return ref
    }
}

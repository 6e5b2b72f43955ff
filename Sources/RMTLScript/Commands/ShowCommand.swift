import Foundation

extension CommandSpec {
    /// Words `show` accepts besides variable and result names.
    static let showTopics = ["data", "model", "results", "variables", "history", "config", "run"]

    static let show = CommandSpec(
        "show",
        params: [
            ParamSpec("what", .any, default: .word("results"), positional: true,
                      "data, model, results, variables, history, config, run N, a result, a variable or a value."),
            ParamSpec("id", .integer(min: 1), positional: true, "With 'run': the run's number ('runs' lists them)."),
        ],
        rules: [ArgumentRule { b, _ in
            let isRun: Bool = { if case .word("run", _) = b.values["what"] { return true } else { return false } }()
            if isRun, b.values["id"] == nil {
                return .missingArgument(command: "show run", argument: "the run's number, as in 'show run 12'", at: b.syntax.range)
            }
            if !isRun, let id = b.values["id"] { return .tooManyArguments(command: "show", at: id.range) }
            return nil
        }],
        summary: "Print a summary, a result table, a value, or everything the registry holds about a past run."
    ) { a in try a.session.show(a) }
}

extension Session {
    /// `show data|model|results|variables|history|config|run N|NAME|VALUE`.
    func show(_ a: Arguments) throws {
        let w = workspace
        guard let e = a.bound.values["what"] else { return w.showResults() }
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
                if let v = variables[topic] { return w.say(Session.showText(v)) }
                return try w.showResult(base: topic, index: nil)
            }
        }
        let v = try evaluate(e)
        if case .indexedName(let base, let index) = v { return try w.showResult(base: base, index: index) }
        if case .interpolated = e, case .word(let name) = v { return try w.showResult(base: name, index: nil) }
        // an output item, so reports keep it and a notebook cell ending with it has it as its value
        w.say(Session.showText(v))
    }

    /// Strings print without quotes; everything else as written.
    static func showText(_ v: Value) -> String {
        if case .string(let s) = v { return s }
        return v.description
    }
}

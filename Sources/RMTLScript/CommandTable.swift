import RMTL

/// The type an argument accepts; feeds the checker, `help` and completion.
public enum ParamType: Sendable, Equatable {
    case number
    /// A number in 0…1.
    case fraction
    case positiveNumber
    /// A whole number ≥ `min` (`2048`, `2.7M`).
    case integer(min: Int)
    case duration
    /// A quoted file or folder name.
    case path
    /// One of these words.
    case choice([String])
    /// A model name (`ModelKind`).
    case model
    case bool
    case integerList
    /// `[ctr=is_click, ctcvr=long_view]`: task name = column.
    case labelMap
    /// `[a, b]` column names.
    case nameList
    /// `[a, b]` or `[[x, a, b], …]`: existing results.
    case resultList
    /// A new result name, possibly indexed: `esmm`, `esmm[$s]`.
    case newResult
    /// An existing result or result group.
    case result
    /// Anything (`show`, `help` topics); the command checks it.
    case any

    /// How help and error messages describe it.
    public var summary: String {
        switch self {
        case .number: return "a number"
        case .fraction: return "a number from 0 to 1"
        case .positiveNumber: return "a positive number"
        case .integer(let min): return min > 0 ? "a whole number ≥ \(min)" : "a whole number"
        case .duration: return "a duration such as 30m"
        case .path: return "a file name in quotes"
        case .choice(let words): return words.joined(separator: "|")
        case .model: return "a model (" + modelNames.joined(separator: "|") + ")"
        case .bool: return "true or false"
        case .integerList: return "a list of whole numbers such as [512, 256]"
        case .labelMap: return "a list such as [ctr=is_click, ctcvr=long_view]"
        case .nameList: return "a list of column names"
        case .resultList: return "a list of result names"
        case .newResult: return "a result name such as esmm or esmm[$s]"
        case .result: return "a result name"
        case .any: return "a name"
        }
    }
}

/// One argument of a command.
public struct ParamSpec: Sendable {
    public var name: String
    public var type: ParamType
    /// Used when the argument is left out; nil with `isRequired == false` means "not set".
    public var defaultValue: Value?
    /// Can be given without `name=`, in declaration order.
    public var isPositional: Bool
    public var isRequired: Bool
    /// Introduced by a word instead of `name=` (`eval test as esmm`).
    public var keyword: String?
    public var help: String

    init(_ name: String, _ type: ParamType, default value: Value? = nil, positional: Bool = false,
         required: Bool = false, keyword: String? = nil, _ help: String) {
        self.name = name
        self.type = type
        self.defaultValue = value
        self.isPositional = positional
        self.isRequired = required
        self.keyword = keyword
        self.help = help
    }
}

/// One command of the language: the single description that the checker, the interpreter,
/// `help`, tab completion and suggestions all read.
public struct CommandSpec: Sendable {
    /// `"train actor"`, `"seed"`.
    public var id: String { sub.map { "\(verb) \($0)" } ?? verb }
    public var verb: String
    public var sub: String?
    public var params: [ParamSpec]
    /// Extra positional values (`compare A B …`).
    public var variadic: ParamSpec?
    /// Accepts any `name=value` (the hidden `record` test commands).
    public var acceptsAnyNamedArgument = false
    /// Engine state that must exist before it runs.
    public var needs: [StateFlag]
    /// Engine state it creates.
    public var produces: [StateFlag]
    public var summary: String
    /// Hidden commands are for tests: left out of `help` and completion.
    public var isHidden = false

    public func param(_ name: String) -> ParamSpec? { params.first { $0.name == name } }

    /// `train actor [epochs=1000] [batch=2048] …`
    public var usage: String {
        var parts = [id]
        for p in params {
            let shown: String
            if let k = p.keyword { shown = "\(k) NAME" }
            else if p.isPositional { shown = p.name.uppercased() }
            else { shown = "\(p.name)=" + (p.defaultValue?.description ?? "…") }
            parts.append(p.isRequired ? shown : "[\(shown)]")
        }
        if let v = variadic { parts.append("\(v.name.uppercased())…") }
        return parts.joined(separator: " ")
    }
}

// KEEP IN SYNC: ModelKind (Sources/RMTL); switch to `ModelKind.allCases.map(\.rawValue)` once merged.
public let modelNames = ["single", "sharedbottom", "esmm", "omoe", "mmoe", "ple", "aitm"]
/// Per-task metrics stored in a result, in report order.
public let metricNames = ["auc", "logloss", "slogloss"]
/// Words `show` accepts besides variable and result names.
public let showTopics = ["data", "model", "results", "variables", "history", "config", "run"]
/// Statements that are not commands.
public let keywords = ["let", "for", "if", "include", "assert"]

private func n(_ v: Double) -> Value { .number(v) }

/// Every other RL setting the engine knows (`RMTLSettings.keys`), settable on its own after `mode=`:
/// `critic mode=code td=target warmup=actor weight=label keep=best …`. The engine checks the values.
let rlSettingParams: [ParamSpec] = RMTLSettings.keys.filter { !["mode", "gamma", "tau", "lr"].contains($0) }.map {
    ParamSpec($0, .any, "RL setting '\($0)' (its default comes from mode=; 'show model' lists the effective values).")
}

/// Every command, in the order `help` lists them. Defaults are the paper's hyperparameters
/// (rmtl-reference.md §2.2, §2.4, §3.5–3.8).
public let commandTable: [CommandSpec] = [
    CommandSpec(verb: "seed", params: [
        ParamSpec("value", .integer(min: 0), positional: true, required: true, "The seed.")],
        needs: [], produces: [],
        summary: "Seed data order, initialisation, dropout and replay sampling (default 2022)."),
    CommandSpec(verb: "threads", params: [
        ParamSpec("count", .integer(min: 1), positional: true, required: true, "Worker threads.")],
        needs: [], produces: [], summary: "Set the number of worker threads (default: all cores)."),
    CommandSpec(verb: "generate", sub: "retailrocket", params: [
        ParamSpec("dir", .path, positional: true, required: true, "Folder to write the raw files to."),
        ParamSpec("events", .integer(min: 1), default: n(2_700_000), "Number of events."),
        ParamSpec("seed", .integer(min: 0), "Generator seed (default: the workspace seed)."),
    ], needs: [], produces: [],
        summary: "Write synthetic raw RetailRocket files (Kaggle format) with learnable signal."),
    CommandSpec(verb: "load", sub: "retailrocket", params: [
        ParamSpec("dir", .path, positional: true, required: true, "Folder with events.csv and item properties.")],
        needs: [], produces: [.data], summary: "Load raw RetailRocket Kaggle files (tasks ctr, ctcvr)."),
    CommandSpec(verb: "load", sub: "rmtl", params: [
        ParamSpec("dir", .path, positional: true, required: true, "Folder with train/val/test.csv and item_feadf.csv.")],
        needs: [], produces: [.data, .sessions, .splits],
        summary: "Load the authors' processed layout (tasks ctr, ctcvr; already split)."),
    CommandSpec(verb: "load", sub: "kuairand", params: [
        ParamSpec("dir", .path, positional: true, required: true, "Folder with the KuaiRand-1K files.")],
        needs: [], produces: [.data], summary: "Load raw KuaiRand-1K files."),
    CommandSpec(verb: "load", sub: "csv", params: [
        ParamSpec("file", .path, positional: true, required: true, "The table."),
        ParamSpec("cat", .nameList, default: .list([]), "Categorical columns."),
        ParamSpec("num", .nameList, default: .list([]), "Numeric columns."),
        ParamSpec("labels", .labelMap, required: true, "Task name = 0/1 label column."),
        ParamSpec("session", .any, "Session column."),
        ParamSpec("time", .any, "Time column (Unix milliseconds)."),
        ParamSpec("sep", .choice(["comma", "tab", "semicolon", "pipe"]), default: .word("comma"), "Field separator."),
        ParamSpec("scale", .choice(["none", "log"]), default: .word("none"),
                  "Numeric columns as read, or sign(x)·log(1 + |x|) for counts and durations."),
    ], needs: [], produces: [.data], summary: "Load any CSV/TSV table."),
    CommandSpec(verb: "sessionize", params: [
        ParamSpec("gap", .duration, default: .duration(1800), "Inactivity gap that ends a session."),
        ParamSpec("by", .any, "Take sessions from this column instead."),
    ], needs: [.data], produces: [.sessions], summary: "Cut sessions by an inactivity gap, or take a column."),
    CommandSpec(verb: "split", params: [
        ParamSpec("mode", .choice(["time", "preset"]), default: .word("time"), positional: true,
                  "By time, or the parts the source already has (the processed layout's files)."),
        ParamSpec("train", .fraction, default: n(0.6), positional: true, "Training fraction."),
        ParamSpec("val", .fraction, default: n(0.2), positional: true, "Validation fraction."),
        ParamSpec("test", .fraction, default: n(0.2), positional: true, "Test fraction."),
        ParamSpec("keep_sessions", .bool, default: .bool(true), "Keep each session in one part."),
        ParamSpec("by", .any, "Split by this column's values (train/val/test or 0/1/2) instead."),
    ], needs: [.data], produces: [.splits], summary: "Split into train/val/test (fractions sum to 1); encoders are fit on train."),
    CommandSpec(verb: "show", params: [
        ParamSpec("what", .any, default: .word("results"), positional: true,
                  "data, model, results, variables, history, config, run N, a result, a variable or a value."),
        ParamSpec("id", .integer(min: 1), positional: true, "With 'run': the run's number ('runs' lists them)."),
    ], needs: [], produces: [],
        summary: "Print a summary, a result table, a value, or everything the registry holds about a past run."),
    CommandSpec(verb: "actor", params: [
        ParamSpec("model", .model, positional: true, required: true, "The multi-task model."),
        ParamSpec("embed", .integer(min: 1), default: n(128), "Embedding size per field."),
        ParamSpec("bottom", .integerList, default: .list([n(512), n(256)]), "Bottom / expert MLP sizes."),
        ParamSpec("tower", .integerList, default: .list([n(128), n(64)]), "Tower MLP sizes."),
        ParamSpec("experts", .integer(min: 1), default: n(8), "Experts (MMoE, OMoE; PLE splits them 4+4)."),
        ParamSpec("dropout", .fraction, default: n(0.2), "Dropout probability."),
    ], needs: [.data], produces: [.actor], summary: "Choose and build the multi-task model (the actor)."),
    CommandSpec(verb: "train", sub: "actor", params: [
        ParamSpec("epochs", .integer(min: 1), default: n(1000), "Most epochs (early stopping ends sooner)."),
        ParamSpec("batch", .integer(min: 1), default: n(2048), "Batch size."),
        ParamSpec("lr", .positiveNumber, default: n(1e-3), "Adam learning rate."),
        ParamSpec("wd", .number, default: n(1e-6), "L2 weight decay."),
        ParamSpec("patience", .integer(min: 1), default: n(2), "Epochs without validation AUC gain before stopping."),
        ParamSpec("shuffle", .bool, default: .bool(false), "Shuffle rows each epoch (the authors' code does not)."),
    ], needs: [.actor, .splits], produces: [.trainedActor],
        summary: "Supervised training with early stopping on validation mean AUC."),
    CommandSpec(verb: "critic", params: [
        ParamSpec("gamma", .fraction, default: n(0.95), "Discount (paper 0.95; authors' code 0.9)."),
        ParamSpec("tau", .fraction, default: n(0.2), "Soft target update rate."),
        ParamSpec("lr", .positiveNumber, default: n(1e-3), "Critic learning rate."),
        ParamSpec("mode", .choice(["paper", "code"]), default: .word("paper"),
                  "Follow the paper or the authors' code where they differ (rmtl-reference.md §8)."),
    ] + rlSettingParams, needs: [.trainedActor], produces: [.critic],
        summary: "Build the RMTL critics over the trained actor and fill the replay buffer; any RL setting can be overridden."),
    CommandSpec(verb: "train", sub: "critic", params: [
        ParamSpec("epochs", .integer(min: 1), default: n(96), "Critic epochs (RLmain.py uses 96)."),
        ParamSpec("batch", .integer(min: 1), default: n(2048), "Batch size."),
    ], needs: [.critic, .splits], produces: [.trainedCritic], summary: "Offline critic training from the session MDP."),
    CommandSpec(verb: "train", sub: "rmtl", params: [
        ParamSpec("lambda", .number, default: n(0.7), "Weight λ in w = 1 − λ·Q (paper 0.7)."),
        ParamSpec("epochs", .integer(min: 1), default: n(1000), "Most epochs."),
        ParamSpec("batch", .integer(min: 1), default: n(2048), "Batch size."),
        ParamSpec("lr", .positiveNumber, default: n(1e-3), "Adam learning rate (a fresh optimiser)."),
        ParamSpec("wd", .number, default: n(1e-6), "L2 weight decay."),
        ParamSpec("patience", .integer(min: 1), default: n(2), "Early-stopping patience."),
    ], needs: [.trainedCritic, .splits], produces: [.trainedActor],
        summary: "Fine-tune the actor with the critic-weighted loss w = 1 − λ·Q."),
    CommandSpec(verb: "train", sub: "ddpg", params: [
        ParamSpec("epochs", .integer(min: 1), default: n(96), "Epochs."),
        ParamSpec("batch", .integer(min: 1), default: n(2048), "Batch size."),
        ParamSpec("lr", .positiveNumber, default: n(1e-3), "Actor learning rate."),
    ], needs: [.trainedCritic, .splits], produces: [.trainedActor],
        summary: "The D-PLE baseline: update the actor by the critics' gradient."),
    CommandSpec(verb: "eval", params: [
        ParamSpec("split", .choice(["test", "val"]), default: .word("test"), positional: true, "Which part to score."),
        ParamSpec("as", .newResult, required: true, keyword: "as", "Name to store the result under."),
    ], needs: [.trainedActor, .splits], produces: [],
        summary: "AUC, Logloss and s-Logloss per task, stored under a name."),
    CommandSpec(verb: "compare", params: [
        ParamSpec("metric", .choice(["all"] + metricNames), default: .word("all"), "Which metrics to show."),
        ParamSpec("test", .choice(["welch", "paired"]), default: .word("welch"),
                  "Welch's t-test, or the paired t-test over results sharing their index (seed)."),
        ParamSpec("best", .resultList, "Mark the best of these columns per metric with †, e.g. the baselines."),
        ParamSpec("star", .resultList, "[[X, A, B], …]: mark X with * where it beats A and B at p < 0.05."),
        ParamSpec("markdown", .path, "Also write the table(s) to this Markdown file."),
    ], variadic: ParamSpec("results", .result, positional: true, required: true,
                           "Results or result groups; @N.NAME is result NAME of past run N ('runs' lists them)."),
        needs: [], produces: [],
        summary: "Side-by-side table; over several seeds: mean ± std and a two-sided t-test (Welch, or paired by seed)."),
    CommandSpec(verb: "runs", params: [
        ParamSpec("last", .integer(min: 1), default: n(20), "Show at most this many runs, newest first."),
        ParamSpec("script", .path, "Only runs whose script path contains this text (\"<prompt>\" for prompt sessions)."),
        ParamSpec("status", .choice(RunRegistry.statuses), "Only runs with this status."),
        ParamSpec("result", .any, "Only runs that stored a result of this name or group."),
    ], needs: [], produces: [],
        summary: "List past runs from the run registry (.rmtl/runs.sqlite): status, time, script, results."),
    CommandSpec(verb: "save", params: [
        ParamSpec("file", .path, positional: true, required: true, "Where to write the state.")],
        needs: [.actor], produces: [],
        summary: "Save the actor, encoders, random state, data fingerprint and, after 'critic', the critics, targets, "
            + "optimiser moments and replay buffer, atomically (safetensors)."),
    // The checker cannot read the file, so `restore` may produce critics: one saved before `critic`
    // has none, and a following `train critic` then fails at run time with "no critic".
    CommandSpec(verb: "restore", params: [
        ParamSpec("file", .path, positional: true, required: true, "A file written by 'save'.")],
        needs: [], produces: [.actor, .trainedActor, .critic, .trainedCritic],
        summary: "Restore everything 'save' wrote, over the same data (checked by fingerprint, format version, digest "
            + "and shapes); training continues bit-identically."),
    CommandSpec(verb: "export", sub: "results", params: [
        ParamSpec("file", .path, positional: true, required: true, "The JSON file to write.")],
        needs: [], produces: [], summary: "Write every named result with seed, config and data fingerprint as JSON."),
    CommandSpec(verb: "import", sub: "results", params: [
        ParamSpec("file", .path, positional: true, required: true, "A JSON file written by 'export results' or --results.")],
        needs: [], produces: [],
        summary: "Read named results from an 'export results' file (another run, machine or CI job), to compare with."),
    CommandSpec(verb: "plot", sub: "loss", params: [
        ParamSpec("file", .path, positional: true, "Also write the SVG here.")],
        needs: [], produces: [], summary: "Chart the training loss per epoch (SVG)."),
    CommandSpec(verb: "plot", sub: "auc", params: [
        ParamSpec("file", .path, positional: true, "Also write the SVG here.")],
        needs: [], produces: [], summary: "Chart the validation AUC per task per epoch (SVG)."),
    CommandSpec(verb: "plot", sub: "q", params: [
        ParamSpec("file", .path, positional: true, "Also write the SVG here.")],
        needs: [], produces: [], summary: "Chart the critics' mean Q per epoch (SVG)."),
    CommandSpec(verb: "report", params: [
        ParamSpec("file", .path, positional: true, required: true, "The HTML file to write.")],
        needs: [], produces: [], summary: "Write a self-contained page: every command, its output, tables and charts."),
    CommandSpec(verb: "help", params: [
        ParamSpec("topic", .any, positional: true, "A command."),
        ParamSpec("sub", .any, positional: true, "Its second word (help train actor)."),
    ], needs: [], produces: [], summary: "List the commands, or describe one."),
    CommandSpec(verb: "quit", params: [], needs: [], produces: [], summary: "Leave the prompt (Ctrl-D also does)."),
    // MARK: hidden test commands
    CommandSpec(verb: "sleep", params: [
        ParamSpec("seconds", .number, positional: true, required: true, "How long.")],
        needs: [], produces: [], summary: "Wait, polling for Ctrl-C (tests).", isHidden: true),
    CommandSpec(verb: "spin", params: [
        ParamSpec("seconds", .number, positional: true, required: true, "How long.")],
        needs: [], produces: [], summary: "Busy-loop, polling for Ctrl-C, with a progress line (tests).", isHidden: true),
    CommandSpec(verb: "record", sub: "result", params: [
        ParamSpec("as", .newResult, required: true, keyword: "as", "Name."),
        ParamSpec("seed", .integer(min: 0), "Seed to record (default: the workspace seed)."),
    ], acceptsAnyNamedArgument: true, needs: [], produces: [],
        summary: "Store a result by hand: TASK=[auc, logloss, slogloss] (tests).", isHidden: true),
    CommandSpec(verb: "record", sub: "epoch", params: [
        ParamSpec("phase", .choice(["actor", "critic", "rmtl", "ddpg"]), default: .word("actor"), "Training phase."),
        ParamSpec("loss", .number, "Training loss."),
        ParamSpec("q", .number, "Mean Q."),
    ], acceptsAnyNamedArgument: true, needs: [], produces: [],
        summary: "Append an epoch to the history: loss=, q=, TASK=auc (tests).", isHidden: true),
]

/// Lookups over `commandTable`.
public enum Commands {
    /// Verbs in table order, without duplicates.
    public static func verbs(includeHidden: Bool = false) -> [String] {
        includeHidden ? allVerbs : visibleVerbs
    }

    /// Second words of a verb (`train` → actor, critic, rmtl, ddpg), or empty.
    public static func subs(of verb: String) -> [String] { subsByVerb[verb] ?? [] }

    public static func spec(verb: String, sub: String?) -> CommandSpec? {
        specByID[sub.map { "\(verb) \($0)" } ?? verb]
    }

    // Derived once from `commandTable` (lookups run for every command checked).
    private static func makeVerbs(_ includeHidden: Bool) -> [String] {
        var seen: [String] = []
        for c in commandTable where (includeHidden || !c.isHidden) && !seen.contains(c.verb) { seen.append(c.verb) }
        return seen
    }
    private static let allVerbs = makeVerbs(true)
    private static let visibleVerbs = makeVerbs(false)
    private static let subsByVerb: [String: [String]] = Dictionary(grouping: commandTable.filter { $0.sub != nil },
                                                                   by: \.verb).mapValues { $0.compactMap(\.sub) }
    private static let specByID: [String: CommandSpec] = Dictionary(commandTable.map { ($0.id, $0) },
                                                                    uniquingKeysWith: { a, _ in a })
}

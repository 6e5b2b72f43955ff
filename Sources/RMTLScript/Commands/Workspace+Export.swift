import Foundation
import RMTL

// MARK: - export predictions, predict, plot calibration, export onnx
extension Workspace {
    /// The trained actor, the encoded part `split` and the rows of the loaded table behind it.
    private func scoredPart(_ split: String) throws -> (model: TrainableModel, data: Dataset, rows: [Int], pipeline: DataPipeline) {
        guard let model = actor, isActorTrained else {
            throw WorkspaceError.rejected("no trained actor", hint: "run 'actor MODEL' and 'train actor' (or 'restore') first")
        }
        guard let splits, let pipeline = data, let rows = pipeline.tableRows(ofPart: split) else {
            throw WorkspaceError.rejected("no split data", hint: "run 'split' first")
        }
        let part = split == "train" ? splits.train : split == "val" ? splits.validation : splits.test
        guard part.rowCount > 0, rows.count == part.rowCount else { throw WorkspaceError.failed("the \(split) split is empty") }
        return (model, part, rows, pipeline)
    }

    /// `export predictions FILE split= [as NAME]`: one CSV row per example of the split, in the
    /// split's order: the raw keys and features, the time, then per task its label and predicted
    /// probability. With `as`, the metrics of exactly these predictions are stored as `eval` would.
    public func exportPredictions(to path: String, split: String, base: String?, index: String?) throws {
        let (model, part, rows, pipeline) = try scoredPart(split)
        let predictions = model.predict(part)
        var table = PredictionTable()
        for c in pipeline.rawColumns(rows: rows) { table.append(c) }
        for (t, task) in part.taskNames.enumerated() {
            table.append(.floats("\(task)_label", part.labels[t]))
            table.append(.floats("\(task)_pred", predictions[t]))
        }
        let bytes = try writeExport(table, to: path)
        say("wrote \(table.rowCount) rows of the \(split) split to \(path) (\(table.columns.count) columns: "
            + "\(table.columns.map(\.name).joined(separator: ", ")); \(ByteCount.format(Int64(bytes))))")
        if let base {
            let result = EvalResult(base: base, index: index, seed: seed, split: split, model: actorSettings?.model,
                                    tasks: RMTL.evaluate(predictions: predictions, on: part))
            storeEvaluation(result)
        }
    }

    /// `predict FILE to OUT`: scores a new file of the loaded source's shape (labels optional) with the
    /// trained encoders and actor (`DataPipeline.scoringInput(path:)` says what each source reads).
    public func predict(file: String, to path: String) throws {
        guard let model = actor, isActorTrained else {
            throw WorkspaceError.rejected("no trained actor", hint: "run 'actor MODEL' and 'train actor' (or 'restore') first")
        }
        guard let pipeline = data else { throw WorkspaceError.rejected("no dataset is loaded", hint: "load the training data first") }
        let input = try engineStep { try pipeline.scoringInput(path: file) }
        let predictions = model.predict(input.data)
        let tasks = actorTaskNames
        var table = PredictionTable()
        for c in input.rawColumns { table.append(c) }
        for (t, task) in tasks.enumerated() { table.append(.floats("\(task)_pred", predictions[t])) }
        let bytes = try writeExport(table, to: path)
        say("scored \(table.rowCount) rows of \(file); wrote \(path) (\(ByteCount.format(Int64(bytes))))")
        let unseen = input.unseenCounts.filter { $0.rows > 0 }
        if !unseen.isEmpty {
            say("note: values not seen in training (encoded as in training, with the field's unseen id): "
                + unseen.map { "\($0.field) \($0.rows) row\($0.rows == 1 ? "" : "s")" }.joined(separator: ", "))
        }
        let dropped = input.dropped.filter { $0.count > 0 }
        if !dropped.isEmpty {
            say("note: rows left out as at load: " + dropped.map { "\($0.count) (\($0.reason))" }.joined(separator: ", "))
        }
        if input.labeledTasks.isEmpty { say("no label columns in \(file): predictions only") }
    }

    /// The actor's task names, in output order.
    var actorTaskNames: [String] { splits?.train.taskNames ?? [] }

    /// `plot calibration [split=test] [FILE]`: one reliability chart, a series per task.
    public func plotCalibration(split: String, file: String?) throws {
        let (model, part, _, _) = try scoredPart(split)
        let predictions = model.predict(part)
        var series: [SVGChart.Series] = []
        var notes: [String] = []
        for (t, task) in part.taskNames.enumerated() {
            let bins = calibrationBins(probabilities: predictions[t], labels: part.labels[t])
            let ece = expectedCalibrationError(bins)
            series.append(SVGChart.Series(name: "\(task) (ECE \(String(format: "%.4f", ece)))",
                                          points: bins.map { ($0.meanPrediction, $0.observedRate) }))
            notes.append("\(task): ECE \(String(format: "%.4f", ece)), \(bins.count) bins of ~\(bins.first?.rows ?? 0) rows")
        }
        var chart = SVGChart(title: "Calibration on the \(split) split (\(actorSettings.map { ModelKind(rawValue: $0.model)?.displayName ?? $0.model } ?? "actor"))",
                             xLabel: "mean predicted probability (equal-count bins)", yLabel: "observed positive rate",
                             series: series)
        chart.isCalibration = true
        // a square plot area (340 px: height less the title and axis margins), so the diagonal is at 45°
        chart.height = 420
        chart.width = 64 + 340 + 150
        let svg = chart.render()
        if let file {
            try Workspace.writeAtomically(Data(svg.utf8), to: file)
            recorder?.artifactWritten(kind: "chart", path: file)
        }
        emit(.chart(title: chart.title, svg: svg))
        say("plot calibration: " + notes.joined(separator: "; ") + (file.map { ", wrote \($0)" } ?? ""))
    }

    private func writeExport(_ table: PredictionTable, to path: String) throws -> Int {
        do {
            guard Workspace.writesFiles else { return 0 }
            let bytes = try table.write(to: path)
            recorder?.artifactWritten(kind: "predictions", path: path)
            return bytes
        } catch let error as AtomicFileError {
            throw WorkspaceError.rejected(Diagnostic.saveFailed(error), hint: Diagnostic.saveFailedHint(error))
        }
    }
}

extension Workspace {
    /// `export onnx FILE`: the trained actor as an ONNX model, and `FILE` less `.onnx` plus
    /// `.encoders.json` with the encoders' vocabularies.
    public func exportONNX(to path: String) throws {
        guard let model = actor, isActorTrained else {
            throw WorkspaceError.rejected("no trained actor", hint: "run 'actor MODEL' and 'train actor' (or 'restore') first")
        }
        guard let pipeline = data, let vocabularies = pipeline.encoderVocabularies(tasks: actorTaskNames) else {
            throw WorkspaceError.rejected("no split data", hint: "run 'split' first")
        }
        var graph = try engineStep { try model.onnxGraph(taskNames: actorTaskNames) }
        graph.metadata = [("rmtl_version", rmtlVersion), ("tasks", actorTaskNames.joined(separator: ",")),
                          ("data_fingerprint", cachedDataFingerprint ?? "")]
        let bytes = graph.modelBytes(producerVersion: rmtlVersion)
        try Workspace.writeAtomically(Data(bytes), to: path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let vocabularyPath = Workspace.encodersPath(forModel: path)
        try Workspace.writeAtomically(try encoder.encode(vocabularies), to: vocabularyPath)
        recorder?.artifactWritten(kind: "onnx", path: path)
        recorder?.artifactWritten(kind: "encoders", path: vocabularyPath)
        say("wrote \(path) (ONNX opset \(ONNXGraph.opset), \(ByteCount.format(Int64(bytes.count))); inputs categorical_ids "
            + "[batch, \(vocabularies.fields.count)] int64 and numeric [batch, \(vocabularies.numeric.count)] float; outputs "
            + actorTaskNames.joined(separator: ", ") + ") and the encoders to \(vocabularyPath)")
    }

    /// `out/esmm.onnx` → `out/esmm.encoders.json`.
    static func encodersPath(forModel path: String) -> String {
        (path.hasSuffix(".onnx") ? String(path.dropLast(5)) : path) + ".encoders.json"
    }
}

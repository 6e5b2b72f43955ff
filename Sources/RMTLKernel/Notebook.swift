import Foundation
import RMTLScript

/// A Jupyter notebook (nbformat 4) of rmtl cells, converted from and to a percent-format script,
/// run by the same `CellRunner` as the kernel.
public struct Notebook {
    public struct Cell {
        public var kind: ScriptCell.Kind
        public var source: String
        public var outputs: [JSONObject] = []
        public var executionCount: Int?
    }

    public var cells: [Cell]

    public init(cells: [Cell]) { self.cells = cells }

    /// The cells of a `.rmtl` script (`# %%` markers; a script without them is one cell).
    public init(script: String) {
        cells = ScriptCell.split(script).map { Cell(kind: $0.kind, source: $0.text) }
    }

    public struct Invalid: Error, CustomStringConvertible { public let description: String }

    /// Reads an `.ipynb`; raw cells and unknown cell types are skipped, as Jupyter skips running them.
    public init(json data: Data, name: String) throws(Invalid) {
        guard let o = (try? JSONSerialization.jsonObject(with: data)) as? JSONObject else {
            throw Invalid(description: "\(name): error: not a JSON notebook\nhint: a notebook is the JSON file Jupyter saves (.ipynb)")
        }
        guard let major = o["nbformat"] as? Int, major == 4, let list = o["cells"] as? [JSONObject] else {
            throw Invalid(description: "\(name): error: not an nbformat 4 notebook\nhint: open and save it in a current Jupyter to upgrade it")
        }
        cells = list.compactMap { c in
            let kind: ScriptCell.Kind
            switch c["cell_type"] as? String {
            case "code": kind = .code
            case "markdown": kind = .markdown
            default: return nil
            }
            let source = (c["source"] as? String) ?? (c["source"] as? [String])?.joined() ?? ""
            return Cell(kind: kind, source: source, outputs: c["outputs"] as? [JSONObject] ?? [],
                        executionCount: c["execution_count"] as? Int)
        }
    }

    /// The percent-format script: `# %%` code cells, `# %% [markdown]` prose as comments.
    public var script: String {
        ScriptCell.join(cells.map { ScriptCell(kind: $0.kind, text: $0.source) })
    }

    /// The code cells as sources named `NAME:cell[N]` (N counts every cell, as the notebook shows
    /// them), so diagnostics point into the right cell.
    public func sources(name: String) -> [SourceFile] {
        cells.enumerated().compactMap { i, c in
            c.kind == .code ? SourceFile(name: "\(name):cell[\(i + 1)]", text: c.source) : nil
        }
    }

    /// Markdown cells as report prose, each placed before the next code cell's output.
    public func prose(name: String) -> [ReportProse] {
        var out: [ReportProse] = []
        for (i, c) in cells.enumerated() where c.kind == .markdown {
            let next = cells[(i + 1)...].firstIndex { $0.kind == .code }
            out.append(ReportProse(file: next.map { "\(name):cell[\($0 + 1)]" } ?? "", line: 0, markdown: c.source))
        }
        return out
    }

    /// nbformat 4.5 JSON, keys sorted and cell ids numbered, so that a notebook diffs well.
    public func json() -> Data {
        let list: [JSONObject] = cells.enumerated().map { i, c in
            var cell: JSONObject = ["id": "cell-\(i + 1)", "cell_type": c.kind.rawValue, "metadata": JSONObject(),
                                    "source": Notebook.lines(c.source)]
            if c.kind == .code {
                cell["outputs"] = c.outputs
                cell["execution_count"] = c.executionCount ?? NSNull()
            }
            return cell
        }
        let notebook: JSONObject = [
            "nbformat": 4, "nbformat_minor": 5, "cells": list,
            "metadata": ["kernelspec": ["name": KernelSpec.name, "display_name": "rmtl", "language": "rmtl"],
                         "language_info": Kernel.languageInfo] as JSONObject,
        ]
        // strings, numbers, arrays, objects and null only: always serialisable
        var data = try! JSONSerialization.data(withJSONObject: notebook, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }

    /// Jupyter's form of a multi-line string: lines that keep their `\n`, the last without.
    static func lines(_ text: String) -> [String] {
        var out = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) + "\n" }
        if let last = out.popLast(), last != "\n" { out.append(String(last.dropLast())) }
        return out
    }

    /// nbformat stores multi-line text as a list of lines (Jupyter writes it so; diffs read well).
    static func multiline(_ output: JSONObject) -> JSONObject {
        var o = output
        if let t = o["text"] as? String { o["text"] = lines(t) }
        if let data = o["data"] as? [String: String] { o["data"] = data.mapValues { lines($0) } }
        return o
    }

    /// Runs the code cells in order, as a notebook client would, storing their outputs; stops at
    /// the first cell that fails. True when every cell succeeded.
    public mutating func execute(with runner: CellRunner) -> Bool {
        for i in cells.indices where cells[i].kind == .code {
            var outputs: [JSONObject] = []
            var displays: [String: Int] = [:]
            runner.output = { out in
                switch out {
                case .stream(let name, let text):
                    if let last = outputs.last, last["output_type"] as? String == "stream", last["name"] as? String == name {
                        outputs[outputs.count - 1]["text"] = (last["text"] as? String ?? "") + text
                    } else {
                        outputs.append(["output_type": "stream", "name": name, "text": text])
                    }
                case .display(let data, let id, let update):
                    if update, let id, let at = displays[id] {
                        outputs[at]["data"] = data
                    } else {
                        if let id { displays[id] = outputs.count }
                        outputs.append(["output_type": "display_data", "data": data, "metadata": JSONObject()])
                    }
                case .result(let data):
                    outputs.append(["output_type": "execute_result", "execution_count": runner.executionCount,
                                    "data": data, "metadata": JSONObject()])
                case .error(let name, let value, let traceback):
                    outputs.append(["output_type": "error", "ename": name, "evalue": value, "traceback": traceback])
                }
            }
            let outcome = runner.execute(cells[i].source)
            runner.output = { _ in }
            // a finished progress area is empty: a saved notebook leaves it out
            cells[i].outputs = outputs.filter { ($0["data"] as? [String: String])?["text/plain"] != "" }.map(Notebook.multiline)
            cells[i].executionCount = runner.executionCount
            if outcome.status != .ok { return false }
        }
        return true
    }
}

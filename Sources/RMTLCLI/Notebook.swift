import ArgumentParser
import Foundation
import RMTLKernel
import RMTLScript

/// `rmtl notebook`: a percent-format script to a Jupyter notebook and back.
struct NotebookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notebook",
        abstract: "Convert a script with # %% cells to a Jupyter notebook (.ipynb), or a notebook back to a script.",
        discussion: "Exit codes: 0 written, 70 a cell failed under --execute (the notebook is written up to it), "
            + "74 a file could not be read or written.")

    @Argument(help: "A .rmtl script, or an .ipynb notebook.", completion: .file(extensions: ["rmtl", "ipynb"]))
    var file: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write: .ipynb for a script, .rmtl for a notebook.", valueName: "file"))
    var output: String

    @Flag(help: "Run the cells first (as the kernel runs them) and store their outputs in the notebook.")
    var execute = false

    @OptionGroup var registryOptions: RegistryOptions

    func validate() throws {
        let toScript = file.hasSuffix(".ipynb")
        if toScript, execute { throw ValidationError("--execute runs a script's cells into a notebook; give a .rmtl file") }
        if toScript != output.hasSuffix(".rmtl") || (!toScript && !output.hasSuffix(".ipynb")) {
            throw ValidationError("a .rmtl script converts to an .ipynb notebook and a notebook to a .rmtl script")
        }
    }

    func run() throws {
        let source = try readScript(file)
        var notebook: Notebook
        if file.hasSuffix(".ipynb") {
            notebook = try readNotebook(source)
            return try write(Data(notebook.script.utf8))
        }
        notebook = Notebook(script: String(decoding: source.bytes, as: UTF8.self))
        var ok = true
        if execute {
            InterruptHandler.install()
            let runner = CellRunner()
            registryOptions.attach(to: runner.session)
            recordEntries(of: runner.session, kind: "notebook")
            ok = notebook.execute(with: runner)
            runner.session.workspace.recorder?.finish(status: ok ? "finished" : "failed", error: ok ? nil : "a cell failed")
        }
        try write(notebook.json())
        if !ok {
            printError("\(file): error: a cell failed; the notebook shows its error")
            throw ExitCode(70)
        }
    }

    private func write(_ data: Data) throws {
        do { try data.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
            printError("\(output): error: cannot write")
            throw ExitCode(74)
        }
        printLine("wrote \(output)")
    }
}

/// A notebook file's cells, or exit 65 with what is wrong with it.
func readNotebook(_ source: SourceFile) throws -> Notebook {
    do { return try Notebook(json: Data(source.bytes), name: source.name) } catch {
        printError(error.description)
        throw ExitCode(65)
    }
}

/// A script's or a notebook's code as the sources a session runs, and its Markdown as report
/// prose: `# %% [markdown]` cells of a script, markdown cells of a notebook.
func readProgram(_ path: String) throws -> (sources: [SourceFile], prose: [ReportProse]) {
    let source = try readScript(path)
    if path.hasSuffix(".ipynb") {
        let notebook = try readNotebook(source)
        return (notebook.sources(name: path), notebook.prose(name: path))
    }
    let cells = ScriptCell.split(String(decoding: source.bytes, as: UTF8.self))
    let prose = cells.filter { $0.kind == .markdown }.map { ReportProse(file: path, line: $0.firstLine, markdown: $0.text) }
    return ([source], prose)
}

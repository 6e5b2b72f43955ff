import Foundation
import RMTLKernel
import RMTLScript
import Testing

@Suite struct SigningTests {
    // RFC 4231 test cases 1 and 2
    @Test func hmacKnownVectors() {
        let one = Signer.hmacSHA256(key: [UInt8](repeating: 0x0B, count: 20), data: Array("Hi There".utf8))
        #expect(Signer(key: []).signature([]) == "")
        #expect(one.map { String(format: "%02x", $0) }.joined() == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let two = Signer(key: Array("Jefe".utf8)).signature([Array("what do ya want ".utf8), Array("for nothing?".utf8)])
        #expect(two == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func messagesRoundTripAndForgeriesAreRejected() throws {
        let signer = Signer(key: Array("secret".utf8))
        let m = Message.make("execute_request", content: ["code": "seed 1"], parent: nil, session: "s")
        let frames = [Array("client".utf8)] + m.frames(signer: signer)
        let back = try Message.decode(frames, signer: signer)
        #expect(back.type == "execute_request")
        #expect(back.content["code"] as? String == "seed 1")
        #expect(back.identities == [Array("client".utf8)])

        var tampered = frames
        tampered[tampered.count - 1] = Array(#"{"code":"report \"x.html\""}"#.utf8)
        #expect(throws: Message.DecodeError.badSignature) { try Message.decode(tampered, signer: signer) }
        #expect(throws: Message.DecodeError.badSignature) { try Message.decode(frames, signer: Signer(key: Array("other".utf8))) }
        var unsigned = frames
        unsigned[2] = []
        #expect(throws: Message.DecodeError.badSignature) { try Message.decode(unsigned, signer: signer) }
        #expect(throws: Message.DecodeError.noDelimiter) { try Message.decode([Array("x".utf8)], signer: signer) }
    }
}

@Suite struct RequestTests {
    @Test func isCompleteSamples() {
        #expect(KernelRequests.isComplete("seed 1").status == "complete")
        #expect(KernelRequests.isComplete("for m in [esmm, mmoe] {\n  actor $m\n}").status == "complete")
        let open = KernelRequests.isComplete("for m in [esmm, mmoe] {")
        #expect(open.status == "incomplete" && open.indent == "    ")
        let nested = KernelRequests.isComplete("for m in [esmm] {\n  for s in [1, 2] {")
        #expect(nested.status == "incomplete" && nested.indent == "        ")
        #expect(KernelRequests.isComplete("let x = [1,").status == "incomplete")
        #expect(KernelRequests.isComplete("seed 1 }").status == "invalid")
    }

    @Test func completionCountsCodePoints() {
        let context = Completion.Context(results: ["esmm_run"], variables: ["naïve"])
        let code = "let 🎯 = 1\nsessio"
        let r = KernelRequests.complete(code: code, cursor: code.unicodeScalars.count, context: context)
        #expect(r.matches == ["sessionize"])
        #expect(r.start == code.unicodeScalars.count - 6 && r.end == code.unicodeScalars.count)
        // a cursor in the middle: only the text before it counts
        let mid = KernelRequests.complete(code: "see 2022", cursor: 3, context: context)
        #expect(mid.matches == ["seed"] && mid.start == 0 && mid.end == 3)
        let variable = KernelRequests.complete(code: "actor $na", cursor: 9, context: context)
        #expect(variable.matches == ["naïve"] && variable.start == 7)
    }

    @Test func completionOfFileNames() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rmtl-complete-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/data/events.csv", contents: Data())
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let code = #"load retailrocket "da"#
        let r = KernelRequests.complete(code: code, cursor: code.count, context: .init(), directory: dir)
        #expect(r.matches == ["data/"])
        let inner = #"load retailrocket "data/ev"#
        #expect(KernelRequests.complete(code: inner, cursor: inner.count, context: .init(), directory: dir).matches == ["data/events.csv"])
    }

    @Test func inspectGivesHelpVariablesAndNothingForUnknownWords() {
        let session = Session(write: { _ in }, writeError: { _ in })
        session.run(source: "let lambda = 0.7", file: "t", mode: .run)
        #expect(KernelRequests.inspect(code: "help train", cursor: 10, session: session)?.contains("train actor") == true)
        #expect(KernelRequests.inspect(code: "train actor epochs=3", cursor: 8, session: session)?.hasPrefix("train actor") == true)
        #expect(KernelRequests.inspect(code: "train rmtl lambda=$lambda", cursor: 22, session: session) == "$lambda = 0.7  (a number)")
        #expect(KernelRequests.inspect(code: "zzz", cursor: 1, session: session) == nil)
    }
}

@Suite struct NotebookTests {
    static let script = """
    # %% [markdown]
    # # Title
    #
    # Some *prose* with `code`.

    # %%
    seed 1
    let x = 2

    # %% [markdown]
    # - one
    # - two

    # %%
    assert $x == 2

    """

    @Test func scriptCellsAndRoundTrip() throws {
        let cells = ScriptCell.split(NotebookTests.script)
        #expect(cells.map(\.kind) == [.markdown, .code, .markdown, .code])
        #expect(cells[0].text == "# Title\n\nSome *prose* with `code`.")
        #expect(cells[1].text == "seed 1\nlet x = 2" && cells[1].firstLine == 7)
        #expect(cells[3].firstLine == 15)
        #expect(ScriptCell.join(cells) == NotebookTests.script)

        let notebook = Notebook(script: NotebookTests.script)
        let json = notebook.json()
        let back = try Notebook(json: json, name: "t.ipynb")
        #expect(back.script == NotebookTests.script)
        let o = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        #expect(o?["nbformat"] as? Int == 4)
        let first = (o?["cells"] as? [[String: Any]])?[1]
        #expect(first?["source"] as? [String] == ["seed 1\n", "let x = 2"])
    }

    @Test func aScriptWithoutMarkersIsOneCell() {
        let cells = ScriptCell.split("# a comment\nseed 1\n")
        #expect(cells == [ScriptCell(kind: .code, text: "# a comment\nseed 1", firstLine: 1)])
    }

    @Test func executedNotebookHasOutputsAndStopsAtTheFailingCell() throws {
        var notebook = Notebook(script: "# %%\nrecord result as a ctr=[0.7, 0.4, 0.39]\nshow results\n# %%\nseed 1\ntraon actor\n# %%\nseed 2\n")
        let ok = notebook.execute(with: CellRunner())
        #expect(!ok)
        // the cell ends with `show`: its table is the cell's result
        let table = notebook.cells[0].outputs.first { $0["output_type"] as? String == "execute_result" }
        let data = table?["data"] as? [String: Any]
        #expect((data?["text/html"] as? [String])?.joined().contains("<table>") == true)
        let error = notebook.cells[1].outputs.last
        #expect(error?["output_type"] as? String == "error")
        #expect((error?["traceback"] as? [String])?.first?.hasPrefix("cell[2]:2:1: error: unknown command 'traon'") == true)
        #expect(notebook.cells[2].executionCount == nil)
    }

    @Test func notebookCellsAreNamedForDiagnostics() {
        let notebook = Notebook(script: "# %% [markdown]\n# hi\n# %%\nseed 1\n")
        #expect(notebook.sources(name: "n.ipynb").map(\.name) == ["n.ipynb:cell[2]"])
        #expect(notebook.prose(name: "n.ipynb").first?.file == "n.ipynb:cell[2]")
    }

    @Test func markdownToHTML() {
        let html = Markdown.html("# Title\n\nSome *prose* with `a<b` and **bold**.\n\n- one\n- two\n\n[link](https://x.org) [bad](javascript:alert(1))")
        #expect(html.contains("<h1>Title</h1>"))
        #expect(html.contains("<p>Some <em>prose</em> with <code>a&lt;b</code> and <strong>bold</strong>.</p>"))
        #expect(html.contains("<ul><li>one</li><li>two</li></ul>"))
        #expect(html.contains("<a href=\"https://x.org\">link</a>"))
        #expect(!html.contains("href=\"javascript"))
    }

    @Test func kernelspecNamesThisExecutable() throws {
        let o = try JSONSerialization.jsonObject(with: KernelSpec.json(executable: "/opt/rmtl")) as? [String: Any]
        #expect(o?["argv"] as? [String] == ["/opt/rmtl", "kernel", "--connection-file", "{connection_file}"])
        #expect(o?["interrupt_mode"] as? String == "signal")
        #expect(KernelSpec.logo32.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        // IHDR width and height
        #expect(Array(KernelSpec.logo64[16..<24]) == [0, 0, 0, 64, 0, 0, 0, 64])
    }
}

@Suite struct ConnectionFileTests {
    func file(_ text: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rmtl-connection-\(getpid())-\(text.hashValue).json").path
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    @Test func readsPortsAndKey() throws {
        let c = try ConnectionInfo.load(path: file("""
            {"transport": "tcp", "ip": "127.0.0.1", "shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003,
             "control_port": 5004, "hb_port": 5005, "key": "abc", "signature_scheme": "hmac-sha256"}
            """))
        #expect(c.shellPort == 5001 && c.heartbeatPort == 5005 && c.key == Array("abc".utf8))
    }

    @Test func badFilesSayWhatIsWrong() {
        let ports = #""shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5"#
        #expect(throws: ConnectionInfo.Invalid.self) { try ConnectionInfo.load(path: "/nonexistent/connection.json") }
        do {
            _ = try ConnectionInfo.load(path: file("{\(ports), \"key\": \"k\", \"signature_scheme\": \"hmac-md5\"}"))
            Issue.record("an unsupported signature scheme was accepted")
        } catch {
            #expect(error.description.contains("signature_scheme 'hmac-md5' is not supported"))
        }
        do {
            _ = try ConnectionInfo.load(path: file(#"{"shell_port": "5001"}"#))
            Issue.record("a port that is not a number was accepted")
        } catch {
            #expect(error.description.contains("'shell_port' must be a port number"))
        }
    }
}

@Suite struct CompletionKindTests {
    @Test func kindsForTheFrontEndsIcons() {
        let context = Completion.Context(results: ["esmm"], variables: ["lambda"])
        #expect(KernelRequests.kind(of: "sessionize", context: context) == "function")
        #expect(KernelRequests.kind(of: "actor", context: context) == "function")  // `train actor`
        #expect(KernelRequests.kind(of: "for", context: context) == "keyword")
        #expect(KernelRequests.kind(of: "epochs=", context: context) == "param")
        #expect(KernelRequests.kind(of: "data/", context: context) == "path")
        #expect(KernelRequests.kind(of: "lambda", context: context) == "variable")
        #expect(KernelRequests.kind(of: "esmm", context: context) == "variable")
    }
}

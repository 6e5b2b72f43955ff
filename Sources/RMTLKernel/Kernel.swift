import CZMQ
import Foundation
import RMTL
import RMTLScript
import Synchronization

/// What a connection file says: where to bind the five sockets and the signing key.
public struct ConnectionInfo: Sendable {
    public var transport: String
    public var ip: String
    public var shellPort, iopubPort, stdinPort, controlPort, heartbeatPort: Int
    public var key: [UInt8]

    public struct Invalid: Error, CustomStringConvertible { public let description: String }

    public static func load(path: String) throws(Invalid) -> ConnectionInfo {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid(description: "\(path): error: cannot read the connection file") }
        guard let o = (try? JSONSerialization.jsonObject(with: data)) as? JSONObject else {
            throw Invalid(description: "\(path): error: the connection file is not a JSON object")
        }
        func port(_ name: String) throws(Invalid) -> Int {
            guard let p = o[name] as? Int, (0...65535).contains(p) else {
                throw Invalid(description: "\(path): error: '\(name)' must be a port number")
            }
            return p
        }
        let scheme = o["signature_scheme"] as? String ?? "hmac-sha256"
        let key = Array((o["key"] as? String ?? "").utf8)
        guard scheme == "hmac-sha256" || key.isEmpty else {
            throw Invalid(description: "\(path): error: signature_scheme '\(scheme)' is not supported\nhint: rmtl signs with hmac-sha256")
        }
        return ConnectionInfo(transport: o["transport"] as? String ?? "tcp", ip: o["ip"] as? String ?? "127.0.0.1",
                              shellPort: try port("shell_port"), iopubPort: try port("iopub_port"),
                              stdinPort: try port("stdin_port"), controlPort: try port("control_port"),
                              heartbeatPort: try port("hb_port"), key: key)
    }

    func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "tcp://\(ip):\(port)"
    }
}

/// The Jupyter kernel: a `CellRunner` served over the five ZeroMQ sockets of the messaging
/// protocol. Threads: the main one serves shell (cells run there); control runs on its own so
/// that `interrupt_request` and `shutdown_request` arrive while a cell runs; heartbeat echoes on
/// a third. iopub is written by the first two, under a lock.
public final class Kernel: @unchecked Sendable {
    let runner: CellRunner
    let signer: Signer
    let session = UUID().uuidString.lowercased()
    let log: @Sendable (String) -> Void
    private let shell, control, iopub, heartbeat: Socket
    /// Bound because clients connect to it; rmtl never asks for input (no `input_request`).
    private let stdin: Socket
    private let iopubLock = NSLock()
    private let stopping = Atomic<Bool>(false)
    private let restartRequested = Atomic<Bool>(false)
    private var history: [(line: Int, input: String, output: String?)] = []
    /// Signatures of recent messages: a replayed (captured and resent) message is dropped, as
    /// ipykernel drops one. Shell and control both receive, hence the lock.
    private var seenSignatures: Set<[UInt8]> = []
    private var signatureRing: [[UInt8]] = []
    private var ringNext = 0
    private let seenLock = NSLock()
    static let signatureMemory = 1 << 16

    public init(connection c: ConnectionInfo, runner: CellRunner, log: @escaping @Sendable (String) -> Void) throws {
        self.runner = runner
        self.signer = Signer(key: c.key)
        self.log = log
        guard let ctx = zmq_ctx_new() else { throw Socket.Failure.last("zmq_ctx_new") }
        shell = try Socket(context: ctx, type: ZMQ_ROUTER, endpoint: c.endpoint(c.shellPort))
        control = try Socket(context: ctx, type: ZMQ_ROUTER, endpoint: c.endpoint(c.controlPort))
        stdin = try Socket(context: ctx, type: ZMQ_ROUTER, endpoint: c.endpoint(c.stdinPort))
        iopub = try Socket(context: ctx, type: ZMQ_PUB, endpoint: c.endpoint(c.iopubPort))
        heartbeat = try Socket(context: ctx, type: ZMQ_REP, endpoint: c.endpoint(c.heartbeatPort))
    }

    /// Serves until a shutdown request; true when the client asked for a restart.
    public func run() -> Bool {
        let hb = heartbeat
        Thread.detachNewThread {
            while true { if let frames = hb.receive() { hb.send(frames) } }
        }
        Thread.detachNewThread { [self] in
            while !stopping.load(ordering: .relaxed) {
                if !Socket.poll([control], milliseconds: 200).isEmpty, let m = receive(on: control, name: "control") {
                    serveControl(m)
                }
            }
        }
        publish("status", ["execution_state": "starting"], parent: nil)
        // jupyter_client names the process that started us; when it is gone (a console killed), so
        // is every client: leave instead of running on as an orphan, as ipykernel does
        let parent = ProcessInfo.processInfo.environment["JPY_PARENT_PID"].flatMap { Int32($0) }
        while !stopping.load(ordering: .relaxed) {
            if !Socket.poll([shell], milliseconds: 200).isEmpty, let m = receive(on: shell, name: "shell") {
                serveShell(m)
            }
            if let parent, getppid() != parent {
                log("rmtl kernel: the process that started it (pid \(parent)) has ended; shutting down")
                stopping.store(true, ordering: .relaxed)
            }
        }
        Thread.sleep(forTimeInterval: 0.2)  // the shutdown reply is on its way out (ZeroMQ sends in the background)
        return restartRequested.load(ordering: .relaxed)
    }

    /// The next message, or nil after logging why it was dropped (a bad signature is never run).
    private func receive(on socket: Socket, name: String) -> Message? {
        guard let frames = socket.receive() else { return nil }
        let message: Message
        do { message = try Message.decode(frames, signer: signer) } catch {
            log("rmtl kernel: dropped a message on \(name): \(error)")
            return nil
        }
        // decode found the delimiter, so the signature frame follows it
        let signature = frames[frames.firstIndex(of: Message.delimiter)! + 1]
        guard signer.key.isEmpty || firstSight(of: signature) else {
            log("rmtl kernel: dropped a message on \(name): a replay of an earlier message")
            return nil
        }
        return message
    }

    private func firstSight(of signature: [UInt8]) -> Bool {
        seenLock.withLock {
            guard seenSignatures.insert(signature).inserted else { return false }
            if signatureRing.count < Kernel.signatureMemory {
                signatureRing.append(signature)
            } else {  // forget the oldest
                seenSignatures.remove(signatureRing[ringNext])
                signatureRing[ringNext] = signature
                ringNext = (ringNext + 1) % Kernel.signatureMemory
            }
            return true
        }
    }

    private func send(_ m: Message, on socket: Socket) {
        if socket === iopub {
            iopubLock.withLock { _ = socket.send(m.frames(signer: signer)) }
        } else {
            socket.send(m.frames(signer: signer))
        }
    }

    private func publish(_ type: String, _ content: JSONObject, parent: Message?) {
        var m = Message.make(type, content: content, parent: parent, session: session)
        m.identities = [Array("kernel.\(session).\(type)".utf8)]  // the PUB topic
        send(m, on: iopub)
    }

    private func reply(_ request: Message, _ content: JSONObject, on socket: Socket) {
        let type = request.type.replacingOccurrences(of: "_request", with: "_reply")
        send(Message.make(type, content: content, parent: request, session: session), on: socket)
    }

    /// Every request is framed by busy and idle on iopub (clients wait for idle).
    private func busy(_ request: Message, _ body: () -> Void) {
        publish("status", ["execution_state": "busy"], parent: request)
        body()
        publish("status", ["execution_state": "idle"], parent: request)
    }

    // MARK: - control

    private func serveControl(_ m: Message) {
        busy(m) {
            switch m.type {
            case "interrupt_request":
                Interrupt.requested.store(true, ordering: .relaxed)
                reply(m, ["status": "ok"], on: control)
            case "shutdown_request":
                shutdown(m, on: control)
            case "kernel_info_request":
                reply(m, kernelInfo, on: control)
            default:
                log("rmtl kernel: no handler for \(m.type) on control")
            }
        }
    }

    private func shutdown(_ m: Message, on socket: Socket) {
        let restart = m.content["restart"] as? Bool ?? false
        restartRequested.store(restart, ordering: .relaxed)
        reply(m, ["status": "ok", "restart": restart], on: socket)
        Interrupt.requested.store(true, ordering: .relaxed)  // a running cell stops at its next check
        stopping.store(true, ordering: .relaxed)
    }

    // MARK: - shell

    private func serveShell(_ m: Message) {
        busy(m) {
            switch m.type {
            case "kernel_info_request": reply(m, kernelInfo, on: shell)
            case "execute_request": execute(m)
            case "complete_request": reply(m, complete(m.content), on: shell)
            case "inspect_request": reply(m, inspect(m.content), on: shell)
            case "is_complete_request":
                let (status, indent) = KernelRequests.isComplete(m.content["code"] as? String ?? "")
                reply(m, indent.map { ["status": status, "indent": $0] } ?? ["status": status], on: shell)
            case "history_request": reply(m, historyReply(m.content), on: shell)
            case "comm_info_request": reply(m, ["status": "ok", "comms": [String: Any]()], on: shell)
            case "shutdown_request": shutdown(m, on: shell)
            default: log("rmtl kernel: no handler for \(m.type) on shell")
            }
        }
    }

    /// Also the notebook metadata's language_info. No rmtl lexer exists: words, $variables,
    /// "strings", numbers and # comments read well as shell.
    public static var languageInfo: JSONObject {
        ["name": "rmtl", "version": rmtlVersion, "mimetype": "text/x-rmtl", "file_extension": ".rmtl",
         "pygments_lexer": "bash", "codemirror_mode": "shell"]
    }

    var kernelInfo: JSONObject {
        [
            "status": "ok", "protocol_version": Message.protocolVersion,
            "implementation": "rmtl", "implementation_version": rmtlVersion,
            "language_info": Kernel.languageInfo,
            "banner": "rmtl \(rmtlVersion): multi-task recommendation with reinforcement learning. Type 'help' for commands.",
            "help_links": [] as [Any],
        ]
    }

    private func execute(_ m: Message) {
        let code = m.content["code"] as? String ?? ""
        let silent = m.content["silent"] as? Bool ?? false
        let storeHistory = (m.content["store_history"] as? Bool ?? true) && !silent
        if !silent {
            publish("execute_input", ["code": code, "execution_count": runner.executionCount + 1], parent: m)
        }
        var failure: (name: String, value: String, traceback: [String])?
        var result: String?
        runner.output = { [self] out in
            if case .error(let n, let v, let t) = out { failure = (n, v, t) }
            if case .result(let data) = out { result = data["text/plain"] }
            if !silent { publish(out, parent: m) }
        }
        runner.execute(code, silent: silent)
        runner.output = { _ in }
        if storeHistory { history.append((runner.executionCount, code, result)) }
        // `quit`: the payload IPython's `exit` sends, on which jupyter console leaves
        let payload: [Any] = runner.quitRequested ? [["source": "ask_exit", "keepkernel": false] as JSONObject] : []
        var content: JSONObject = ["execution_count": runner.executionCount, "user_expressions": JSONObject(), "payload": payload]
        if let failure {
            content["status"] = "error"
            content["ename"] = failure.name
            content["evalue"] = failure.value
            content["traceback"] = failure.traceback
        } else {
            content["status"] = "ok"
        }
        // taken before the reply goes out: whatever is queued now was sent before the client saw the error
        let queued = failure != nil && m.content["stop_on_error"] as? Bool ?? true ? takeQueued() : []
        reply(m, content, on: shell)
        for q in queued {
            if q.type == "execute_request" {
                busy(q) { reply(q, ["status": "aborted", "execution_count": runner.executionCount], on: shell) }
            } else {
                serveShell(q)
            }
        }
    }

    /// After an error, cells already queued behind the failed one are not run (as ipykernel does):
    /// a "run all" stops at the first error.
    private func takeQueued() -> [Message] {
        var out: [Message] = []
        while !Socket.poll([shell], milliseconds: 0).isEmpty {
            if let m = receive(on: shell, name: "shell") { out.append(m) }
        }
        return out
    }

    private func publish(_ out: CellOutput, parent: Message) {
        switch out {
        case .stream(let name, let text):
            publish("stream", ["name": name, "text": text], parent: parent)
        case .display(let data, let id, let update):
            var content: JSONObject = ["data": data, "metadata": JSONObject()]
            if let id { content["transient"] = ["display_id": id] }
            publish(update ? "update_display_data" : "display_data", content, parent: parent)
        case .result(let data):
            publish("execute_result", ["execution_count": runner.executionCount, "data": data, "metadata": JSONObject()], parent: parent)
        case .error(let name, let value, let traceback):
            publish("error", ["ename": name, "evalue": value, "traceback": traceback], parent: parent)
        }
    }

    private func complete(_ c: JSONObject) -> JSONObject {
        let code = c["code"] as? String ?? ""
        let cursor = c["cursor_pos"] as? Int ?? code.unicodeScalars.count
        let context = Completion.Context(results: runner.session.workspace.resultGroups,
                                         variables: runner.session.currentCheckState().variableOrder)
        let r = KernelRequests.complete(code: code, cursor: cursor, context: context)
        let types: [JSONObject] = r.matches.map {
            ["start": r.start, "end": r.end, "text": $0, "type": KernelRequests.kind(of: $0, context: context)]
        }
        return ["status": "ok", "matches": r.matches, "cursor_start": r.start, "cursor_end": r.end,
                "metadata": ["_jupyter_types_experimental": types] as JSONObject]
    }

    private func inspect(_ c: JSONObject) -> JSONObject {
        let code = c["code"] as? String ?? ""
        let cursor = c["cursor_pos"] as? Int ?? code.unicodeScalars.count
        guard let text = KernelRequests.inspect(code: code, cursor: cursor, session: runner.session) else {
            return ["status": "ok", "found": false, "data": JSONObject(), "metadata": JSONObject()]
        }
        return ["status": "ok", "found": true, "data": ["text/plain": text], "metadata": JSONObject()]
    }

    /// `tail`, `range` and `search` (glob) over this kernel's cells; session number 0 is this one.
    private func historyReply(_ c: JSONObject) -> JSONObject {
        var entries = history
        switch c["hist_access_type"] as? String {
        case "range":
            let start = c["start"] as? Int ?? 0, stop = c["stop"] as? Int ?? Int.max
            entries = entries.filter { $0.line >= start && $0.line < stop }
        case "search":
            let pattern = c["pattern"] as? String ?? "*"
            entries = entries.filter { fnmatch(pattern, $0.input, 0) == 0 }
            if c["unique"] as? Bool ?? false {
                var seen: Set<String> = []
                entries = entries.reversed().filter { seen.insert($0.input).inserted }.reversed()
            }
            if let n = c["n"] as? Int { entries = Array(entries.suffix(n)) }
        default:  // tail
            entries = Array(entries.suffix(c["n"] as? Int ?? 10))
        }
        let withOutput = c["output"] as? Bool ?? false
        return ["status": "ok", "history": entries.map { e -> [Any] in
            [0, e.line, withOutput ? [e.input, e.output ?? NSNull()] as [Any] : e.input]
        }]
    }
}

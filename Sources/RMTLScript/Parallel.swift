import Foundation
import RMTL

// MARK: - `for … parallel { … }`: independent iterations, spread over MPI ranks
//
// Every iteration starts from the loop's start: the same seed and random state, thread count,
// settings, results and training history, and no actor or critic. Each rank runs its iterations
// (`iterationOwner`) capturing what they print and store; rank 0 then replays every iteration's
// record in iteration order, so output, results and reports are those of the same loop run
// serially — which is what happens without mpirun, through the same capture and replay.

/// How a run reaches the other ranks of its MPI job. Messages are byte strings, rank to rank, in
/// order; `OpenMPI` carries them between processes, tests carry them between threads. The ranks
/// also train one model together (`ReplicaExchange`, data-parallel training outside loops).
public protocol RankTransport: ReplicaExchange {
    func send(_ bytes: [UInt8], to destination: Int)
    func receive(from source: Int) -> [UInt8]
}

extension OpenMPI: RankTransport {}

extension RankTransport {
    /// An allgather made of messages (`OpenMPI` has its own): each rank sends its block to every
    /// other rank, then receives theirs in rank order.
    public func allgather(_ buffer: UnsafeMutableRawBufferPointer) {
        let block = buffer.count / size
        let own = Array(buffer[(rank * block)..<((rank + 1) * block)])
        for r in 0..<size where r != rank { send(own, to: r) }
        for r in 0..<size where r != rank {
            let bytes = receive(from: r)
            precondition(bytes.count == block)
            UnsafeMutableRawBufferPointer(rebasing: buffer[(r * block)..<((r + 1) * block)]).copyBytes(from: bytes)
        }
    }

    /// Rank 0 tells every other rank that files it wrote are complete (after `generate`).
    func releaseOthers() {
        guard rank == 0 else { return }
        for r in 1..<size { send([], to: r) }
    }

    func waitForRankZero() { _ = receive(from: 0) }
}

/// What one iteration of a `parallel` loop did, in the order it did it.
public struct IterationRecord: Codable, Equatable, Sendable {
    public enum Event: Codable, Equatable, Sendable {
        case output(OutputItem)
        /// A failed `assert` (rendered); the iteration went on.
        case failure(String)
    }
    public var events: [Event] = []
    /// Results stored (`eval … as`), in order.
    public var results: [EvalResult] = []
    /// The epochs of training runs the iteration started (numbered from the loop's start).
    public var history: [EpochRecord] = []
    /// The error that stopped the iteration (rendered), and its kind (the exit status it gives).
    public var error: String?
    public var errorKind = ErrorKind.runtime

    public enum ErrorKind: String, Codable, Sendable {
        /// A command failed (exit 70).
        case runtime
        /// A file could not be read or written (exit 74).
        case io
        /// Ctrl-C (exit 130): the loop stops as the serial loop would, as an interrupt.
        case interrupted
    }

    public init() {}
}

/// A message from a rank other than 0 to rank 0.
public enum RankMessage: Codable, Equatable, Sendable {
    /// Iteration `index` of the current `parallel` loop.
    case iteration(index: Int, IterationRecord)
    /// The rank's script ended: its exit code and, when it failed, its first error.
    case finished(exitCode: Int32, error: String?)

    public func encoded() -> [UInt8] { Array((try? JSONEncoder().encode(self)) ?? Data()) }

    public static func decode(_ bytes: [UInt8]) -> RankMessage? { try? JSONDecoder().decode(RankMessage.self, from: Data(bytes)) }
}

/// The workspace as a `parallel` loop found it: what every iteration starts from and what the
/// loop leaves, plus the results and epochs its iterations add.
struct LoopStart {
    var seed: UInt64
    var rng: RandomGenerator
    var threads: Int
    var config: [(String, String)]
    var lastTraining: TrainConfig?
    var results: [EvalResult]
    var history: [EpochRecord]
}

extension Workspace {
    func loopStart() -> LoopStart {
        LoopStart(seed: seed, rng: rng, threads: threads, config: config, lastTraining: lastTraining, results: results, history: history)
    }

    /// Puts the workspace back to `start`, without an actor or critics.
    func reset(to start: LoopStart) {
        seed = start.seed
        rng = start.rng
        threads = start.threads
        replaceConfig(start.config)
        lastTraining = start.lastTraining
        replaceResults(start.results)
        history = start.history
        dropModels()
    }

    /// Adds the epochs of an iteration, renumbering its training runs to follow those already here
    /// (each iteration numbered its own from the loop's start).
    func appendIterationHistory(_ records: [EpochRecord], startRun: Int) {
        let offset = (history.compactMap(\.run).max() ?? 0) - startRun
        history += records.map { r in
            var r = r
            if let run = r.run, run > startRun { r.run = run + offset }
            return r
        }
    }

    /// The folder for this process's checkpoints inside `parallel` loops (and on ranks other than 0).
    public static func makeScratchFolder() -> String {
        let path = NSTemporaryDirectory() + "rmtl-\(getpid())-checkpoints"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Where `save` of `path` really goes: the path itself, or a file of the scratch folder.
    func checkpointFile(_ path: String) -> String {
        guard let scratch = checkpointScratch else { return path }
        return scratch + "/" + path.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
    }

    /// What `restore` of `path` reads: what this process saved there (in its scratch folder), else
    /// the file itself, e.g. one an earlier run saved, which every rank reads as rank 0 does.
    func checkpointFileToRead(_ path: String) -> String {
        let own = checkpointFile(path)
        return FileManager.default.fileExists(atPath: own) ? own : path
    }
}

extension Session {
    /// Runs a `parallel` loop: this rank's iterations, then the gather and the replay on rank 0.
    func execParallel(variable: Name, values: [Value], body: [Statement], at range: SourceRange,
                      failures: inout [ScriptError]) throws {
        let workspace = self.workspace
        let ranks = workspace.ranks
        let (rank, size) = (ranks?.rank ?? 0, ranks?.size ?? 1)
        let start = workspace.loopStart()
        let startRun = start.history.compactMap(\.run).max() ?? 0
        let ownScratch = workspace.checkpointScratch == nil
        if ownScratch { workspace.checkpointScratch = Workspace.makeScratchFolder() }
        let recorder = workspace.recorder
        workspace.recorder = nil  // rank 0 records the replayed results, once
        defer {
            workspace.recorder = recorder
            if ownScratch, let scratch = workspace.checkpointScratch {
                try? FileManager.default.removeItem(atPath: scratch)
                workspace.checkpointScratch = nil
            }
        }

        var own: [Int: IterationRecord] = [:]
        for (i, value) in values.enumerated() where iterationOwner(i, ranks: size) == rank {
            if Interrupt.requested.load(ordering: .relaxed) { throw ScriptError.interrupted(at: range) }
            workspace.reset(to: start)
            let record = runIteration(variable: variable.text, value: value, body: body)
            own[i] = record
            if record.error != nil { break }  // as the serial loop, which stops at an error
        }
        workspace.reset(to: start)
        workspace.recorder = recorder

        let records: [IterationRecord]
        if let ranks, size > 1 {
            records = try exchange(own, count: values.count, ranks: ranks, at: range)
        } else {
            records = (0..<values.count).compactMap { own[$0] }
        }
        try replay(records, startRun: startRun, at: range, failures: &failures)
    }

    /// Rank 0 collects every iteration in order (stopping at the first that failed) and sends the
    /// list to the others; the others send theirs and receive the list.
    private func exchange(_ own: [Int: IterationRecord], count: Int, ranks: RankTransport, at range: SourceRange) throws -> [IterationRecord] {
        let encoder = JSONEncoder(), decoder = JSONDecoder()
        if ranks.rank != 0 {
            for (i, record) in own.sorted(by: { $0.key < $1.key }) {
                ranks.send(RankMessage.iteration(index: i, record).encoded(), to: 0)
            }
            let merged = ranks.receive(from: 0)
            guard let records = try? decoder.decode([IterationRecord].self, from: Data(merged)) else {
                throw ScriptError.runtime("rank \(ranks.rank): the gathered iterations from rank 0 are unreadable", at: range)
            }
            return records
        }
        var records: [IterationRecord] = []
        for i in 0..<count {
            let owner = iterationOwner(i, ranks: ranks.size)
            let record: IterationRecord
            if owner == 0 {
                guard let mine = own[i] else { break }  // rank 0 stopped at an earlier error of its own
                record = mine
            } else {
                switch RankMessage.decode(ranks.receive(from: owner)) {
                case .iteration(let index, let r) where index == i:
                    record = r
                case .finished(_, let error):
                    throw ScriptError.relayed(rendered: RankMessage.stoppedText(rank: owner, error: error, at: range),
                                              isIO: false, at: range)
                default:
                    throw ScriptError.runtime("rank \(owner) sent something other than iteration \(i + 1) of this loop", at: range)
                }
            }
            records.append(record)
            if record.error != nil { break }
        }
        if records.count == count || records.last?.error == nil {
            let merged = Array((try? encoder.encode(records)) ?? Data())
            for r in 1..<ranks.size { ranks.send(merged, to: r) }
        }
        return records
    }

    /// Shows and stores what the iterations did, in order, as if they had just run here.
    private func replay(_ records: [IterationRecord], startRun: Int, at range: SourceRange, failures: inout [ScriptError]) throws {
        for record in records {
            for event in record.events {
                switch event {
                case .output(let item): emitted(item)
                case .failure(let text):
                    writeError(text)
                    failures.append(.relayed(rendered: text, isIO: false, at: range))
                }
            }
            for r in record.results { workspace.store(r) }
            workspace.appendIterationHistory(record.history, startRun: startRun)
            switch (record.error, record.errorKind) {
            case (nil, _): continue
            case (_, .interrupted): throw ScriptError.interrupted(at: range)
            case (let error?, let kind): throw ScriptError.relayed(rendered: error, isIO: kind == .io, at: range)
            }
        }
    }
}

extension RankMessage {
    /// How rank 0 reports a rank that ended before sending its part of a loop or the job.
    static func stoppedText(rank: Int, error: String?, at range: SourceRange) -> String {
        "\(range.description): error: rank \(rank) stopped" + (error.map { ":\n" + $0 } ?? " without an error message")
    }
}

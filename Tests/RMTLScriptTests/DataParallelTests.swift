import Foundation
import RMTL
import Testing
import RMTLScript

/// Data-parallel training without Open MPI: ranks as threads of this process
/// (`ParallelLoopTests.ThreadTransport`) run the real interpreter; N ranks × T threads must end
/// with the weights, results and epoch metrics of one process with N·T threads, bit for bit.
@Suite(.serialized) struct DataParallelTests {
    static let folder = CLI.temporaryFolder("data-parallel")
    static let data: String = {
        let setup = CapturedSession()
        let outcome = setup.session.run(source: """
            generate retailrocket "\(folder)/rr" events=6k seed=5
            load retailrocket "\(folder)/rr"
            """, file: "setup.rmtl", mode: .run)
        precondition(outcome.status == .ok, "\(setup.diagnostics)")
        return """
            load retailrocket "\(folder)/rr"
            sessionize gap=30m
            split time 0.6 0.2 0.2
            seed 5

            """
    }()

    static let mmoe = """
        actor mmoe embed=8 bottom=[16] tower=[8] experts=2 dropout=0.1
        train actor epochs=2 batch=200 patience=5
        eval test as mmoe

        """
    /// An RMTL stage: critics trained on the pretrained actor, then the critic-weighted fine-tuning
    /// and DDPG (dropout on in the critics, so every shard's random stream matters).
    static let rmtl = """
        actor esmm embed=8 bottom=[16] tower=[8] dropout=0.1
        train actor epochs=1 batch=200
        critic mode=code episodes=600 batch=100
        train critic epochs=2
        train rmtl lambda=0.5 epochs=1 batch=200
        eval test as rmtl
        train ddpg epochs=1
        eval test as ddpg

        """

    /// The RMTL stage over an actor with row-sparse embedding tables: each replica's touched rows
    /// and their gradients cross the ranks in its block of the gather.
    static let sparse = rmtl.replacingOccurrences(of: "dropout=0.1\ntrain actor", with: "dropout=0.1 embeddings=sparse\ntrain actor")

    /// What a run ends with: every weight, bit for bit, and what it stored and recorded.
    struct Outcome: Equatable {
        var actor: [UInt32]
        var critics: [[UInt32]]
        var results: [EvalResult]
        var epochs: [String]
    }

    static func outcome(_ c: CapturedSession) -> Outcome {
        let w = c.session.workspace
        return Outcome(
            actor: w.actor?.values.array.map(\.bitPattern) ?? [],
            critics: w.agent?.critics.map { $0.values.array.map(\.bitPattern) } ?? [],
            results: w.results,
            epochs: w.history.map { "\($0.phase) \($0.epoch) \(String(describing: $0.loss)) \($0.auc.sorted { $0.key < $1.key }) \(String(describing: $0.q))" })
    }

    /// Runs `script` in one process with `threads` replicas.
    static func oneProcess(_ script: String, threads: Int) -> Outcome {
        let c = CapturedSession()
        c.session.workspace.threads = threads
        let status = c.session.run(source: data + script, file: "dp.rmtl", mode: .run).status
        #expect(status == .ok, "\(c.diagnostics)")
        return outcome(c)
    }

    /// Runs `script` on `ranks` ranks of `threads` replicas each; every rank's outcome.
    static func ranks(_ script: String, ranks: Int, threads: Int) -> [Outcome] {
        let hub = ParallelLoopTests.ThreadTransport.Hub(size: ranks)
        let sessions = (0..<ranks).map { _ in CapturedSession() }
        for (r, c) in sessions.enumerated() {
            c.session.workspace.ranks = ParallelLoopTests.ThreadTransport(rank: r, hub: hub)
            c.session.workspace.threads = ranks * threads
        }
        // One thread per rank: ranks block on each other, so a pool smaller than `ranks` would deadlock.
        let shared = UncheckedSendable(sessions)
        let statuses = UncheckedSendable(UnsafeMutableBufferPointer<Bool>.allocate(capacity: ranks))
        defer { statuses.value.deallocate() }
        let done = DispatchSemaphore(value: 0)
        for r in 0..<ranks {
            Thread {
                statuses.value[r] = shared.value[r].session.run(source: data + script, file: "dp.rmtl", mode: .run).status == .ok
                done.signal()
            }.start()
        }
        for _ in 0..<ranks { done.wait() }
        for r in 0..<ranks { #expect(statuses.value[r], "rank \(r): \(sessions[r].diagnostics)") }
        // Rank 0 read the files; the others got its table and read none.
        for (r, c) in sessions.enumerated() {
            #expect((c.session.workspace.data?.cacheStatus == .received) == (r != 0), "rank \(r): \(String(describing: c.session.workspace.data?.cacheStatus))")
        }
        return sessions.map(outcome)
    }

    @Test(arguments: [("mmoe", 2, 1), ("mmoe", 2, 2), ("rmtl", 2, 1), ("rmtl", 2, 2), ("sparse", 2, 1), ("sparse", 2, 2)])
    func ranksTrainAsOneProcess(script name: String, ranks: Int, threads: Int) {
        let script = ["mmoe": Self.mmoe, "rmtl": Self.rmtl, "sparse": Self.sparse][name]!
        #expect(name != "sparse" || script.contains("embeddings=sparse"))
        let one = Self.oneProcess(script, threads: ranks * threads)
        #expect(!one.actor.isEmpty && one.results.count == (name == "mmoe" ? 1 : 2))
        for (r, outcome) in Self.ranks(script, ranks: ranks, threads: threads).enumerated() {
            // (compared as Bools, so a failure names the count, not every weight)
            let actorBitsDiffer = zip(outcome.actor, one.actor).filter { $0 != $1 }.count + abs(outcome.actor.count - one.actor.count)
            #expect(actorBitsDiffer == 0, "rank \(r): \(actorBitsDiffer) of \(one.actor.count) actor weights differ")
            let sameCritics = outcome.critics == one.critics
            #expect(sameCritics, "rank \(r): critic weights differ")
            #expect(outcome.results == one.results, "rank \(r): results differ")
            #expect(outcome.epochs == one.epochs, "rank \(r): epoch metrics differ")
        }
    }

    /// The layout matters: one process with T threads ends elsewhere than with 2T, so the test
    /// above compares runs that could differ.
    @Test func threadCountChangesTheBits() {
        #expect(Self.oneProcess(Self.mmoe, threads: 1).actor != Self.oneProcess(Self.mmoe, threads: 2).actor)
    }
}

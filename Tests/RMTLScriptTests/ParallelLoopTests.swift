import Foundation
import RMTL
import Testing
import RMTLScript

/// `for … parallel` without Open MPI: ranks as threads of this process, joined by queues, run the
/// real interpreter; rank 0 must show and store exactly what one process does.
@Suite struct ParallelLoopTests {
    /// Rank-to-rank byte messages between threads: one FIFO per (source, destination).
    final class ThreadTransport: RankTransport, @unchecked Sendable {
        final class Hub: @unchecked Sendable {
            let condition = NSCondition()
            var queues: [[[[UInt8]]]]
            init(size: Int) { queues = Array(repeating: Array(repeating: [], count: size), count: size) }
        }
        let rank: Int, size: Int, hub: Hub
        init(rank: Int, hub: Hub) { self.rank = rank; self.size = hub.queues.count; self.hub = hub }
        func send(_ bytes: [UInt8], to destination: Int) {
            hub.condition.lock()
            hub.queues[rank][destination].append(bytes)
            hub.condition.broadcast()
            hub.condition.unlock()
        }
        func receive(from source: Int) -> [UInt8] {
            hub.condition.lock()
            defer { hub.condition.unlock() }
            while hub.queues[source][rank].isEmpty { hub.condition.wait() }
            return hub.queues[source][rank].removeFirst()
        }
    }

    static let script = """
        record result as before ctr=[0.5, 0.3, 0.3]
        for s in 5 parallel {
            seed $s
            show $s * 10
            record result as r[$s] ctr=[0.9, 0.1, 0.1]
            assert $s != 3
            show results
        }
        show results

        """

    /// Runs `script` on `ranks` threads; returns each rank's session.
    static func run(_ script: String, ranks: Int) -> [CapturedSession] {
        let hub = ThreadTransport.Hub(size: ranks)
        let sessions = (0..<ranks).map { _ in CapturedSession() }
        for (r, c) in sessions.enumerated() { c.session.workspace.ranks = ThreadTransport(rank: r, hub: hub) }
        // One thread per rank: ranks block on each other, so a pool smaller than `ranks` would deadlock.
        let shared = UncheckedSendable(sessions)
        let done = DispatchSemaphore(value: 0)
        for r in 0..<ranks {
            Thread {
                shared.value[r].session.run(source: script, file: "sweep.rmtl", mode: .run)
                done.signal()
            }.start()
        }
        for _ in 0..<ranks { done.wait() }
        return sessions
    }

    @Test(arguments: [2, 3])
    func ranksShowAndStoreWhatOneProcessDoes(ranks: Int) {
        let serial = CapturedSession()
        let outcome = serial.session.run(source: Self.script, file: "sweep.rmtl", mode: .run)
        #expect(outcome.status == .runtimeError)  // iteration 3's assert, which does not stop the loop
        #expect(serial.stdout.contains("50"))
        let parallel = Self.run(Self.script, ranks: ranks)
        #expect(parallel[0].stdout == serial.stdout)
        #expect(parallel[0].diagnostics == serial.diagnostics)
        for c in parallel {
            #expect(c.session.workspace.results.map(\.name) == ["before", "r[1]", "r[2]", "r[3]", "r[4]", "r[5]"])
        }
    }

    @Test func iterationsGoRoundRobin() {
        #expect((0..<5).map { iterationOwner($0, ranks: 2) } == [0, 1, 0, 1, 0])
        #expect((0..<4).map { iterationOwner($0, ranks: 1) } == [0, 0, 0, 0])
    }

    @Test func checkerKeepsDataCommandsAndFilesOutOfParallelLoops() {
        let c = CapturedSession()
        let outcome = c.session.run(source: "for s in 2 parallel {\n  generate retailrocket \"d\" events=1k\n  compare a markdown=\"x.md\"\n"
                                    + "  for t in 2 parallel {\n  }\n}\n", file: "t", mode: .check)
        #expect(outcome.status == .staticErrors)
        #expect(c.diagnostics.contains { $0.contains("'generate retailrocket' cannot run inside a 'parallel' loop") })
        #expect(c.diagnostics.contains { $0.contains("'compare markdown=' cannot run inside a 'parallel' loop") })
        #expect(c.diagnostics.contains { $0.contains("cannot be inside another 'parallel' loop") })
    }

    @Test func messagesRoundTrip() {
        var record = IterationRecord()
        record.events = [.output(.text("x")), .failure("f")]
        record.error = "e"
        for m in [RankMessage.iteration(index: 3, record), .finished(exitCode: 70, error: "boom")] {
            #expect(RankMessage.decode(m.encoded()) == m)
        }
    }
}

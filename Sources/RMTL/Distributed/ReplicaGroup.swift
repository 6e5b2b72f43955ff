/// The processes of a job that train one model together (MPI ranks, or threads in tests).
public protocol ReplicaExchange: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Every process calls it at the same point with a buffer of `size` equal blocks, its own
    /// block (number `rank`) filled; on return every block holds its process's bytes.
    func allgather(_ buffer: UnsafeMutableRawBufferPointer)
}

/// Where a model's data-parallel replicas live. A model with `threads` replicas (the global count:
/// shards per batch) keeps them in equal consecutive blocks, rank 0 first; each process computes
/// the shards of its block and the group gathers the rest, so every process sums all replicas'
/// gradient slabs in replica order and takes the same step as one process with all the replicas
/// would (docs/distributed.md). Forward-only passes (evaluation, predictions, TD targets) are
/// computed whole on every process, shard by shard in the same global layout: no exchange.
public struct ReplicaGroup: @unchecked Sendable {
    let exchange: (any ReplicaExchange)?

    /// One process holds every replica (nothing is exchanged).
    public static let oneProcess = ReplicaGroup(nil)

    /// The replicas spread over the processes `exchange` reaches (one process: `oneProcess`).
    public init(_ exchange: (any ReplicaExchange)?) {
        self.exchange = exchange.flatMap { $0.size > 1 ? $0 : nil }
    }

    public var rank: Int { exchange?.rank ?? 0 }
    public var ranks: Int { exchange?.size ?? 1 }

    /// The replicas of `parts` this process computes.
    func localParts(of parts: Int) -> Range<Int> {
        let block = parts / ranks
        return (rank * block)..<((rank + 1) * block)
    }

    /// Fills the other processes' blocks of `buffer` (`count` elements, cut into `ranks` equal
    /// blocks); nothing to do in one process.
    func allgather<T>(_ buffer: UnsafeMutablePointer<T>, count: Int) {
        guard let exchange else { return }
        precondition(count % exchange.size == 0)
        exchange.allgather(UnsafeMutableRawBufferPointer(start: buffer, count: count * MemoryLayout<T>.stride))
    }
}

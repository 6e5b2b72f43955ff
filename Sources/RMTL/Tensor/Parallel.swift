import Dispatch

/// Runs `body(i)` for `i` in `0..<count` on up to `count` threads and waits. Work is split by the
/// caller into fixed ranges, so results never depend on scheduling.
public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count == 1 { body(0); return }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
    }
}

/// A value handed to worker threads that touch disjoint memory by construction (each worker owns
/// its replica, shard or slab range), which the compiler cannot see.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}

/// The half-open range of `part` when `0..<total` is cut into `parts` nearly equal pieces.
@inline(__always)
public func shard(_ total: Int, part: Int, of parts: Int) -> Range<Int> {
    let base = total / parts, extra = total % parts
    let start = part * base + min(part, extra)
    return start..<(start + base + (part < extra ? 1 : 0))
}

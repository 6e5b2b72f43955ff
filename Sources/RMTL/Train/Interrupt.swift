import Synchronization

/// Ctrl-C, as engine loops see it. The prompt's SIGINT handler only sets `requested`; long loops call
/// `Interrupt.check()` between batches (never inside a kernel) and unwind with `Interrupted`, so the
/// prompt keeps its state and drops only the half-finished work.
public enum Interrupt {
    public static let requested = Atomic<Bool>(false)

    public struct Interrupted: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "interrupted" }
    }

    /// Throws `Interrupted` (and clears the flag) if Ctrl-C was pressed since the last check.
    @inline(__always)
    public static func check() throws(Interrupted) {
        if requested.load(ordering: .relaxed), requested.exchange(false, ordering: .relaxed) { throw Interrupted() }
    }
}

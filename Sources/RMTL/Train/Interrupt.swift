import Synchronization

/// Ctrl-C, as engine loops see it.
///
/// The SIGINT handler only sets `requested`; long loops call `try Interrupt.check()` between batches
/// (never inside a kernel) and unwind with `Interrupted`, so the prompt keeps its state and drops
/// only the half-finished work. The flag stays set until the prompt clears it before the next
/// command, so a second Ctrl-C while nothing polls can end the process (the CLI's handler).
public enum Interrupt {
    public static let requested = Atomic<Bool>(false)

    public struct Interrupted: Error, Sendable, CustomStringConvertible {
        public init() {}
        public var description: String { "interrupted" }
    }

    /// Throws `Interrupted` if Ctrl-C was pressed and not yet cleared. Cost: one relaxed load.
    @inline(__always)
    public static func check() throws(Interrupted) {
        if requested.load(ordering: .relaxed) { throw Interrupted() }
    }

    /// Forgets an earlier Ctrl-C (before running the next command).
    public static func clear() { requested.store(false, ordering: .relaxed) }
}

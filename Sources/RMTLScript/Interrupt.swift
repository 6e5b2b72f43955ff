import Synchronization

/// Ctrl-C as a flag that long loops poll.
///
/// The SIGINT handler only sets `requested`; loops call `try Interrupt.check()` between batches
/// (never inside a kernel), and the prompt clears the flag before each command. The flag stays set
/// until cleared, so a second Ctrl-C while nothing polls can end the process (the CLI's handler).
///
/// The engine (`RMTL`) cannot import `RMTLScript`; if engine loops should poll directly, move this
/// file to `Sources/RMTL/` unchanged (RMTLScript imports RMTL, so every use here still resolves).
public enum Interrupt {
    public static let requested = Atomic<Bool>(false)

    /// Thrown by `check()` after Ctrl-C.
    public struct Interrupted: Error, Sendable {
        public init() {}
    }

    /// Throws `Interrupted` if Ctrl-C was pressed and not yet cleared. Cost: one relaxed load.
    @inline(__always)
    public static func check() throws(Interrupted) {
        if requested.load(ordering: .relaxed) { throw Interrupted() }
    }

    /// Forget an earlier Ctrl-C (before running the next command).
    public static func clear() { requested.store(false, ordering: .relaxed) }
}

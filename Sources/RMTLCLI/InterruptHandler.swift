import RMTL
import CReadline
import Glibc
import RMTLScript

/// Installs the SIGINT handler: it only sets `Interrupt.requested`. A second Ctrl-C while the
/// flag is still set (the running code is not polling) ends the process with status 130, unless
/// `exitOnSecond` is false (the Jupyter kernel: every click on "interrupt" is one SIGINT).
enum InterruptHandler {
    static func install(exitOnSecond: Bool = true) {
        _ = Interrupt.requested.load(ordering: .relaxed)  // initialise the global outside the handler
        let handler: @convention(c) (Int32) -> Void = exitOnSecond ? { _ in
            if Interrupt.requested.exchange(true, ordering: .relaxed) { _exit(130) }
        } : { _ in Interrupt.requested.store(true, ordering: .relaxed) }
        _ = rmtl_install_sigint_handler(handler)
        _ = rmtl_unblock_sigint()
    }
}

import RMTL
import CReadline
import Glibc
import RMTLScript

/// Installs the SIGINT handler: it only sets `Interrupt.requested`. A second Ctrl-C while the
/// flag is still set (the running code is not polling) ends the process with status 130.
enum InterruptHandler {
    static func install() {
        _ = Interrupt.requested.load(ordering: .relaxed)  // initialise the global outside the handler
        let handler: @convention(c) (Int32) -> Void = { _ in
            if Interrupt.requested.exchange(true, ordering: .relaxed) { _exit(130) }
        }
        _ = rmtl_install_sigint_handler(handler)
        _ = rmtl_unblock_sigint()
    }
}

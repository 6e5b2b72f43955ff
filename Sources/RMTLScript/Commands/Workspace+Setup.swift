import RMTL
import Foundation

// MARK: - seed, threads, and the hidden test commands sleep / spin
extension Workspace {
    /// `seed N`: one seed for data order, init, dropout and replay sampling.
    public func setSeed(_ value: UInt64) {
        seed = value
        rng = RandomGenerator(seed: value)
        setConfig("seed", String(value))
        say("seed \(value)")
    }

    /// `threads N`: worker threads for the models built from now on (OpenBLAS itself runs on one).
    /// More threads than cores only slows training down (each is a model replica with its own
    /// gradients), so a count above `Machine.cores` is clamped to it, with a warning. Under
    /// `mpirun -np R` each rank runs N threads: R × N replicas, shown and recorded as the thread
    /// count, since that is what one process needs to give the same bits.
    public func setThreads(_ count: Int) {
        let cores = Machine.cores
        if count > cores { warn("threads \(count) is more than the \(cores) cores of this machine; using \(cores)") }
        threads = min(count, cores) * (ranks?.size ?? 1)
        setConfig("threads", String(threads))
        say("threads \(threads)")
    }

    /// `sleep SECONDS` (hidden): waits, polling `Interrupt.check()` every 10 ms.
    public func sleep(seconds: Double) throws {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            do { try Interrupt.check() } catch { throw WorkspaceError.interrupted }
            usleep(10_000)
        }
    }

    /// `spin SECONDS` (hidden): a busy loop with a progress line, polling `Interrupt.check()`,
    /// standing in for a training loop in prompt tests.
    public func spin(seconds: Double) throws {
        let start = Date()
        var x = 0.0
        var step = 0
        while Date().timeIntervalSince(start) < seconds {
            for k in 0..<20_000 { x += Double(k & 7) * 1e-9 }
            step += 1
            do { try Interrupt.check() } catch {
                progress.finish()
                throw WorkspaceError.interrupted
            }
            if step % 64 == 0 {
                let elapsed = Date().timeIntervalSince(start)
                progress.update(ProgressReporter.line(epoch: 1, epochs: 1, step: step, steps: nil,
                                              rowsPerSecond: Double(step) * 2048 / max(elapsed, 1e-9),
                                              loss: 1 / (1 + x), eta: max(0, seconds - elapsed)))
            }
        }
        progress.finish()
        say("spun \(step) steps")
    }
}

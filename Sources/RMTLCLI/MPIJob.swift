import ArgumentParser
import Foundation
import RMTL
import RMTLScript

/// `mpirun -np N rmtl run FILE`: every rank runs the script; rank 0 alone prints, writes files and
/// records the run. At the end the other ranks report to rank 0, which fails the job (ending every
/// rank) when any rank failed. docs/distributed.md.
struct MPIJob {
    let mpi: OpenMPI

    /// The job this process belongs to, or nil when mpirun did not start it.
    static func start() throws -> MPIJob? {
        guard OpenMPI.isLaunchedByMPIRun else { return nil }
        do { return MPIJob(mpi: try OpenMPI()) } catch {
            printError("error: \(error.description)")
            printError("hint: install Open MPI 4 (apt-get install openmpi-bin libopenmpi-dev), or run without mpirun")
            throw ExitCode(69)
        }
    }

    var isRankZero: Bool { mpi.rank == 0 }

    /// Silences ranks other than 0 and points them at files of their own. No rank draws progress
    /// lines: mpirun gives every rank a pseudo-terminal, wherever mpirun's own output goes.
    func join(_ session: Session) {
        session.workspace.ranks = mpi
        session.workspace.progress = ProgressReporter(isTerminal: false, write: { _ in })
        guard !isRankZero else { return }
        Workspace.writesFiles = false
        session.write = { _ in }
        session.writeError = { _ in }
        session.workspace.checkpointScratch = Workspace.makeScratchFolder()
    }

    /// Rank 0: the first other rank that failed, as the message to show (nil when all succeeded).
    /// Other ranks: report `outcome` to rank 0. When rank 0 itself failed it asks nothing: the
    /// others may wait in a loop it left, and `end` stops them.
    func finish(_ session: Session, _ outcome: Session.Outcome, file: String) -> String? {
        if !isRankZero {
            let error = outcome.errors.first.map { Diagnostic($0).rendered() }
            mpi.send(RankMessage.finished(exitCode: outcome.exitCode, error: error).encoded(), to: 0)
            if let scratch = session.workspace.checkpointScratch { try? FileManager.default.removeItem(atPath: scratch) }
            if outcome.exitCode != 0 { endAfterGrace(exitCode: outcome.exitCode, message: failureText(rank: mpi.rank, outcome.exitCode, error, file: file)) }
            return nil
        }
        guard outcome.status == .ok else { return nil }
        for r in 1..<mpi.size {
            switch RankMessage.decode(mpi.receive(from: r)) {
            case .finished(0, _): continue
            case .finished(let code, let error):
                return failureText(rank: r, code, error, file: file)
            default:
                return "\(file): error: rank \(r) ended out of step with rank 0 (an iteration of a 'parallel' loop was left over)"
            }
        }
        return nil
    }

    func failureText(rank: Int, _ code: Int32, _ error: String?, file: String) -> String {
        "\(file): error: rank \(rank) failed (exit \(code))" + (error.map { ":\n" + $0 } ?? "")
    }

    /// A failed rank other than 0 has told rank 0, which normally shows it and aborts the job. But
    /// rank 0 may be waiting in a collective this rank left (its gradients in data-parallel
    /// training), and would never read it: so after `graceSeconds` this rank shows the failure
    /// itself and aborts the job.
    private func endAfterGrace(exitCode: Int32, message: String) -> Never {
        sleep(Self.graceSeconds)
        printError(message)
        mpi.abort(code: exitCode)
    }

    static let graceSeconds: UInt32 = 3

    /// Ends this rank: normally when `exitCode` is 0, else the whole job (mpirun names the rank).
    func end(exitCode: Int32) -> Never {
        if exitCode == 0 || !isRankZero {
            mpi.finalize()
            exit(exitCode)
        }
        mpi.abort(code: exitCode)
    }
}

import Foundation

/// The ranks of a job started by Open MPI's `mpirun`, reached through libmpi loaded at run time.
///
/// rmtl does not link libmpi: a machine without Open MPI builds and runs rmtl as before, and
/// `mpirun` (which sets `OMPI_COMM_WORLD_SIZE`) is what makes rmtl look for `libmpi.so.40`. Only
/// the few calls rmtl needs are bound, by name, against Open MPI's ABI (4.x: a communicator and a
/// datatype are pointers to the predefined objects `ompi_mpi_comm_world` and `ompi_mpi_byte`).
/// Messages are byte strings sent rank to rank, and an allgather of equal byte blocks (gradient
/// slabs, `ReplicaGroup`); nothing here knows what they carry.
public final class OpenMPI: ReplicaExchange, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    private let world: OpaquePointer
    private let byte: OpaquePointer
    private let sendFunction: Send
    private let receiveFunction: Receive
    private let abortFunction: Abort
    private let allgatherFunction: Allgather
    private let finalizeFunction: @convention(c) () -> Int32

    private typealias Send = @convention(c) (UnsafeRawPointer?, Int32, OpaquePointer, Int32, Int32, OpaquePointer) -> Int32
    private typealias Receive = @convention(c) (UnsafeMutableRawPointer?, Int32, OpaquePointer, Int32, Int32, OpaquePointer, UnsafeMutableRawPointer?) -> Int32
    private typealias Abort = @convention(c) (OpaquePointer, Int32) -> Int32
    private typealias Allgather = @convention(c) (
        UnsafeRawPointer?, Int32, OpaquePointer, UnsafeMutableRawPointer?, Int32, OpaquePointer, OpaquePointer) -> Int32

    /// Why the job's MPI could not start.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Whether this process was started by `mpirun` (Open MPI sets the variable for every rank).
    public static var isLaunchedByMPIRun: Bool { ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil }

    /// The library names tried, newest ABI first; `RMTL_LIBMPI` names another one.
    static var libraryNames: [String] {
        [ProcessInfo.processInfo.environment["RMTL_LIBMPI"], "libmpi.so.40", "libmpi.so"].compactMap { $0 }
    }

    /// Loads libmpi and initialises MPI. Call once, before any thread is started.
    public init() throws(StartError) {
        // RTLD_GLOBAL: Open MPI's plugins resolve libmpi's symbols through the global namespace.
        guard let handle = OpenMPI.libraryNames.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_GLOBAL) }).first else {
            throw StartError(description: "mpirun started rmtl but libmpi.so.40 could not be loaded (\(String(cString: dlerror())))")
        }
        func symbol(_ name: String) throws(StartError) -> UnsafeMutableRawPointer {
            guard let p = dlsym(handle, name) else { throw StartError(description: "libmpi has no \(name): rmtl needs Open MPI 4.x") }
            return p
        }
        typealias Initialize = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32
        typealias Query = @convention(c) (OpaquePointer, UnsafeMutablePointer<Int32>) -> Int32
        world = OpaquePointer(try symbol("ompi_mpi_comm_world"))
        byte = OpaquePointer(try symbol("ompi_mpi_byte"))
        let initialize = unsafeBitCast(try symbol("MPI_Init"), to: Initialize.self)
        let commRank = unsafeBitCast(try symbol("MPI_Comm_rank"), to: Query.self)
        let commSize = unsafeBitCast(try symbol("MPI_Comm_size"), to: Query.self)
        sendFunction = unsafeBitCast(try symbol("MPI_Send"), to: Send.self)
        receiveFunction = unsafeBitCast(try symbol("MPI_Recv"), to: Receive.self)
        abortFunction = unsafeBitCast(try symbol("MPI_Abort"), to: Abort.self)
        allgatherFunction = unsafeBitCast(try symbol("MPI_Allgather"), to: Allgather.self)
        finalizeFunction = unsafeBitCast(try symbol("MPI_Finalize"), to: (@convention(c) () -> Int32).self)
        guard initialize(nil, nil) == 0 else { throw StartError(description: "MPI_Init failed") }
        var r: Int32 = 0, s: Int32 = 0
        _ = commRank(world, &r)
        _ = commSize(world, &s)
        rank = Int(r)
        size = Int(s)
    }

    /// Sends `bytes` to rank `destination`: its length, then the bytes (MPI counts are 32-bit).
    public func send(_ bytes: [UInt8], to destination: Int) {
        var count = UInt64(bytes.count)
        _ = withUnsafeBytes(of: &count) { sendFunction($0.baseAddress, 8, byte, Int32(destination), 0, world) }
        var offset = 0
        repeat {
            let chunk = min(bytes.count - offset, Int(Int32.max))
            _ = bytes.withUnsafeBytes { sendFunction($0.baseAddress! + offset, Int32(chunk), byte, Int32(destination), 0, world) }
            offset += chunk
        } while offset < bytes.count
    }

    /// Receives one message that rank `source` sent with `send`.
    public func receive(from source: Int) -> [UInt8] {
        var count: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &count) { receiveFunction($0.baseAddress, 8, byte, Int32(source), 0, world, nil) }
        var bytes = [UInt8](repeating: 0, count: Int(count))
        var offset = 0
        repeat {
            let chunk = min(bytes.count - offset, Int(Int32.max))
            _ = bytes.withUnsafeMutableBytes { receiveFunction($0.baseAddress! + offset, Int32(chunk), byte, Int32(source), 0, world, nil) }
            offset += chunk
        } while offset < bytes.count
        return bytes
    }

    /// Fills every rank's block of `buffer` (`size` equal blocks) from that rank, in place:
    /// `MPI_Allgather` with `MPI_IN_PLACE` (Open MPI's `(void *) 1`).
    public func allgather(_ buffer: UnsafeMutableRawBufferPointer) {
        let block = buffer.count / size
        precondition(block * size == buffer.count && block <= Int(Int32.max), "allgather blocks of \(block) bytes")
        _ = allgatherFunction(UnsafeRawPointer(bitPattern: 1), 0, byte, buffer.baseAddress, Int32(block), byte, world)
    }

    /// Ends every rank of the job now with `code` (mpirun reports which rank called it).
    public func abort(code: Int32) -> Never {
        _ = abortFunction(world, code)
        exit(code)
    }

    /// Leaves MPI normally; every rank calls it once at the end.
    public func finalize() { _ = finalizeFunction() }
}

/// Which rank runs iteration `iteration` (0-based) of a `parallel` loop: round-robin, so seeds of
/// equal cost spread evenly. Deterministic: it depends only on the two numbers.
public func iterationOwner(_ iteration: Int, ranks: Int) -> Int {
    precondition(iteration >= 0 && ranks >= 1)
    return iteration % ranks
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An operating-system error number (`errno`).
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: Int32
    public init(_ code: Int32) { self.code = code }
    /// e.g. "No space left on device (ENOSPC)".
    public var description: String { systemErrorMessage(code) }
}

/// The few file-system calls a save makes, behind a protocol so tests can record the order of
/// calls and fail the Nth one (reliability.md G12, G13). `POSIXFileIO` is the real thing.
///
/// Each method is one system call (or one directory listing) and reports failure as its `errno`.
public protocol FileIO {
    /// `open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)`: a new file, never an existing one.
    func createNew(_ path: String) throws(SystemError) -> Int32
    /// One `write(2)`; returns how many bytes were written (maybe fewer than asked).
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int
    func fsync(_ descriptor: Int32) throws(SystemError)
    func close(_ descriptor: Int32) throws(SystemError)
    /// `rename(2)`: atomically replaces `destination`.
    func rename(_ source: String, _ destination: String) throws(SystemError)
    func unlink(_ path: String) throws(SystemError)
    /// `open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)`, for `fsync` of a directory.
    func openDirectory(_ path: String) throws(SystemError) -> Int32
    /// Names in a directory, without "." and "..".
    func contentsOfDirectory(_ path: String) throws(SystemError) -> [String]
}

/// `FileIO` through the C library.
public struct POSIXFileIO: FileIO, Sendable {
    public init() {}

    public func createNew(_ path: String) throws(SystemError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw SystemError(errno) }
        return fd
    }

    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        while true {
            let n = Glibc.write(descriptor, bytes.baseAddress, bytes.count)
            if n >= 0 { return n }
            if errno != EINTR { throw SystemError(errno) }
        }
    }

    public func fsync(_ descriptor: Int32) throws(SystemError) {
        // Never retried, even on EINTR: after a failed fsync the kernel may have dropped the dirty
        // pages, so a second fsync can report success for data that is gone (the "fsyncgate" lesson).
        if Glibc.fsync(descriptor) != 0 { throw SystemError(errno) }
    }

    public func close(_ descriptor: Int32) throws(SystemError) {
        if Glibc.close(descriptor) != 0 { throw SystemError(errno) }
    }

    public func rename(_ source: String, _ destination: String) throws(SystemError) {
        if Glibc.rename(source, destination) != 0 { throw SystemError(errno) }
    }

    public func unlink(_ path: String) throws(SystemError) {
        if Glibc.unlink(path) != 0 { throw SystemError(errno) }
    }

    public func openDirectory(_ path: String) throws(SystemError) -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw SystemError(errno) }
        return fd
    }

    public func contentsOfDirectory(_ path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw SystemError(errno) }
        defer { closedir(dir) }
        var names: [String] = []
        // d_name is read in place up to its NUL: readdir packs records by d_reclen, so the last one
        // in glibc's buffer can be shorter than `dirent`, and copying the whole 256-byte field
        // (`entry.pointee.d_name`) read past the buffer (AddressSanitizer, docs/reliability.md).
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!  // safe: a stored field
        while let entry = readdir(dir) {
            let name = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Replaces a file so that a crash, a kill or an I/O error at any moment leaves either the
/// complete old file or the complete new one (reliability.md G11–G13).
///
/// The sequence, each step one `FileIO` call:
/// 1. remove stray temporary files left by an earlier save to the same target that was killed
///    (`.<name>.tmp-*` in the same folder; failures here are ignored);
/// 2. create `.<name>.tmp-<pid>-<n>` in the target's folder (same file system, so rename is atomic);
/// 3. write every chunk; 4. `fsync` the file; 5. `close` it; 6. `rename` it over the target;
/// 7. `fsync` the folder, so the rename itself survives a power loss.
/// A failure before step 6 closes and removes the temporary file and leaves the target untouched.
/// A failed `fsync` is never retried. Not guaranteed: the new file keeps the default mode (0644
/// less the umask), not the old file's; two processes saving to one target at once may remove
/// each other's temporary file (one of them then fails cleanly).
///
/// What the target is decides how it is written (issue 12): a regular file, or a name that does not
/// exist yet, is replaced atomically as above; a symbolic link is followed (up to 40 links) and
/// its final target replaced atomically in *that* target's folder, so the link stays a link; a
/// character device (`/dev/null`), FIFO or socket is opened and written directly (a FIFO without a
/// reader is an error, never a wait); anything else (a folder, a block device) is refused.
public enum AtomicFile {
    /// Writes the concatenation of `chunks` to `path`: atomically for a regular file.
    public static func write(
        _ chunks: [[UInt8]], to path: String, io: some FileIO = POSIXFileIO()
    ) throws(AtomicFileError) {
        let target = WriteTarget.resolve(path)
        switch target.kind {
        case .regular, .missing:
            do {
                try replace(at: target.path, reportedAs: path, io: io) { fd throws(SystemError) in try writeAll(chunks, to: fd, io: io) }
            } catch let error as AtomicFileError { throw error } catch {
                throw AtomicFileError(path: path, step: .write, error: error as? SystemError ?? SystemError(EIO))
            }
        case .characterDevice, .fifo, .socket: try writeDirectly(chunks, to: target, reportedAs: path, io: io)
        case .folder: throw AtomicFileError(path: path, step: .unsupportedTarget, error: SystemError(EISDIR))
        case .other: throw AtomicFileError(path: path, step: .unsupportedTarget, error: SystemError(ENOTSUP))
        }
    }

    /// Writes what `produce` appends to its `StreamingFileWriter`, as it goes (1 MiB at a time), to
    /// `path` with the same guarantees as `write(_:to:io:)`: files far larger than memory (per-row
    /// predictions of millions of rows) are never held whole. An error thrown by `produce` removes
    /// the temporary file, leaves the target untouched and is rethrown as it is.
    public static func stream(
        to path: String, io: some FileIO = POSIXFileIO(), produce: (StreamingFileWriter) throws -> Void
    ) throws {
        let target = WriteTarget.resolve(path)
        func content(_ fd: Int32) throws {
            let writer = StreamingFileWriter { chunk throws(SystemError) in try writeAll([chunk], to: fd, io: io) }
            try produce(writer)
            try writer.flush()
        }
        switch target.kind {
        case .regular, .missing: try replace(at: target.path, reportedAs: path, io: io, content: content)
        case .characterDevice, .fifo, .socket:
            let fd: Int32
            do { fd = try target.kind == .socket ? connectSocket(target.path) : openExisting(target.path) } catch {
                throw AtomicFileError(path: path, step: .open, error: error)
            }
            defer { try? io.close(fd) }
            do { try content(fd) } catch let error as SystemError {
                throw AtomicFileError(path: path, step: .writeDirectly, error: error)
            }
        case .folder: throw AtomicFileError(path: path, step: .unsupportedTarget, error: SystemError(EISDIR))
        case .other: throw AtomicFileError(path: path, step: .unsupportedTarget, error: SystemError(ENOTSUP))
        }
    }

    /// A device, FIFO or socket: opened and written in place (no temporary file, no rename, no
    /// `fsync`, which such files do not support).
    private static func writeDirectly(
        _ chunks: [[UInt8]], to target: WriteTarget, reportedAs shown: String, io: some FileIO
    ) throws(AtomicFileError) {
        let fd: Int32
        do { fd = try target.kind == .socket ? connectSocket(target.path) : openExisting(target.path) } catch {
            throw AtomicFileError(path: shown, step: .open, error: error)
        }
        do { try writeAll(chunks, to: fd, io: io) } catch {
            try? io.close(fd)
            throw AtomicFileError(path: shown, step: .writeDirectly, error: error)
        }
        do { try io.close(fd) } catch { throw AtomicFileError(path: shown, step: .writeDirectly, error: error) }
    }

    /// `open(O_WRONLY | O_NONBLOCK)` so a FIFO without a reader fails (ENXIO) instead of waiting;
    /// blocking mode is restored for the writes.
    private static func openExisting(_ path: String) throws(SystemError) -> Int32 {
        let fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        if fd < 0 { throw SystemError(errno) }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return fd
    }

    /// A Unix stream socket at `path`, connected.
    private static func connectSocket(_ path: String) throws(SystemError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw SystemError(ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        #if canImport(Glibc)
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        if fd < 0 { throw SystemError(errno) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected != 0 {
            let code = errno
            Glibc.close(fd)
            throw SystemError(code)
        }
        return fd
    }

    /// Every byte of `chunks` to `fd`, in calls of at most 1 GiB (some kernels refuse larger ones).
    private static func writeAll(_ chunks: [[UInt8]], to fd: Int32, io: some FileIO) throws(SystemError) {
        for chunk in chunks {
            var done = 0
            while done < chunk.count {
                let result: Result<Int, SystemError> = chunk.withUnsafeBytes { raw in
                    let slice = UnsafeRawBufferPointer(
                        rebasing: raw[done..<min(chunk.count, done + (1 << 30))])
                    do throws(SystemError) { return .success(try io.write(fd, slice)) } catch {
                        return .failure(error)
                    }
                }
                switch result {
                case .success(let n) where n > 0: done += n
                case .success: throw SystemError(EIO)  // write returned 0: no progress
                case .failure(let e): throw e
                }
            }
        }
    }

    /// The atomic sequence above, for a regular file (or a new one) at `path`; errors name `shown`
    /// (the path the user gave, which may be a link to `path`).
    /// `content` writes the bytes to the temporary file's descriptor; a `SystemError` it throws is
    /// reported as the write step's, any other error is rethrown after the clean-up.
    private static func replace(
        at path: String, reportedAs shown: String, io: some FileIO, content: (Int32) throws -> Void
    ) throws {
        let (folder, name) = split(path)
        let tempPrefix = ".\(name).tmp-"
        if let names = try? io.contentsOfDirectory(folder) {
            for stray in names where stray.hasPrefix(tempPrefix) {
                try? io.unlink(join(folder, stray))
            }
        }

        let temp = join(folder, tempPrefix + uniqueSuffix())
        let fd: Int32
        do { fd = try io.createNew(temp) } catch {
            throw AtomicFileError(path: shown, step: .create, error: error)
        }
        var isOpen = true
        func abandon(_ step: AtomicFileError.Step, _ error: SystemError) -> AtomicFileError {
            if isOpen { try? io.close(fd) }
            try? io.unlink(temp)
            return AtomicFileError(path: shown, step: step, error: error)
        }

        do { try content(fd) } catch let error as SystemError { throw abandon(.write, error) } catch {
            _ = abandon(.write, SystemError(EIO))
            throw error
        }
        do { try io.fsync(fd) } catch { throw abandon(.fsyncFile, error) }
        isOpen = false
        do { try io.close(fd) } catch { throw abandon(.close, error) }
        do { try io.rename(temp, path) } catch { throw abandon(.rename, error) }

        // The new file is in place from here on; only its durability is in question.
        let dirFD: Int32
        do { dirFD = try io.openDirectory(folder) } catch {
            throw AtomicFileError(path: shown, step: .fsyncFolder, error: error)
        }
        do { try io.fsync(dirFD) } catch {
            try? io.close(dirFD)
            throw AtomicFileError(path: shown, step: .fsyncFolder, error: error)
        }
        try? io.close(dirFD)
    }

    /// Splits "a/b/c.st" into ("a/b", "c.st"); a bare name lives in ".".
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// `<pid>-<monotonic ns>`: unique among this process's saves and others' (O_EXCL checks it).
    private static func uniqueSuffix() -> String {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return "\(getpid())-\(Int(t.tv_sec) &* 1_000_000_000 &+ Int(t.tv_nsec))"
    }
}

/// The file a write goes to, after following symbolic links, and what kind of file it is.
struct WriteTarget: Equatable {
    enum Kind: Equatable { case missing, regular, characterDevice, fifo, socket, folder, other }
    /// The final target: `path` itself unless it is a link.
    let path: String
    let kind: Kind

    /// Follows links from `path` (a relative link is relative to the link's folder) up to 40 deep,
    /// as the kernel does; a dangling link resolves to the missing file it names, which is created.
    static func resolve(_ path: String) -> WriteTarget {
        var current = path
        for _ in 0..<40 {
            var st = stat()
            guard lstat(current, &st) == 0 else { return WriteTarget(path: current, kind: .missing) }
            switch st.st_mode & S_IFMT {
            case S_IFLNK:
                guard let link = readLink(current) else { return WriteTarget(path: current, kind: .other) }
                current = link.hasPrefix("/") ? link : AtomicFile.join(AtomicFile.split(current).folder, link)
            case S_IFREG: return WriteTarget(path: current, kind: .regular)
            case S_IFCHR: return WriteTarget(path: current, kind: .characterDevice)
            case S_IFIFO: return WriteTarget(path: current, kind: .fifo)
            case S_IFSOCK: return WriteTarget(path: current, kind: .socket)
            case S_IFDIR: return WriteTarget(path: current, kind: .folder)
            default: return WriteTarget(path: current, kind: .other)
            }
        }
        return WriteTarget(path: current, kind: .other)  // a loop of links (ELOOP)
    }

    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A save that failed, as one line naming the file, the step and the operating system's message.
public struct AtomicFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Step: String, Sendable {
        case create = "cannot create a temporary file next to it"
        case write = "writing the temporary file failed"
        case fsyncFile = "flushing the temporary file to disk (fsync) failed"
        case close = "closing the temporary file failed"
        case rename = "renaming the temporary file over it failed"
        case fsyncFolder = "flushing its folder to disk (fsync) failed"
        /// A device, FIFO or socket could not be opened (a FIFO without a reader: ENXIO).
        case open = "cannot open it for writing"
        case writeDirectly = "writing to it failed"
        /// A folder, a block device or a loop of links: never replaced.
        case unsupportedTarget = "it is not a regular file, a link to one, a character device, a FIFO or a socket"
    }

    public let path: String
    public let step: Step
    public let error: SystemError

    public init(path: String, step: Step, error: SystemError) {
        self.path = path
        self.step = step
        self.error = error
    }

    /// True when the target still holds its previous content (or still does not exist).
    public var isTargetUnchanged: Bool { step != .fsyncFolder && step != .writeDirectly }

    /// "cannot save 'PATH': STEP: OS MESSAGE", for callers that add their own position.
    public var message: String { "cannot save '\(path)': \(step.rawValue): \(error)" }

    /// What to do about it.
    public var hint: String {
        switch step {
        case .fsyncFolder: return "the new file is in place but may not survive a power loss; save again to be sure"
        case .unsupportedTarget: return "give the name of a file (it is created or replaced), not of a folder"
        case .open, .writeDirectly:
            return "it is a device, FIFO or socket, written in place: check that it accepts writes (a FIFO needs a reader)"
        default: return "the previous file was left unchanged; free space or fix permissions and save again"
        }
    }

    public var description: String {
        "\(path): error: cannot save: \(step.rawValue): \(error)\nhint: \(hint)"
    }
}

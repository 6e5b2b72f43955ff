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
public enum AtomicFile {
    /// Writes the concatenation of `chunks` to `path` atomically.
    public static func write(
        _ chunks: [[UInt8]], to path: String, io: some FileIO = POSIXFileIO()
    ) throws(AtomicFileError) {
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
            throw AtomicFileError(path: path, step: .create, error: error)
        }
        var isOpen = true
        func abandon(_ step: AtomicFileError.Step, _ error: SystemError) -> AtomicFileError {
            if isOpen { try? io.close(fd) }
            try? io.unlink(temp)
            return AtomicFileError(path: path, step: step, error: error)
        }

        for chunk in chunks {
            var done = 0
            while done < chunk.count {
                let result: Result<Int, SystemError> = chunk.withUnsafeBytes { raw in
                    // Cap one call at 1 GiB: some kernels refuse larger single writes.
                    let slice = UnsafeRawBufferPointer(
                        rebasing: raw[done..<min(chunk.count, done + (1 << 30))])
                    do throws(SystemError) { return .success(try io.write(fd, slice)) } catch {
                        return .failure(error)
                    }
                }
                switch result {
                case .success(let n) where n > 0: done += n
                case .success: throw abandon(.write, SystemError(EIO))  // write returned 0: no progress
                case .failure(let e): throw abandon(.write, e)
                }
            }
        }
        do { try io.fsync(fd) } catch { throw abandon(.fsyncFile, error) }
        isOpen = false
        do { try io.close(fd) } catch { throw abandon(.close, error) }
        do { try io.rename(temp, path) } catch { throw abandon(.rename, error) }

        // The new file is in place from here on; only its durability is in question.
        let dirFD: Int32
        do { dirFD = try io.openDirectory(folder) } catch {
            throw AtomicFileError(path: path, step: .fsyncFolder, error: error)
        }
        do { try io.fsync(dirFD) } catch {
            try? io.close(dirFD)
            throw AtomicFileError(path: path, step: .fsyncFolder, error: error)
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

/// A save that failed, as one line naming the file, the step and the operating system's message.
public struct AtomicFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Step: String, Sendable {
        case create = "cannot create a temporary file next to it"
        case write = "writing the temporary file failed"
        case fsyncFile = "flushing the temporary file to disk (fsync) failed"
        case close = "closing the temporary file failed"
        case rename = "renaming the temporary file over it failed"
        case fsyncFolder = "flushing its folder to disk (fsync) failed"
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
    public var isTargetUnchanged: Bool { step != .fsyncFolder }

    public var description: String {
        let hint =
            isTargetUnchanged
            ? "the previous file was left unchanged; free space or fix permissions and save again"
            : "the new file is in place but may not survive a power loss; save again to be sure"
        return "\(path): error: cannot save: \(step.rawValue): \(error)\nhint: \(hint)"
    }
}

import Foundation
import RMTL
import Testing

extension StorageTests {
    /// reliability.md G12, after SQLite's test6.c and the ALICE study: record the calls a save makes,
    /// then for every crash point and every choice of which unsynced operations reached the disk
    /// (each dropped, kept, or for a write torn to half), rebuild what the disk would hold and check
    /// that the target is the complete old or the complete new file.
    ///
    /// The disk model: a file's writes are durable once that file is fsynced; a directory entry
    /// change (create, rename, unlink) once the directory is fsynced. Anything not yet durable may
    /// or may not have reached the disk, independently, as file systems without ordering
    /// guarantees allow.
    @Suite("Power loss during a save")
    struct PowerLossTests {
        enum Op {
            case create(path: String, fd: Int32)
            case write(fd: Int32, offset: Int, bytes: [UInt8])
            case fsync(fd: Int32)
            case rename(from: String, to: String)
            case unlink(path: String)
            case openDirectory(path: String, fd: Int32)
        }

        /// Performs the calls for real and logs them. With `skipsFileSync` it leaves out the file
        /// fsync, to show that the checker catches a broken save sequence.
        final class RecordingFileIO: FileIO {
            let real = POSIXFileIO()
            let skipsFileSync: Bool
            private(set) var log: [Op] = []
            private var offsets: [Int32: Int] = [:]
            private var directories: Set<Int32> = []

            init(skipsFileSync: Bool = false) { self.skipsFileSync = skipsFileSync }

            func createNew(_ path: String) throws(SystemError) -> Int32 {
                let fd = try real.createNew(path)
                log.append(.create(path: path, fd: fd))
                offsets[fd] = 0
                return fd
            }
            func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
                let n = try real.write(descriptor, bytes)
                let offset = offsets[descriptor] ?? 0
                log.append(.write(fd: descriptor, offset: offset, bytes: Array(bytes[0..<n])))
                offsets[descriptor] = offset + n
                return n
            }
            func fsync(_ descriptor: Int32) throws(SystemError) {
                if skipsFileSync && !directories.contains(descriptor) { return }
                try real.fsync(descriptor)
                log.append(.fsync(fd: descriptor))
            }
            func close(_ descriptor: Int32) throws(SystemError) { try real.close(descriptor) }
            func rename(_ source: String, _ destination: String) throws(SystemError) {
                try real.rename(source, destination)
                log.append(.rename(from: source, to: destination))
            }
            func unlink(_ path: String) throws(SystemError) {
                try real.unlink(path)
                log.append(.unlink(path: path))
            }
            func openDirectory(_ path: String) throws(SystemError) -> Int32 {
                let fd = try real.openDirectory(path)
                directories.insert(fd)
                log.append(.openDirectory(path: path, fd: fd))
                return fd
            }
            func contentsOfDirectory(_ path: String) throws(SystemError) -> [String] {
                try real.contentsOfDirectory(path)
            }
        }

        /// What a crash can leave at `target`: one entry per (crash point, fate of each unsynced op).
        /// nil content means the target does not exist.
        static func possibleTargets(log: [Op], target: String, old: [UInt8]) -> [(
            crashAfter: Int, content: [UInt8]?
        )] {
            var results: [(Int, [UInt8]?)] = []
            for crash in 0...log.count {
                let ops = Array(log[0..<crash])
                // Which ops are durable at the crash: file ops up to their file's last fsync,
                // directory ops up to the last directory fsync. Descriptors are reused after close,
                // so a file is identified by the create that opened it.
                var fileOf: [Int32: Int] = [:]  // fd -> index of its create op
                var fileOfOp: [Int: Int] = [:]  // write index -> file (create index)
                var lastFileSync: [Int: Int] = [:]  // file -> index of its last fsync
                var directoryFDs: Set<Int32> = []
                var lastDirectorySync = -1
                for (i, op) in ops.enumerated() {
                    switch op {
                    case .create(_, let fd):
                        fileOf[fd] = i
                        directoryFDs.remove(fd)
                    case .openDirectory(_, let fd):
                        directoryFDs.insert(fd)
                        fileOf[fd] = nil
                    case .write(let fd, _, _): fileOfOp[i] = fileOf[fd]
                    case .fsync(let fd):
                        if directoryFDs.contains(fd) {
                            lastDirectorySync = i
                        } else if let f = fileOf[fd] {
                            lastFileSync[f] = i
                        }
                    default: break
                    }
                }
                var pending: [Int] = []
                for (i, op) in ops.enumerated() {
                    switch op {
                    case .write:
                        if let f = fileOfOp[i], let s = lastFileSync[f], s > i { continue }
                        pending.append(i)
                    case .create, .rename, .unlink:
                        if lastDirectorySync > i { continue }
                        pending.append(i)
                    default: continue
                    }
                }
                // Fates: 0 dropped, 1 kept, 2 torn (writes only). Enumerate all combinations.
                let choices = pending.map { if case .write = ops[$0] { 3 } else { 2 } }
                var fate = [Int](repeating: 0, count: pending.count)
                while true {
                    results.append(
                        (crash, replay(ops, pending: pending, fate: fate, target: target, old: old)))
                    var k = 0
                    while k < fate.count {
                        fate[k] += 1
                        if fate[k] < choices[k] { break }
                        fate[k] = 0
                        k += 1
                    }
                    if k == fate.count { break }
                }
            }
            return results
        }

        static func replay(_ ops: [Op], pending: [Int], fate: [Int], target: String, old: [UInt8]) -> [UInt8]?
        {
            var entries: [String: Int] = [target: -1]  // name -> file id (-1: the old file)
            var files: [Int: [UInt8]] = [-1: old]
            var fileOf: [Int32: Int] = [:]
            for (i, op) in ops.enumerated() {
                let p = pending.firstIndex(of: i)
                let f = p.map { fate[$0] } ?? 1
                if case .create(_, let fd) = op { fileOf[fd] = i }  // the descriptor exists even if the entry is lost
                if f == 0 { continue }
                switch op {
                case .create(let path, _):
                    entries[path] = i
                    files[i] = []
                case .write(let fd, let offset, var bytes):
                    guard let id = fileOf[fd] else { continue }
                    if f == 2 { bytes = Array(bytes.prefix(bytes.count / 2)) }
                    var content = files[id] ?? []
                    if content.count < offset + bytes.count {
                        content += [UInt8](repeating: 0, count: offset + bytes.count - content.count)
                    }
                    content.replaceSubrange(offset..<offset + bytes.count, with: bytes)
                    files[id] = content
                case .rename(let from, let to):
                    if let id = entries.removeValue(forKey: from) { entries[to] = id }
                case .unlink(let path):
                    entries[path] = nil
                default: break
                }
            }
            return entries[target].flatMap { files[$0] ?? [] }
        }

        static func recordSave(io: RecordingFileIO) throws -> (
            target: String, old: [UInt8], new: [UInt8], folder: String
        ) {
            let folder = StorageTestSupport.makeTemporaryFolder()
            let target = folder + "/ckpt.safetensors"
            let old = AtomicFileTests.old
            let new = AtomicFileTests.new
            try old.write(to: target)
            try new.write(to: target, io: io)
            return (target, old.encoded(), new.encoded(), folder)
        }

        @Test func everyCrashStateIsOldOrNew() throws {
            let io = RecordingFileIO()
            let (target, old, new, folder) = try Self.recordSave(io: io)
            defer { StorageTestSupport.remove(folder) }
            let states = Self.possibleTargets(log: io.log, target: target, old: old)
            var sawOld = false
            var sawNew = false
            for state in states {
                let isOld = state.content == old
                let isNew = state.content == new
                #expect(
                    isOld || isNew, "crash after op \(state.crashAfter): \(state.content?.count ?? -1) bytes")
                sawOld = sawOld || isOld
                sawNew = sawNew || isNew
            }
            #expect(sawOld && sawNew)
            #expect(states.count > 50)
            // After the last operation everything is durable: only the new file remains possible.
            #expect(states.filter { $0.crashAfter == io.log.count }.allSatisfy { $0.content == new })
        }

        /// The checker has teeth: without the file fsync before the rename, some crash leaves a
        /// torn file under the target's name.
        @Test func checkerCatchesAMissingFileSync() throws {
            let io = RecordingFileIO(skipsFileSync: true)
            let (target, old, new, folder) = try Self.recordSave(io: io)
            defer { StorageTestSupport.remove(folder) }
            let states = Self.possibleTargets(log: io.log, target: target, old: old)
            let torn = states.filter { $0.content != old && $0.content != new }
            #expect(!torn.isEmpty)
            // Worse than a refused file: a hole of zeros where a write was lost can still decode.
            #expect(torn.contains { $0.content.map { (try? SafetensorsFile.decode($0)) != nil } ?? false })
        }
    }
}

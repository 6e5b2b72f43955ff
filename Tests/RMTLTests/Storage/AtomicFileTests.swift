import Foundation
import RMTL
import Testing

extension StorageTests {
    /// reliability.md G12 (order of calls) and G13 (fail the Nth call): a save never leaves a torn file.
    @Suite("Atomic file writes")
    struct AtomicFileTests {
        static let old = SafetensorsFile(
            tensors: ["w": TensorData(shape: [2], floats: [1, 2])], metadata: ["v": "old"])
        static let new = SafetensorsFile(
            tensors: [
                "w": TensorData(shape: [3], floats: [4, 5, 6]), "step": TensorData(shape: [], int64s: [7]),
            ],
            metadata: ["v": "new"])

        @Test func callOrderIsWriteFsyncCloseRenameFsyncFolder() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            let io = FaultyFileIO()
            try Self.new.write(to: folder + "/ckpt.safetensors", io: io)
            #expect(
                io.calls == [
                    "list", "create", "write", "write", "write", "fsync", "close", "rename",
                    "openDirectory", "fsync", "close",
                ])
            #expect(try SafetensorsFile.read(path: folder + "/ckpt.safetensors") == Self.new)
        }

        @Test func shortWritesAreCompleted() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            try Self.new.write(to: folder + "/ckpt.safetensors", io: FaultyFileIO(maximumWrite: 3))
            #expect(try SafetensorsFile.read(path: folder + "/ckpt.safetensors") == Self.new)
        }

        /// Fail every call of a save in turn, with several errnos: the target always holds the complete
        /// old file (or, after the rename, the complete new one), no temporary file is left behind, and
        /// the error is one line plus a hint.
        @Test(arguments: [ENOSPC, EIO, EACCES])
        func failingAnyCallLeavesAValidFile(errno code: Int32) throws {
            let count = try {
                let folder = StorageTestSupport.makeTemporaryFolder()
                defer { StorageTestSupport.remove(folder) }
                try Self.old.write(to: folder + "/ckpt.safetensors")
                let io = FaultyFileIO()
                try Self.new.write(to: folder + "/ckpt.safetensors", io: io)
                return io.calls.count
            }()
            #expect(count == 11)
            for n in 1...count {
                let folder = StorageTestSupport.makeTemporaryFolder()
                defer { StorageTestSupport.remove(folder) }
                let path = folder + "/ckpt.safetensors"
                try Self.old.write(to: path)
                let io = FaultyFileIO(failAt: n, failure: code)
                var thrown: AtomicFileError?
                do { try Self.new.write(to: path, io: io) } catch { thrown = error }
                let after = try SafetensorsFile.read(path: path)
                let failedCall = io.calls[n - 1]
                if let thrown {
                    #expect(
                        after == (thrown.isTargetUnchanged ? Self.old : Self.new), "call \(n) \(failedCall)")
                    #expect(thrown.description.split(separator: "\n").count == 2)
                    #expect(thrown.description.hasPrefix("\(path): error: cannot save: "))
                    #expect(thrown.description.contains(String(cString: strerror(code))))
                } else {
                    // Only the stray-file sweep and the last close of the folder may fail silently.
                    #expect(
                        failedCall == "list" || (failedCall == "close" && n == count),
                        "call \(n) \(failedCall)")
                    #expect(after == Self.new)
                }
                #expect(StorageTestSupport.list(folder) == ["ckpt.safetensors"], "call \(n) \(failedCall)")
            }
        }

        @Test func errorNamesPathStepAndOSMessage() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            let path = folder + "/ckpt.safetensors"
            try Self.old.write(to: path)
            let e = #expect(throws: AtomicFileError.self) {
                try Self.new.write(to: path, io: FaultyFileIO(failAt: 6, failure: ENOSPC))  // 6 = fsync of the file
            }
            #expect(
                e?.description == """
                    \(path): error: cannot save: flushing the temporary file to disk (fsync) failed: No space left on device (ENOSPC)
                    hint: the previous file was left unchanged; free space or fix permissions and save again
                    """)
            #expect(try SafetensorsFile.read(path: path) == Self.old)

            let missingFolder = folder + "/no/such/folder/ckpt.safetensors"
            let e2 = #expect(throws: AtomicFileError.self) { try Self.new.write(to: missingFolder) }
            #expect(
                e2?.description.hasPrefix(
                    "\(missingFolder): error: cannot save: cannot create a temporary file next to it: No such file or directory (ENOENT)"
                ) == true)
        }

        @Test func strayTemporaryFilesAreRemovedByTheNextSave() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            for stray in [".ckpt.safetensors.tmp-999-1", ".ckpt.safetensors.tmp-1-2"] {
                StorageTestSupport.create(folder + "/" + stray, [1, 2, 3])
            }
            StorageTestSupport.create(folder + "/.other.safetensors.tmp-1-1", [])
            try Self.new.write(to: folder + "/ckpt.safetensors")
            #expect(StorageTestSupport.list(folder) == [".other.safetensors.tmp-1-1", "ckpt.safetensors"])
        }

        /// Every name comes back whole, from 1 to 255 bytes (the longest a name can be). Under
        /// AddressSanitizer this is the regression test for reading past readdir's buffer: each
        /// record is only as long as its name, so the last one in the buffer could end before the
        /// 256-byte `d_name` that the listing used to copy (docs/reliability.md, Sanitizers).
        @Test func listingReadsEveryNameWhole() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            let expected = (1...255).map { String(repeating: "n", count: $0 - 1) + "x" }
            for name in expected {
                #expect(FileManager.default.createFile(atPath: folder + "/" + name, contents: nil))
            }
            #expect(try POSIXFileIO().contentsOfDirectory(folder).sorted() == expected.sorted())
        }
    }
}

import Foundation
import RMTL
import Testing

extension StorageTests {
    /// Issue 12: a save replaces only regular files; links are written through, device nodes and
    /// FIFOs are written in place, folders are refused. Nodes are made with `mknod` in a temporary
    /// folder (major 1, minor 3 is the null device, 1/7 the full device), never in the real /dev.
    @Suite("Write targets") struct WriteTargetTests {
        static let data = AtomicFileTests.new

        static func kind(_ path: String) -> mode_t? {
            var st = stat()
            return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : nil
        }

        /// A character device node like /dev/null (1, 3) or /dev/full (1, 7); nil without the
        /// privilege to make one.
        static func characterDevice(_ path: String, minor: UInt32) -> String? {
            // makedev(1, minor) for minor < 256
            mknod(path, S_IFCHR | 0o666, dev_t((1 << 8) | minor)) == 0 ? path : nil
        }

        @Test func characterDeviceIsWrittenInPlaceNotReplaced() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            guard let null = Self.characterDevice(folder + "/null", minor: 3) else {
                Issue.record("cannot mknod (not root?): the device-node case is untested here")
                return
            }
            try Self.data.write(to: null)
            #expect(Self.kind(null) == S_IFCHR)
            #expect(StorageTestSupport.list(folder) == ["null"])

            // a device that refuses writes gives a clean error and stays a device
            let full = try #require(Self.characterDevice(folder + "/full", minor: 7))
            let e = #expect(throws: AtomicFileError.self) { try Self.data.write(to: full) }
            #expect(e?.step == .writeDirectly)
            #expect(e?.error == SystemError(ENOSPC))
            #expect(Self.kind(full) == S_IFCHR)
        }

        @Test func fifoIsWrittenInPlaceAndNeverWaitsForAReader() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            let fifo = folder + "/pipe"
            try #require(mkfifo(fifo, 0o644) == 0)

            // no reader: an error at once (ENXIO), not a hang
            let e = #expect(throws: AtomicFileError.self) { try Self.data.write(to: fifo) }
            #expect(e?.step == .open)
            #expect(e?.error == SystemError(ENXIO))
            #expect(Self.kind(fifo) == S_IFIFO)

            let reader = open(fifo, O_RDONLY | O_NONBLOCK)
            try #require(reader >= 0)
            defer { close(reader) }
            try Self.data.write(to: fifo)
            let expected = Self.data.encoded()
            var received = [UInt8](repeating: 0, count: expected.count + 16)
            let n = read(reader, &received, received.count)
            #expect(Array(received.prefix(max(n, 0))) == expected)
            #expect(Self.kind(fifo) == S_IFIFO)
            #expect(StorageTestSupport.list(folder) == ["pipe"])
        }

        @Test func symlinkIsWrittenThroughAndStaysALink() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            try FileManager.default.createDirectory(atPath: folder + "/real", withIntermediateDirectories: false)
            try AtomicFileTests.old.write(to: folder + "/real/ckpt.safetensors")
            // a relative link, and a link to that link
            try #require(symlink("real/ckpt.safetensors", folder + "/link") == 0)
            try #require(symlink(folder + "/link", folder + "/link2") == 0)
            try Self.data.write(to: folder + "/link2")
            #expect(Self.kind(folder + "/link") == S_IFLNK)
            #expect(Self.kind(folder + "/link2") == S_IFLNK)
            #expect(try SafetensorsFile.read(path: folder + "/real/ckpt.safetensors") == Self.data)
            #expect(StorageTestSupport.list(folder) == ["link", "link2", "real"])
            #expect(StorageTestSupport.list(folder + "/real") == ["ckpt.safetensors"])

            // a dangling link creates the file it names
            try #require(symlink("real/new.safetensors", folder + "/dangling") == 0)
            try Self.data.write(to: folder + "/dangling")
            #expect(Self.kind(folder + "/dangling") == S_IFLNK)
            #expect(try SafetensorsFile.read(path: folder + "/real/new.safetensors") == Self.data)

            // a link to a device node writes to the device
            if let null = Self.characterDevice(folder + "/null", minor: 3) {
                try #require(symlink(null, folder + "/to-null") == 0)
                try Self.data.write(to: folder + "/to-null")
                #expect(Self.kind(null) == S_IFCHR)
                #expect(Self.kind(folder + "/to-null") == S_IFLNK)
            }
        }

        @Test func folderAndLinkLoopAreRefused() throws {
            let folder = StorageTestSupport.makeTemporaryFolder()
            defer { StorageTestSupport.remove(folder) }
            try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: false)
            let e = #expect(throws: AtomicFileError.self) { try Self.data.write(to: folder + "/sub") }
            #expect(e?.step == .unsupportedTarget)
            #expect(e?.message == "cannot save '\(folder)/sub': it is not a regular file, a link to one, a character device, a FIFO or a socket: Is a directory (EISDIR)")
            #expect(Self.kind(folder + "/sub") == S_IFDIR)
            #expect(StorageTestSupport.list(folder + "/sub") == [])

            try #require(symlink("b", folder + "/a") == 0)
            try #require(symlink("a", folder + "/b") == 0)
            #expect(throws: AtomicFileError.self) { try Self.data.write(to: folder + "/a") }
            #expect(Self.kind(folder + "/a") == S_IFLNK)
        }
    }
}

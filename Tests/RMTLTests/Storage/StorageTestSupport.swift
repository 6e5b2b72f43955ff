import Foundation
import RMTL
import Testing

/// Parent suite of the storage tests, so `swift test --filter Storage` selects them all.
@Suite("Storage") enum StorageTests {}

/// Helpers shared by the storage tests.
enum StorageTestSupport {
    /// Absolute path of a file under Tests/RMTLTests/Fixtures/.
    static func fixturePath(_ name: String) -> String {
        // resourceURL is set for a test bundle with resources (Package.swift: .copy("Fixtures")).
        let base = Bundle.module.resourceURL ?? Bundle.module.bundleURL
        return base.appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    /// A new empty folder under the system temporary folder; the caller removes it.
    static func makeTemporaryFolder() -> String {
        var template = Array((NSTemporaryDirectory() + "/rmtl-storage-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            // A non-empty array always has a base address.
            buffer.baseAddress.flatMap { mkdtemp($0) } != nil
        }
        precondition(made, "mkdtemp failed")
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static func contents(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    static func create(_ path: String, _ bytes: [UInt8]) {
        // Not inside precondition(): -Ounchecked skips its condition entirely.
        let created = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        precondition(created, "cannot create \(path)")
    }

    static func list(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    /// A safetensors file: 8-byte little-endian `length` (default: the header's byte count),
    /// the header text, then `data`.
    static func file(header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        let h = Array(header.utf8)
        return le64(length ?? UInt64(h.count)) + h + data
    }

    static func file(headerBytes h: [UInt8], data: [UInt8] = []) -> [UInt8] {
        le64(UInt64(h.count)) + h + data
    }

    static func le64(_ v: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
    }
}

/// A `FileIO` that records every call and can fail the Nth one (1-based) with a chosen errno, or
/// cap each write at a few bytes to exercise short writes. A class: tests read `calls` afterwards.
final class FaultyFileIO: FileIO {
    let real = POSIXFileIO()
    var failAt: Int?
    var failure: Int32
    var maximumWrite: Int?
    private(set) var calls: [String] = []

    init(failAt: Int? = nil, failure: Int32 = ENOSPC, maximumWrite: Int? = nil) {
        self.failAt = failAt
        self.failure = failure
        self.maximumWrite = maximumWrite
    }

    private func step(_ name: String) throws(SystemError) {
        calls.append(name)
        if calls.count == failAt { throw SystemError(failure) }
    }

    func createNew(_ path: String) throws(SystemError) -> Int32 {
        try step("create")
        return try real.createNew(path)
    }
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(SystemError) -> Int {
        try step("write")
        let n = min(bytes.count, maximumWrite ?? bytes.count)
        return try real.write(descriptor, UnsafeRawBufferPointer(rebasing: bytes[0..<n]))
    }
    func fsync(_ descriptor: Int32) throws(SystemError) {
        try step("fsync")
        try real.fsync(descriptor)
    }
    func close(_ descriptor: Int32) throws(SystemError) {
        try step("close")
        try real.close(descriptor)
    }
    func rename(_ source: String, _ destination: String) throws(SystemError) {
        try step("rename")
        try real.rename(source, destination)
    }
    func unlink(_ path: String) throws(SystemError) {
        try step("unlink")
        try real.unlink(path)
    }
    func openDirectory(_ path: String) throws(SystemError) -> Int32 {
        try step("openDirectory")
        return try real.openDirectory(path)
    }
    func contentsOfDirectory(_ path: String) throws(SystemError) -> [String] {
        try step("list")
        return try real.contentsOfDirectory(path)
    }
}

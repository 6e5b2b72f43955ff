import Foundation
import RMTLScript

/// Paths of the test fixtures and the repository, found from this file's location.
enum Fixtures {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let scriptsDirectory = testsDirectory.appendingPathComponent("Scripts")
    static let repositoryRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let stdlib = repositoryRoot.appendingPathComponent("stdlib").path

    /// Golden scripts, relative to `Scripts/`, sorted (files under a `lib/` folder are helpers).
    static func goldenScripts() -> [String] {
        let root = scriptsDirectory.path
        guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
        var out: [String] = []
        for case let p as String in e where p.hasSuffix(".rmtl") && !p.contains("lib/") { out.append(p) }
        return out.sorted()
    }

    /// Every shipped .rmtl file (stdlib, scripts, golden tests), as (path, text).
    static func shippedScripts() -> [(String, String)] {
        var out: [(String, String)] = []
        for dir in ["stdlib", "scripts", "Tests/RMTLScriptTests/Scripts"] {
            let base = repositoryRoot.appendingPathComponent(dir).path
            guard let e = FileManager.default.enumerator(atPath: base) else { continue }
            for case let p as String in e where p.hasSuffix(".rmtl") {
                let full = (base as NSString).appendingPathComponent(p)
                if let text = try? String(contentsOfFile: full, encoding: .utf8) { out.append((full, text)) }
            }
        }
        return out.sorted { $0.0 < $1.0 }
    }
}

/// A session whose output is captured, with the repository's stdlib.
final class CapturedSession {
    var stdout: [String] = []
    var diagnostics: [String] = []
    let session: Session

    init() {
        var out: [String] = []
        var err: [String] = []
        _ = (out, err)
        session = Session(loader: ScriptLoader(stdlibDirectories: [Fixtures.stdlib]))
        session.write = { [unowned self] in self.stdout.append(contentsOf: $0.components(separatedBy: "\n")) }
        session.writeError = { [unowned self] in self.diagnostics.append($0) }
        out = []
        err = []
    }
}

/// CPU seconds the calling thread spends in `body`: speed limits in tests are about the code, and
/// wall time on a loaded 2-core CI machine is not (the other core's tests and builds steal it).
func threadCPUSeconds(_ body: () -> Void) -> Double {
    func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
    let start = now()
    body()
    return now() - start
}

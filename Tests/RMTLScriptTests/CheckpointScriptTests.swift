import Foundation
import Testing

/// `save` and `restore` as a user runs them: a second process that restores a checkpoint and
/// continues must produce exactly the bits of the run that never stopped.
@Suite(.serialized) struct CheckpointScriptTests {
    static let folder: String = {
        let f = CLI.temporaryPath("checkpoint-\(getpid())")
        try? FileManager.default.createDirectory(atPath: f, withIntermediateDirectories: true)
        return f
    }()

    static let prelude = """
        seed 11
        generate retailrocket "\(folder)/rr" events=20k seed=5
        load retailrocket "\(folder)/rr"
        sessionize gap=30m
        split time 0.6 0.2 0.2

        """

    @Test func restoredRunContinuesBitIdentically() throws {
        let straight = CLI.script("straight.rmtl", Self.prelude + """
            actor esmm embed=8 bottom=[16] tower=[8]
            train actor epochs=1 batch=256
            save "\(Self.folder)/esmm.safetensors"
            train actor epochs=1 batch=256 shuffle=true
            eval test as after
            """)
        let resumed = CLI.script("resumed.rmtl", Self.prelude + """
            restore "\(Self.folder)/esmm.safetensors"
            train actor epochs=1 batch=256 shuffle=true
            eval test as after
            """)
        let a = try CLI.run(["run", straight, "--results", "\(Self.folder)/a.json"])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try CLI.run(["run", resumed, "--results", "\(Self.folder)/b.json"])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout.contains("restored the ESMM actor"))
        let results = { (path: String) throws -> NSArray in
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
            return try #require(json?["results"] as? NSArray)
        }
        let (straightResults, resumedResults) = (try results("\(Self.folder)/a.json"), try results("\(Self.folder)/b.json"))
        #expect(straightResults.count == 1)
        #expect(straightResults.isEqual(resumedResults), "\(straightResults) vs \(resumedResults)")
    }

    @Test func restoreRefusesOtherDataAndBrokenFiles() throws {
        let saving = CLI.script("saving.rmtl", Self.prelude + """
            actor esmm embed=8 bottom=[16] tower=[8]
            save "\(Self.folder)/untrained.safetensors"
            """)
        let saved = try CLI.run(["run", saving])
        #expect(saved.status == 0, "\(saved.stderr)")
        let other = CLI.script("other.rmtl", """
            seed 11
            generate retailrocket "\(Self.folder)/rr2" events=20k seed=6
            load retailrocket "\(Self.folder)/rr2"
            sessionize gap=30m
            split time 0.6 0.2 0.2
            restore "\(Self.folder)/untrained.safetensors"
            """)
        let r = try CLI.run(["run", other])
        #expect(r.status == 70)
        #expect(r.stderr.contains("untrained.safetensors: "), "\(r.stderr)")
        #expect(r.stderr.contains("fingerprint"), "\(r.stderr)")
        _ = FileManager.default.createFile(atPath: "\(Self.folder)/broken.safetensors", contents: Data([1, 2, 3]))
        let broken = CLI.script("broken.rmtl", Self.prelude + "restore \"\(Self.folder)/broken.safetensors\"\n")
        let b = try CLI.run(["run", broken])
        #expect(b.status == 70)
        #expect(b.stderr.contains("broken.safetensors"), "\(b.stderr)")
    }
}

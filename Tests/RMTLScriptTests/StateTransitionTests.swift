import Foundation
import RMTLScript
import Testing

/// The checker predicts each command's effect on the engine state from its declaration
/// (`needs`/`produces`/`removes`); the workspace reports what really exists. Run command by
/// command, the two must agree, or the prompt (which checks against the real state) and
/// `rmtl check` (which checks against the prediction) would accept different programs.
@Suite(.serialized) struct StateTransitionTests {
    static let folder = CLI.temporaryFolder("transitions")

    @Test func declaredTransitionsMatchTheWorkspace() throws {
        let checkpoint = "\(Self.folder)/t.safetensors"
        let lines = CLI.syntheticPrelude(in: Self.folder).split(separator: "\n").map(String.init) + [
            "actor esmm embed=8 bottom=[16] tower=[8]",
            "train actor epochs=1 batch=256",
            "critic mode=paper episodes=400 alive_sample=256",
            "train critic epochs=1 batch=256",
            "train rmtl epochs=1 batch=256",
            "eval test as a",
            "save \"\(checkpoint)\"",
            "actor mmoe embed=8 bottom=[16] tower=[8] experts=2",
            "train actor epochs=1 batch=256",
            "critic mode=code episodes=400 alive_sample=256",
            "train critic epochs=1 batch=256",
            "train ddpg epochs=1 batch=256",
            "train actor epochs=1 batch=256",
            "restore \"\(checkpoint)\"",
            "sessionize gap=30m",
            "split time 0.6 0.2 0.2",
            "restore \"\(checkpoint)\"",
            "split time 0.6 0.2 0.2",
            "load retailrocket \"\(Self.folder)/rr\"",
        ]
        let c = CapturedSession()
        for line in lines {
            var checker = Checker(state: c.session.currentCheckState())
            checker.check(ScriptLoader().load(SourceFile(name: "t", text: line)).statements)
            #expect(checker.errors.isEmpty, "\(line): \(checker.errors)")
            #expect(c.session.run(source: line, file: "t", mode: .run).status == .ok, "\(line): \(c.diagnostics)")
            #expect(checker.state.flags == c.session.workspace.stateFlags,
                    "after '\(line)': declared \(checker.state.flags.map(\.rawValue).sorted()), real \(c.session.workspace.stateFlags.map(\.rawValue).sorted())")
        }
    }
}

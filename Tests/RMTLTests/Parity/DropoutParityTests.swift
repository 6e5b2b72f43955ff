import Foundation
import RMTL
import Testing

/// rmtl against PyTorch in training mode, with 3 and 4 tasks and dropout 0.3: the models whose
/// structure depends on the task count (gates, experts per task, PLE's branches, AITM's transfer
/// chain). The frameworks draw different random numbers, so the fixture carries the mask of every
/// PyTorch Dropout call (scripts/torch/make_fixtures.py, `MaskRecorder`) and rmtl replays them at
/// its dropout sites; outputs and loss must match to 1e-4, every gradient tensor to 1e-5 of its RMS.
@Suite("PyTorch parity with 3–4 tasks and dropout") struct DropoutParityTests {
    static let kinds: [ModelKind] = [.sharedbottom, .omoe, .mmoe, .ple, .aitm]

    static func fixtureName(_ kind: ModelKind, tasks: Int) -> String { "\(kind.rawValue)_\(tasks)tasks_dropout" }

    /// Gives every dropout site of `model` (one replica) PyTorch's masks: a site's column blocks are
    /// the masks of its modules, at its call. Every mask a task's output depends on must be used;
    /// the only unused ones are those of PLE's shared branch (the experts' last call), which no
    /// output reads.
    static func giveMasks(_ fixture: ParityFixture, to model: TrainableModel) throws {
        try #require(model.threads == 1, "masks are given for the whole batch: one replica")
        let rows = fixture.config.batch
        var used = Set<String>()
        for site in model.dropoutSites[0] {
            let blocks = try site.modules.map { try fixture.mask($0, call: site.call) }
            let width = site.output.columns / site.modules.count
            var mask = [Float](repeating: 0, count: rows * site.output.columns)
            for (k, block) in blocks.enumerated() {
                try #require(block.count == rows * width, "mask of \(site.modules[k])#\(site.call): \(block.count) values")
                for r in 0..<rows { for c in 0..<width { mask[r * site.output.columns + k * width + c] = block[r * width + c] } }
            }
            site.givenMask = mask
            used.formUnion(site.modules.map { "\($0)#\(site.call)" })
        }
        let unused = Set(fixture.maskNames).subtracting(used)
        let sharedBranch = fixture.config.taskCount
        // PLE: own experts are called by their task (#0) and the shared branch (#1); shared experts
        // by each task (#0 … #T−1) and the shared branch (#T).
        let expected = fixture.maskNames.filter { name in
            guard name.hasPrefix("expert."), let call = Int(name.split(separator: "#").last!) else { return false }
            let expert = Int(name.split(separator: ".")[2])!
            let isShared = expert >= sharedBranch * (fixture.config.expertCount / 2)
            return call == (isShared ? sharedBranch : 1)
        }
        #expect(unused == (fixture.model.hasPrefix("ple") ? Set(expected) : []), "unused masks: \(unused.sorted())")
    }

    @Test(arguments: kinds, [3, 4])
    func trainingOutputsLossAndGradientsMatch(_ kind: ModelKind, tasks: Int) throws {
        let gradients = try PyTorchParityTests.gradients(kind, fixture: Self.fixtureName(kind, tasks: tasks), threads: 1)
        PyTorchParityTests.expectGradientsMatch("\(kind) \(tasks) tasks dropout", gradients)
        PyTorchParityTests.expectScalingErrorsCaught("\(kind) \(tasks) tasks dropout", gradients)
    }

    /// Each site's mask matters: replacing one site's mask by its complement (kept ↔ dropped) must
    /// make outputs, loss or a gradient differ from PyTorch, so no site ignores its mask (PLE's
    /// per-branch calls of the shared experts included).
    @Test(arguments: kinds)
    func aChangedMaskFailsParity(_ kind: ModelKind) throws {
        let name = Self.fixtureName(kind, tasks: 3)
        let fixture = try ParityFixture.load(name)
        let model = try PyTorchParityTests.model(kind, fixture, threads: 1)
        let sites = model.dropoutSites[0].count
        #expect(sites > 0)
        for k in 0..<sites {
            let run = try PyTorchParityTests.run(kind, fixture: name, threads: 1) { model in
                let site = model.dropoutSites[0][k]
                site.givenMask = site.givenMask!.map { 1 - $0 }
            }
            #expect(try run.comparisons.contains { !$0.passed },
                    "\(kind): complementing the mask of \(model.dropoutSites[0][k].modules)#\(model.dropoutSites[0][k].call) went unnoticed")
        }
    }

    /// PyTorch's PLE task branches each call the shared experts, each call with its own dropout
    /// mask; rmtl ran the level-0 shared experts once for all branches. Giving branch 1 the mask of
    /// branch 0 (what that did) must fail parity.
    @Test func pleBranchesDrawTheirOwnSharedExpertMasks() throws {
        let name = Self.fixtureName(.ple, tasks: 3)
        var calls: [Int] = []
        let run = try PyTorchParityTests.run(.ple, fixture: name, threads: 1) { model in
            let shared = model.dropoutSites[0].filter { $0.modules[0].hasPrefix("expert.0.6.") }
            calls = shared.map(\.call)
            if shared.count > 1 { shared[1].givenMask = shared[0].givenMask }
        }
        #expect(calls == [0, 1, 2], "level 0's shared experts: one site per task branch")
        #expect(try run.comparisons.contains { !$0.passed })
    }
}

import Foundation
import Testing
import RMTL

@Suite("The peak bound of rmtl bench") struct PeakBoundTests {
    /// The bookkeeping behind "no fraction of peak above 100%": the best probe wins over worse ones,
    /// and a step faster than every probe raises the bound to its own rate (and says so).
    @Test func bestProbeIsKeptAndAFasterStepRaisesTheBound() {
        var bound = PeakBound()
        for p in [93.0, 188.0, 120.0] { bound.recordProbe(p) }
        bound.recordStep(150)
        #expect(bound.gflops == 188 && bound.probeIsBound && bound.probes.count == 3)
        #expect(bound.fraction(150) == 150.0 / 188)
        bound.recordStep(200)     // the probes read low: the step itself shows the peak is ≥ 200
        bound.recordStep(170)
        #expect(bound.gflops == 200 && !bound.probeIsBound && bound.bestProbe == 188)
        #expect(bound.fraction(185) == 185.0 / 200)
        #expect(PeakBound().fraction(10) == 0)
    }

    /// The old single probe once read 93 GFLOP/s and reported 120% of it; with the steps recorded,
    /// no achieved rate up to the best step can exceed 100%.
    @Test func noFractionAboveOneForAnyMeanOfRecordedSteps() {
        var bound = PeakBound()
        bound.recordProbe(93)
        let steps = [111.6, 99.0, 104.2]
        for s in steps { bound.recordStep(s) }
        let mean = steps.reduce(0, +) / Double(steps.count)
        #expect(bound.fraction(mean) <= 1 && bound.fraction(steps.max()!) == 1)
    }

    /// A real run: probes happen between the steps, the fraction is at most 1, and the machine is
    /// described from what it reports.
    @Test func benchReportsABoundAndTheMachine() throws {
        let r = try Benchmark.run(model: "sharedbottom", batch: 64, steps: 2, threads: 2)
        #expect(r.peakProbes >= 3 && r.peakProbeGflops > 0)
        #expect(r.fractionOfPeak > 0 && r.fractionOfPeak <= 1)
        #expect(r.peakGflops >= r.peakProbeGflops && r.peakGflops >= r.gflops)
        let m = r.machine
        #expect(m.logicalCPUs == ProcessInfo.processInfo.activeProcessorCount)
        #expect(m.physicalCores >= 1 && m.physicalCores <= m.logicalCPUs && !m.cpuModel.isEmpty)
    }
}

@Suite("rmtl bench: the RL critic update in both readings") struct CriticUpdateBenchTests {
    /// Paper mode times one shared critic (fewer parameters than the code's two) with target-only TD;
    /// its fraction of peak counts executed FLOPs, so it stays ≤ 1 in both modes.
    @Test func paperAndCodeModesBothRun() throws {
        let paper = try Benchmark.run(model: "critic-update", batch: 64, steps: 1, threads: 2, mode: .paper)
        let code = try Benchmark.run(model: "critic-update", batch: 64, steps: 1, threads: 2, mode: .code)
        #expect(paper.mode == "paper" && code.mode == "code")
        #expect(paper.parameters < code.parameters)
        for r in [paper, code] { #expect(r.fractionOfPeak > 0 && r.fractionOfPeak <= 1) }
    }
}

import CBLAS
import Foundation

/// The FP32 peak a benchmark's "fraction of peak" divides by, kept so that it is a bound.
///
/// One probe can read low (another process holds a core, the clock has not ramped up), which once
/// reported models at 107% and 120% of "peak". So probes are repeated between the measured steps and
/// the best one is kept; and every step's own executed rate is a lower bound on the peak too, so the
/// peak is the maximum of both. A fraction of it is ≤ 1 by construction; `probeIsBound` says whether
/// the probes alone were enough (when not, the probes read low and the figure is the step's own rate).
public struct PeakBound: Sendable, Equatable {
    public private(set) var probes: [Double] = []
    /// The best executed GFLOP/s of any single timed step.
    public private(set) var bestStep = 0.0

    public init() {}

    public mutating func recordProbe(_ gflops: Double) { probes.append(gflops) }
    public mutating func recordStep(_ gflops: Double) { bestStep = max(bestStep, gflops) }

    public var bestProbe: Double { probes.max() ?? 0 }
    public var gflops: Double { max(bestProbe, bestStep) }
    public var probeIsBound: Bool { bestProbe >= bestStep }

    /// `achieved` as a fraction of the bound; `achieved` must be a rate the recorded steps averaged
    /// (a mean of step rates is at most their best), so the result is in [0, 1].
    public func fraction(_ achieved: Double) -> Double { gflops > 0 ? min(achieved, gflops) / gflops : 0 }

    /// One probe: each of `threads` threads runs a chain-free stream of `lanes`-wide fused
    /// multiply-adds (12 independent accumulators hide the FMA latency) for about 10 ms at full speed.
    public static func probe(threads: Int, lanes: Int = 16) -> Double {
        let iterations = 4_000_000 * 8 / lanes
        let sink = UnsafeMutablePointer<Float>.allocate(capacity: threads)
        defer { sink.deallocate() }
        let out = UncheckedSendable(sink)
        let start = DispatchTime.now().uptimeNanoseconds
        parallelFor(threads) { t in
            out.value[t] = lanes == 16
                ? fmaStream(SIMD16<Float>.self, iterations, seed: Float(t) + 1)
                : fmaStream(SIMD8<Float>.self, iterations, seed: Float(t) + 1)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(threads) * Double(iterations) * 12 * Double(lanes) * 2 / seconds / 1e9
    }

    /// Probes at both vector widths the engine uses (8 lanes in its kernels' FMA loops, 16 in
    /// OpenBLAS's AVX-512 GEMM where the CPU has it).
    public mutating func probe(threads: Int) {
        recordProbe(Self.probe(threads: threads, lanes: 8))
        if MachineDescription.current.simd.contains("avx512f") { recordProbe(Self.probe(threads: threads, lanes: 16)) }
    }

    @inline(never)
    static func fmaStream<V: SIMD>(_: V.Type, _ iterations: Int, seed: Float) -> Float where V.Scalar == Float {
        let x = V(repeating: 0.999_999), y = V(repeating: seed * 1e-7)
        var a0 = V(repeating: 1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
        var a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0
        for _ in 0..<iterations {
            a0.addProduct(a0, x); a1.addProduct(a1, x); a2.addProduct(a2, x); a3.addProduct(a3, x)
            a4.addProduct(a4, y); a5.addProduct(a5, y); a6.addProduct(a6, y); a7.addProduct(a7, y)
            a8.addProduct(a8, x); a9.addProduct(a9, y); a10.addProduct(a10, x); a11.addProduct(a11, y)
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).sum()
    }
}

/// What a benchmark ran on, read from the machine (/proc/cpuinfo, sysfs, OpenBLAS), not assumed.
public struct MachineDescription: Sendable, Codable, Equatable {
    public var cpuModel: String
    public var logicalCPUs: Int
    /// Distinct physical cores: logical CPUs whose `thread_siblings_list` differ.
    public var physicalCores: Int
    /// SIMD features present among fma, avx2, avx512f.
    public var simd: [String]
    /// The kernel family OpenBLAS chose at run time (e.g. Haswell = AVX2, SkylakeX/Cooperlake = AVX-512).
    public var blasCore: String
    /// The clock /proc/cpuinfo reports (under a hypervisor: the TSC rate, not the boost clock).
    public var reportedMHz: Double?

    enum CodingKeys: String, CodingKey {
        case cpuModel = "cpu_model", logicalCPUs = "logical_cpus", physicalCores = "physical_cores", simd
        case blasCore = "blas_core", reportedMHz = "reported_mhz"
    }

    /// Whether every logical CPU is a core of its own (no SMT siblings sharing one).
    public var coresAreSeparate: Bool { physicalCores == logicalCPUs }

    public static let current: MachineDescription = {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            info.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { $0.split(separator: ":", maxSplits: 1).last }
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        let logical = Machine.cores
        let siblings = Set((0..<logical).compactMap {
            try? String(contentsOfFile: "/sys/devices/system/cpu/cpu\($0)/topology/thread_siblings_list", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        })
        return MachineDescription(
            cpuModel: field("model name") ?? "unknown", logicalCPUs: logical,
            physicalCores: siblings.isEmpty ? logical : siblings.count,
            simd: ["fma", "avx2", "avx512f"].filter(flags.contains),
            blasCore: openblas_get_corename().map { String(cString: $0) } ?? "unknown",
            reportedMHz: field("cpu MHz").flatMap(Double.init))
    }()
}

import Foundation

/// What this machine has: memory and cores, read once per question (never cached, since other
/// processes come and go).
public enum Machine {
    /// Bytes a new allocation can get without swapping: `MemAvailable` of /proc/meminfo, or the
    /// physical memory where that file is missing. `RMTL_MEMORY_LIMIT` (bytes) lowers it, for tests.
    public static var availableMemory: Int64 {
        var bytes = physicalMemory
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int64($0) }) {
            bytes = kib * 1024
        }
        if let limit = getenv("RMTL_MEMORY_LIMIT").flatMap({ Int64(String(cString: $0)) }), limit > 0 {
            bytes = min(bytes, limit)
        }
        return bytes
    }

    /// Installed memory (`_SC_PHYS_PAGES` × page size).
    public static var physicalMemory: Int64 {
        Int64(sysconf(Int32(_SC_PHYS_PAGES))) * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Free bytes for an unprivileged user on the file system that holds `path`, or its nearest
    /// existing parent folder (a folder about to be created); `Int64.max` when it cannot be told.
    public static func freeDisk(near path: String) -> Int64 {
        var current = path.isEmpty ? "." : path
        while true {
            var s = statvfs()
            if statvfs(current, &s) == 0 { return Int64(s.f_bavail) * Int64(s.f_frsize) }
            if current == "/" || current == "." { return Int64.max }
            guard let slash = current.lastIndex(of: "/") else { current = "."; continue }
            current = slash == current.startIndex ? "/" : String(current[..<slash])
        }
    }

    /// Cores this process may run on.
    public static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

/// A byte count as people read it: "512 B", "21.9 MiB", "30.5 PiB" (binary units, 3 significant digits).
public enum ByteCount {
    public static func format(_ bytes: Double) -> String {
        guard bytes.isFinite else { return "more than 8 EiB" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
        var value = max(bytes, 0), unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(Int(value)) B" }
        if value >= 100 || value == value.rounded() { return "\(Int(value.rounded())) \(units[unit])" }
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? "\(Int(tenths)) \(units[unit])" : "\(tenths) \(units[unit])"
    }

    public static func format(_ bytes: Int64) -> String { format(Double(bytes)) }
}

/// A command would need more memory (or disk) than the machine has: which parameter drives the
/// size, what the estimate covers, the bytes needed and the bytes available. Raised before the
/// allocation, so the process never aborts in `malloc` (issue 12). The language words it at the
/// argument that gave `parameter`.
public struct ResourceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Resource: String, Sendable { case memory, disk }
    public let parameter: String
    public let resource: Resource
    /// What the estimate counts: "the model's weights, gradients, Adam moments and activations".
    public let what: String
    /// Bytes (a `Double`: an estimate may exceed what 64 bits count).
    public let needed: Double
    public let available: Int64

    public init(parameter: String, resource: Resource, what: String, needed: Double, available: Int64) {
        self.parameter = parameter
        self.resource = resource
        self.what = what
        self.needed = needed
        self.available = available
    }

    /// For programs that use the engine alone; scripts get the same facts worded by `Diagnostic`.
    public var description: String {
        "invalid '\(parameter)': \(what) would need \(ByteCount.format(needed)) of \(resource.rawValue); "
            + "this machine has \(ByteCount.format(available))"
    }

    /// Throws when `needed` is more than `available`.
    public static func admit(_ needed: Double, _ resource: Resource = .memory, available: Int64,
                             parameter: @autoclosure () -> String, what: String) throws(ResourceError) {
        guard !(needed <= Double(available)) else { return }
        throw ResourceError(parameter: parameter(), resource: resource, what: what, needed: needed, available: available)
    }
}

extension ModelConfig {
    /// Bytes an actor of this configuration needs to build and train with batches of
    /// `batchCapacity` rows on `threads` replicas: weights, per-replica gradients, Adam's two
    /// moments, and forward and backward activations. An estimate from the sizes (within a small
    /// factor of the real figure, never an underestimate by orders of magnitude), in `Double` so
    /// absurd sizes do not overflow.
    public func estimatedBytes(batchCapacity: Int, threads: Int) -> Double {
        let input = Double(cardinalities.count + 1) * Double(embedDim)
        func mlp(_ width: Double, _ layers: [Int]) -> (parameters: Double, activations: Double) {
            var w = width, p = 0.0, a = 0.0
            for h in layers.map(Double.init) {
                p += w * h + h
                a += h
                w = h
            }
            return (p, a)
        }
        let tasks = Double(taskCount)
        let bottomNet = mlp(input, bottom)
        let copies: Double, gates: Double
        switch kind {
        case .single, .aitm: copies = tasks; gates = 0
        case .sharedbottom: copies = 1; gates = 0
        case .esmm: copies = 2; gates = 0
        case .omoe, .mmoe: copies = Double(experts); gates = tasks * input * Double(experts)
        case .ple:
            let perLevel = Double(sharedExperts) + tasks * Double(specificExperts)
            copies = perLevel
            gates = Double(bottom.count) * (tasks + 1) * input * perLevel
        }
        let towerNet = mlp(Double(bottom.last ?? 1), tower + [1])
        let tableParameters = Double(cardinalities.reduce(0, +)) * Double(embedDim)
        let parameters = tableParameters + Double(numericCount) * Double(embedDim) + copies * bottomNet.parameters + gates + tasks * towerNet.parameters
        // values, Adam m and v, and one gradient buffer per replica; a row-sparse table has no
        // gradient in the slabs (its part of them is never touched, so never resident), only the
        // rows a replica's shard looks up
        let replicas = Double(max(threads, 1))
        let slabGradients = embeddings == .sparse ? parameters - tableParameters : parameters
        let touchedRows = Double(cardinalities.count) * Double(embedDim) * Double(max(batchCapacity, 1))
        let parameterBytes = 4 * (3 * parameters + replicas * slabGradients + (embeddings == .sparse ? touchedRows : 0))
        // forward outputs and backward gradients (and ReLU masks) of every layer, per row
        let perRow = input + copies * bottomNet.activations + tasks * (towerNet.activations + 2)
        let activationBytes = 4 * 3 * perRow * Double(max(batchCapacity, 1))
        return parameterBytes + activationBytes
    }

    /// Refuses, before anything is allocated, an actor that would not fit in the memory available.
    /// The parameter blamed is the knob (or `batch`, `threads`) whose reset to its default shrinks
    /// the estimate most.
    public func admitMemory(batchCapacity: Int, threads: Int, available: Int64 = Machine.availableMemory) throws(ResourceError) {
        let needed = estimatedBytes(batchCapacity: batchCapacity, threads: threads)
        try ResourceError.admit(needed, available: available, parameter: blame(needed, batchCapacity, threads),
                                what: "the \(kind.displayName) model's weights, gradients, Adam moments and activations")
    }

    private func blame(_ needed: Double, _ batchCapacity: Int, _ threads: Int) -> String {
        let defaults = ModelConfig(kind: kind, cardinalities: cardinalities, numericCount: numericCount, taskCount: taskCount)
        var candidates: [(String, Double)] = []
        for s in ModelConfig.settings where s.value(in: self) != s.value(in: defaults) {
            var c = self
            c.set(s.key, from: defaults)
            candidates.append((s.key, c.estimatedBytes(batchCapacity: batchCapacity, threads: threads)))
        }
        candidates.append(("batch", estimatedBytes(batchCapacity: min(batchCapacity, TrainConfig.paperBatchSize), threads: threads)))
        candidates.append(("threads", estimatedBytes(batchCapacity: batchCapacity, threads: 1)))
        return candidates.min { $0.1 < $1.1 }.map { $0.1 < needed ? $0.0 : "fields" } ?? "fields"
    }

    /// Copies the setting `key` from `other`.
    private mutating func set(_ key: String, from other: ModelConfig) {
        guard let s = ModelConfig.setting(key) else { return }
        s.write(&self, s.value(in: other))
    }
}

// swift-tools-version:6.1
import PackageDescription

// Release-only speed flags (design.md, build-notes.md §3). unsafeFlags are allowed because this is
// the root package. There is no `.when(arch:)`, so the CPU check is a compile-time #if on the
// manifest, which runs on the build host: `native` is right for every build that runs here.
// RMTL_FUZZ=1 (scripts/fuzz only, own scratch path): keep Swift's runtime checks (-O, not
// -Ounchecked) so the fuzzer sees out-of-bounds and overflow traps, and add one dynamic library
// with the engine and the language for the libFuzzer targets in Fuzz/ to link against.
let fuzzing = Context.environment["RMTL_FUZZ"] == "1"
var releaseFlags: [String] = fuzzing ? [] : ["-Ounchecked", "-enforce-exclusivity=unchecked"]
#if arch(x86_64)
releaseFlags += ["-target-cpu", "native"]
#endif
let speed: [SwiftSetting] = [.unsafeFlags(releaseFlags, .when(configuration: .release))]

let package = Package(
    name: "rmtl",
    products: [
        .executable(name: "rmtl", targets: ["RMTLCLI"]),
        .library(name: "RMTL", targets: ["RMTL"]),
        .library(name: "RMTLScript", targets: ["RMTLScript"]),
    ] + (fuzzing ? [.library(name: "RMTLFuzzBase", type: .dynamic, targets: ["RMTL", "RMTLScript"])] : []),
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C libraries, installed by scripts/setup (apt-get).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]),
        // Headers in /usr/include, so no pkgConfig (libzmq's .pc adds -isystem flags SwiftPM refuses).
        .systemLibrary(name: "CZMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CLibcrypto", providers: [.apt(["libssl-dev"])]),

        // The engine: data, layers, models, training, RL, metrics.
        .target(
            name: "RMTL",
            dependencies: ["CBLAS", .product(name: "Numerics", package: "swift-numerics")],
            swiftSettings: speed),
        // The .rmtl language: lexer, parser, checker, interpreter, reports.
        // The run registry lives here too (GRDB over the system SQLite, scripts/setup installs it);
        // the engine `RMTL` does not depend on it.
        .target(
            name: "RMTLScript",
            dependencies: ["RMTL", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: speed),
        // The Jupyter kernel (ZeroMQ, HMAC-SHA256 from OpenSSL) and .ipynb notebooks.
        .target(
            name: "RMTLKernel",
            dependencies: ["RMTL", "RMTLScript", "CZMQ", "CLibcrypto"],
            swiftSettings: speed),
        // The `rmtl` executable: command line and the readline prompt.
        .executableTarget(
            name: "RMTLCLI",
            dependencies: [
                "RMTL", "RMTLScript", "RMTLKernel", "CReadline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: speed),

        .testTarget(name: "RMTLTests", dependencies: ["RMTL"], resources: [.copy("Fixtures")], swiftSettings: speed),
        .testTarget(
            name: "RMTLScriptTests", dependencies: ["RMTLScript", "RMTL"], exclude: ["Scripts"], swiftSettings: speed),
        .testTarget(name: "RMTLKernelTests", dependencies: ["RMTLKernel", "RMTLScript"], swiftSettings: speed),
    ],
    swiftLanguageModes: [.v6]
)

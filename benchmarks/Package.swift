// swift-tools-version:6.1
import PackageDescription
import class Foundation.ProcessInfo
import struct Foundation.URL

// A path dependency's identity is its folder's name, which is whatever the clone was called.
let parent = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

// Benchmarks live in their own package so the main package's build and tests do not
// pull in the benchmark harness. Run: `scripts/benchmarks` (see README.md here).
//
// Only the `MallocInterposer` trait of ordo-one/benchmark is enabled: its default
// `RuntimeInterposer` trait (ARC counters on Linux with Swift 6.3) needs a package this
// machine does not have, and no benchmark here asks for retain/release counts.
let package = Package(
    name: "ocpp-fleet-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        // Already in the graph through `benchmark`; named here because Engine reads its
        // live-allocation count to take the interposer's own header out of the heap figure
        // (BenchmarkSupport's HeapInUse).
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
        // nio-floor (Tools/NIOFloor) is a bare NIO client; the version is the main package's.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // The cheapest OCPP-J client on NIO: fleet-bench's nio-floor (see Tools/NIOFloor/main.swift).
        .executableTarget(
            name: "NIOFloor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tools/NIOFloor",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // mallinfo2() is in <malloc.h>, which the Glibc module does not export.
        .target(name: "CMallocInfo", path: "Sources/CMallocInfo"),
        // Metrics and measurement helpers shared by the benchmark targets.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                "CMallocInfo",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "Sources/BenchmarkSupport",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "WireCodec",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OCPP", package: parent),
            ],
            path: "Benchmarks/WireCodec",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Engine",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
                .product(name: "OCPP", package: parent),
                .product(name: "ChargePoint", package: parent),
            ],
            path: "Benchmarks/Engine",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "LoopRecording",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Telemetry", package: parent),
            ],
            path: "Benchmarks/LoopRecording",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

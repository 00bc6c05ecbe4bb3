// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "ocpp-fleet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ocpp-fleet", targets: ["ocpp-fleet"]),
        .library(name: "OCPP", targets: ["OCPP"]),
        .library(name: "ChargePoint", targets: ["ChargePoint"]),
        .library(name: "ChargePointSecurity", targets: ["ChargePointSecurity"]),
        .library(name: "Fleet", targets: ["Fleet"]),
        .library(name: "FleetSpec", targets: ["FleetSpec"]),
        .library(name: "Telemetry", targets: ["Telemetry"]),
        .library(name: "CentralSystem", targets: ["CentralSystem"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // TLS for security profiles 2 and 3 (wss://), client and embedded CSMS.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Throwaway certificate authorities for runs against the embedded CSMS and for tests.
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // Wire layer: OCPP-J framing, JSON, typed messages. Foundation only.
        .target(name: "OCPP", swiftSettings: strict),
        // Sans-IO charge point engine. No sockets, clocks or randomness.
        .target(name: "ChargePoint", dependencies: ["OCPP"], swiftSettings: strict),
        // The Security profile's cryptography (key pairs, PKCS#10 requests, X.509 parsing), kept
        // out of the engine: injected into it as `CertificateServices`.
        .target(
            name: "ChargePointSecurity",
            dependencies: [
                "ChargePoint", "OCPP",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        // Fleet spec: YAML to a validated model, errors with file:line:column. Threshold
        // expressions are Telemetry's language, so the spec checks them with its parser; config
        // keys are the engines' vocabulary, so it reads them with ChargePoint's.
        .target(
            name: "FleetSpec",
            dependencies: ["OCPP", "ChargePoint", "Telemetry", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // Measurement and reports.
        .target(
            name: "Telemetry",
            dependencies: [
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // An OCPP-J WebSocket in one NIO handler, for both ends: the simulated charge points
        // (client) and the embedded CSMS (server), HTTP/1.1 upgrade included (Crypto: the
        // SHA-1 of Sec-WebSocket-Accept).
        .target(
            name: "OCPPWebSocket",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Embedded reference CSMS on NIO.
        .target(
            name: "CentralSystem",
            dependencies: [
                "OCPP", "OCPPWebSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // A throwaway certificate authority (P-256): TLS material for runs against the
        // embedded CSMS and for tests. Nothing private is ever committed.
        .target(
            name: "LabPKI",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        // Fleet spec, behaviour profiles, runtime and WebSocket transport.
        .target(
            name: "Fleet",
            dependencies: [
                "OCPP", "OCPPWebSocket", "ChargePoint", "ChargePointSecurity", "Telemetry", "FleetSpec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ocpp-fleet",
            dependencies: [
                "OCPP", "ChargePoint", "Fleet", "FleetSpec", "Telemetry", "CentralSystem", "LabPKI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // Finds the independent Python test peer for the tests that need it.
        .target(name: "PeerSupport", path: "Tests/PeerSupport", swiftSettings: strict),
        // The seeded frame mutator both fuzz tests share.
        .target(name: "FuzzSupport", dependencies: ["OCPP"], path: "Tests/FuzzSupport", swiftSettings: strict),
        // A certificate authority made at test time (no private key is committed).
        .target(
            name: "SecuritySupport",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Tests/SecuritySupport",
            swiftSettings: strict
        ),
        .testTarget(name: "OCPPTests", dependencies: ["OCPP", "PeerSupport"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "ChargePointTests",
            dependencies: [
                "ChargePoint", "OCPP", "FuzzSupport", "ChargePointSecurity", "SecuritySupport",
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ChargePointSecurityTests",
            dependencies: [
                "ChargePointSecurity", "ChargePoint", "OCPP", "SecuritySupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TelemetryTests",
            dependencies: ["Telemetry", .product(name: "MetricsTestKit", package: "swift-metrics")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "FleetSpecTests",
            dependencies: ["FleetSpec", "Telemetry", "OCPP", "PeerSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CentralSystemTests",
            dependencies: [
                "CentralSystem", "OCPP", "OCPPWebSocket", "ChargePoint", "FuzzSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "FleetTests",
            dependencies: [
                "Fleet", "FleetSpec", "OCPP", "OCPPWebSocket", "ChargePoint", "CentralSystem", "Telemetry", "LabPKI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["ocpp-fleet", "PeerSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            exclude: ["Snapshots"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Fleet", "FleetSpec", "CentralSystem", "Telemetry", "OCPP", "PeerSupport", "LabPKI",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ]
)

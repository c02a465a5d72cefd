// swift-tools-version:6.1
//
// swift-ctrader: a Swift client for the cTrader Open API over JSON-over-WebSocket.
// One library target per layer; C only in the small `C…` system-library targets.

import PackageDescription

/// One set of Swift settings, applied to every target.
let swiftSettings: [SwiftSetting] = [
    // SE-0335: `any` spelled out for existentials.
    .enableUpcomingFeature("ExistentialAny"),
    // SE-0444: a member is visible only where its module is imported.
    .enableUpcomingFeature("MemberImportVisibility"),
    // SE-0409: imports are internal unless marked `public import`.
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "swift-ctrader",
    products: [
        .library(name: "CTraderFraming", targets: ["CTraderFraming"]),
        .library(name: "CTraderTransport", targets: ["CTraderTransport"]),
        .library(name: "CTraderWebSocket", targets: ["CTraderWebSocket"]),
        .library(name: "CTraderMessaging", targets: ["CTraderMessaging"]),
        .library(name: "CTraderChannel", targets: ["CTraderChannel"]),
        .library(name: "CTraderSession", targets: ["CTraderSession"]),
        .library(name: "CTraderSimulator", targets: ["CTraderSimulator"]),
        .library(name: "CTraderToolkit", targets: ["CTraderToolkit"]),
        .library(name: "CTrader", targets: ["CTrader"]),
        .library(name: "CTraderHistory", targets: ["CTraderHistory"]),
        .library(name: "CTraderAuth", targets: ["CTraderAuth"]),
        .executable(name: "ctrader", targets: ["ctrader"]),
        .executable(name: "ws-echo-client", targets: ["ws-echo-client"]),
        .executable(name: "ctrader-soak", targets: ["ctrader-soak"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Pinned exactly: the committed generated code was produced by this version's protoc-gen-swift.
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        // `swift package generate-documentation` (scripts/check-docs.sh); no code of ours links it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // SQLite for the local history store (CTraderHistory only): migrations, WAL, a
        // concurrency-safe DatabasePool and typed rows, over the system SQLite (libsqlite3-dev).
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // MARK: - C system libraries

        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        // epoll, eventfd and accept4, which Swift's Glibc module leaves out (libc; nothing to link).
        .systemLibrary(name: "CSystemShims"),

        // MARK: - Layers

        // The concurrency toolkit the layers share (locks, waits, buffers, SplitMix64); not API.
        .target(
            name: "_CTraderLocking",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CTraderFraming",
            dependencies: ["CZlib", "CSystemShims", "_CTraderLocking"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CTraderTransport",
            dependencies: [
                "COpenSSL",
                "CSystemShims",
                "_CTraderLocking",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CTraderWebSocket",
            dependencies: [
                "CTraderFraming",
                "CTraderTransport",
                "_CTraderLocking",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CTraderMessaging",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf")
            ],
            swiftSettings: swiftSettings
        ),
        // Channels of envelopes (JSON over WebSocket, protobuf over TCP/TLS) for both roles:
        // the client's connectors and a server's listener.
        .target(
            name: "CTraderChannel",
            dependencies: [
                "CTraderFraming",
                "CTraderMessaging",
                "CTraderWebSocket",
                "CTraderTransport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "CTraderSession",
            dependencies: [
                "CTraderChannel",
                "CTraderMessaging",
                "CTraderWebSocket",
                "CTraderTransport",
                "_CTraderLocking",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The trader's toolkit: pure values fed by messages and the current time (no I/O).
        .target(
            name: "CTraderToolkit",
            dependencies: ["CTraderMessaging"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CTraderSimulator",
            dependencies: [
                "CTraderChannel",
                "CTraderFraming",
                "CTraderMessaging",
                "CTraderWebSocket",
                "CTraderTransport",
                "_CTraderLocking",
                .product(name: "Logging", package: "swift-log"),
                // For the test-only JSON styles (int64 as strings, enums as names).
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        // The local history store (SQLite, through GRDB): trendbars, ticks and deals, what ranges
        // it covers, and a paced, resumable sync. Its own product, so only its users link SQLite.
        .target(
            name: "CTraderHistory",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // The OAuth code flow: the authorization URL, a loopback redirect receiver, the token
        // endpoint over our own HTTPS client (no URLSession), the pair saved in the session's store.
        .target(
            name: "CTraderAuth",
            dependencies: [
                "CTraderFraming",
                "CTraderTransport",
                "CTraderSession",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The umbrella: re-exports what an application needs.
        .target(
            name: "CTrader",
            dependencies: ["CTraderSession", "CTraderMessaging", "CTraderSimulator", "CTraderToolkit"],
            swiftSettings: swiftSettings
        ),

        // MARK: - Executables

        .executableTarget(
            name: "ctrader",
            dependencies: [
                "CTraderFraming",
                "CTraderMessaging",
                "CTraderSession",
                "CTraderSimulator",
                "CTraderTransport",
                "CTraderWebSocket",
                "_CTraderLocking",
                "CTraderHistory",
                "CTraderToolkit",
                "CSystemShims",
                // The history calls (`CTraderClient.trendbars`, `ticks`, `deals`) live in the umbrella.
                "CTrader",
                "CTraderAuth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Drives an Autobahn fuzzingserver: echoes every case's messages back.
        .executableTarget(
            name: "ws-echo-client",
            dependencies: [
                "CTraderWebSocket",
                "CTraderFraming",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // The load side of scripts/soak.sh: many subscribed clients with churn (run by hand).
        .executableTarget(
            name: "ctrader-soak",
            dependencies: [
                "CTraderFraming",
                "CTraderMessaging",
                "CTraderSession",
                "CTraderSimulator",
                "CTraderWebSocket",
                "_CTraderLocking",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: - Tests

        // Helpers shared by the test targets: locating and driving the independent peers.
        .target(
            name: "CTraderTestSupport",
            dependencies: ["_CTraderLocking"],
            path: "Tests/CTraderTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CTraderFramingTests",
            dependencies: ["CTraderFraming", "CTraderTestSupport", "_CTraderLocking"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CTraderTransportTests",
            dependencies: [
                "CTraderTransport", "_CTraderLocking", "CTraderTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CTraderWebSocketTests",
            dependencies: [
                "CTraderWebSocket", "CTraderFraming", "CTraderTransport", "CTraderTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            // Python peers, run from the source tree (located via TestPeers.packageRoot).
            exclude: ["Peers"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CTraderToolkitTests",
            dependencies: ["CTraderToolkit", "CTraderMessaging", "CTraderTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CTraderMessagingTests",
            dependencies: [
                "CTraderMessaging",
                "CTraderTestSupport",
                "_CTraderLocking",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CTraderChannelTests",
            dependencies: [
                "CTraderChannel", "CTraderMessaging", "CTraderTransport", "CTraderWebSocket", "CTraderTestSupport",
                "CTraderFraming",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CTraderSessionTests",
            dependencies: [
                "CTraderSession", "CTraderMessaging", "CTraderTransport", "CTraderWebSocket", "CTraderFraming",
                "CTraderTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CTraderSimulatorTests",
            dependencies: [
                "CTraderSimulator", "CTraderSession", "CTraderMessaging", "CTraderWebSocket", "CTraderFraming",
                "CTraderTransport", "CTraderTestSupport", "CTraderChannel", "CTraderToolkit", "_CTraderLocking",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "_CTraderLockingTests",
            dependencies: ["_CTraderLocking"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ctraderTests",
            dependencies: [
                "ctrader", "CTrader", "CTraderTestSupport", "CTraderSimulator", "CTraderTransport", "CTraderHistory",
                "CTraderAuth",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The umbrella's glue: the toolkit fed from a `CTraderClient`, end to end against the simulator.
        .testTarget(
            name: "CTraderTests",
            dependencies: [
                "CTrader", "CTraderTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CTraderAuthTests",
            dependencies: [
                "CTraderAuth", "CTraderSimulator", "CTraderSession", "CTraderMessaging", "CTraderTransport",
                "CTraderTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CTraderHistoryTests",
            dependencies: [
                "CTraderHistory", "CTraderSimulator", "CTraderSession", "CTraderMessaging", "CTraderTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

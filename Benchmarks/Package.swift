// swift-tools-version:6.1
//
// swift-ctrader benchmarks: a separate package, so users of the library never resolve
// package-benchmark or SwiftNIO (the NIOWebSocket baseline).
//
// Run from this folder:  swift package benchmark   (see README.md)

import PackageDescription

let benchmarkPlugin: Target.PluginUsage = .plugin(name: "BenchmarkPlugin", package: "package-benchmark")

let benchmark: Target.Dependency = .product(name: "Benchmark", package: "package-benchmark")

let package = Package(
    name: "swift-ctrader-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ws-bench-client", targets: ["ws-bench-client"]),
        .executable(name: "ws-echo-server", targets: ["ws-echo-server"]),
        .executable(name: "sim-quotes-bench", targets: ["sim-quotes-bench"]),
        .executable(name: "history-bench", targets: ["history-bench"]),
    ],
    dependencies: [
        // Named, because a path dependency is otherwise identified by its folder's name.
        .package(name: "swift-ctrader", path: "../"),
        .package(url: "https://github.com/ordo-one/package-benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The plain SQLite baseline of history-bench: GRDB's system-library module of SQLite.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // MARK: - Support

        // The inputs every suite and the end-to-end client share (no dependencies, so the
        // end-to-end executables build without package-benchmark).
        .target(name: "BenchmarkInputs"),
        // The common configuration of the suites.
        .target(
            name: "BenchmarkSupport",
            dependencies: [benchmark]
        ),
        // zlib for the raw-zlib baseline: the root package's CZlib is not a product.
        .systemLibrary(name: "CBenchZlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        // The raw-zlib baseline of the Deflate suite, shared with the callgrind driver.
        .target(name: "ZlibBaseline", dependencies: ["CBenchZlib"]),

        // MARK: - Suites

        .executableTarget(
            name: "Framing",
            dependencies: [
                benchmark, "BenchmarkSupport", "BenchmarkInputs",
                .product(name: "CTraderFraming", package: "swift-ctrader"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Benchmarks/Framing",
            plugins: [benchmarkPlugin]
        ),
        .executableTarget(
            name: "Masking",
            dependencies: [
                benchmark, "BenchmarkSupport", "BenchmarkInputs",
                .product(name: "CTraderFraming", package: "swift-ctrader"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Benchmarks/Masking",
            plugins: [benchmarkPlugin]
        ),
        .executableTarget(
            name: "Deflate",
            dependencies: [
                benchmark, "BenchmarkSupport", "BenchmarkInputs", "ZlibBaseline",
                .product(name: "CTraderFraming", package: "swift-ctrader"),
            ],
            path: "Benchmarks/Deflate",
            plugins: [benchmarkPlugin]
        ),
        .executableTarget(
            name: "Envelope",
            dependencies: [
                benchmark, "BenchmarkSupport", "BenchmarkInputs",
                .product(name: "CTraderMessaging", package: "swift-ctrader"),
            ],
            path: "Benchmarks/Envelope",
            plugins: [benchmarkPlugin]
        ),

        // MARK: - Instruction counts (run under valgrind --tool=callgrind)

        .executableTarget(
            name: "callgrind-driver",
            dependencies: [
                "BenchmarkInputs", "ZlibBaseline",
                .product(name: "CTraderFraming", package: "swift-ctrader"),
                .product(name: "CTraderMessaging", package: "swift-ctrader"),
            ]
        ),

        // MARK: - End to end (driven by compare-peers.sh)

        .executableTarget(
            name: "ws-bench-client",
            dependencies: [
                "BenchmarkInputs",
                .product(name: "CTraderFraming", package: "swift-ctrader"),
                .product(name: "CTraderTransport", package: "swift-ctrader"),
                .product(name: "CTraderWebSocket", package: "swift-ctrader"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ws-echo-server",
            dependencies: [
                .product(name: "CTraderFraming", package: "swift-ctrader"),
                .product(name: "CTraderTransport", package: "swift-ctrader"),
                .product(name: "CTraderWebSocket", package: "swift-ctrader"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: - Simulator quotes through CTraderClient (in-process)

        .executableTarget(
            name: "sim-quotes-bench",
            dependencies: [
                .product(name: "CTraderSession", package: "swift-ctrader"),
                .product(name: "CTraderSimulator", package: "swift-ctrader"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: - History store writes (bars per second) against a plain SQLite loop

        .executableTarget(
            name: "history-bench",
            dependencies: [
                .product(name: "CTraderHistory", package: "swift-ctrader"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
    ]
)

// swift-tools-version:5.4
//
// libFuzzer targets for swift-ctrader's parsers: a package of its own (as swift-nio-http2 and
// swift-protobuf have), so that the main package never builds with the fuzzer's flags.
// Build and run with ../scripts/fuzz.sh, which passes `-sanitize=fuzzer,address`.

import PackageDescription

// Tools version 5.4, as swift-protobuf's FuzzTesting keeps 5.3: from 5.5 on, SwiftPM renames an
// executable's entry point to `<target>_main` and links `main` to it, which a target built with
// `-parse-as-library` (its `main` is libFuzzer's) does not define.

/// One executable per target; its `main.swift` defines `LLVMFuzzerTestOneInput` and nothing
/// else (built with `-parse-as-library`, so libFuzzer's `main` runs it).
func fuzzTarget(_ name: String, _ product: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: product, package: "swift-ctrader")]
    )
}

let package = Package(
    name: "FuzzTesting",
    dependencies: [
        .package(name: "swift-ctrader", path: "..")
    ],
    targets: [
        // CTraderFraming
        fuzzTarget("FuzzFrames", "CTraderFraming"),
        fuzzTarget("FuzzFramesDeflate", "CTraderFraming"),
        fuzzTarget("FuzzInflater", "CTraderFraming"),
        fuzzTarget("FuzzDeflateRoundTrip", "CTraderFraming"),
        fuzzTarget("FuzzHandshakeResponse", "CTraderFraming"),
        fuzzTarget("FuzzHandshakeRequest", "CTraderFraming"),
        // CTraderMessaging
        fuzzTarget("FuzzJSONEnvelope", "CTraderMessaging"),
        fuzzTarget("FuzzBinaryEnvelope", "CTraderMessaging"),
        fuzzTarget("FuzzSpotEventDifferential", "CTraderMessaging"),
    ]
)

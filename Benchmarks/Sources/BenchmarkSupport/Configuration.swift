// swift-ctrader benchmarks: one configuration for every suite.

public import Benchmark

extension Benchmark.Configuration {
    /// The metrics every suite records: time and throughput (noisy on a shared machine), and the
    /// deterministic instructions and mallocs that the thresholds check.
    public static let ctraderMetrics: [BenchmarkMetric] = [.wallClock, .throughput, .instructions, .mallocCountTotal]

    /// A configuration that runs each benchmark for at most `seconds`, reporting per operation
    /// when `scalingFactor` runs many operations per sample.
    public static func ctrader(
        scalingFactor: BenchmarkScalingFactor = .one,
        maxDuration: Duration = .milliseconds(600),
        maxIterations: Int = 100_000
    ) -> Benchmark.Configuration {
        .init(
            metrics: ctraderMetrics,
            timeUnits: .nanoseconds,
            warmupIterations: 3,
            scalingFactor: scalingFactor,
            maxDuration: maxDuration,
            maxIterations: maxIterations
        )
    }

    /// The scaling for an operation on `bytes` bytes: many operations per sample for small
    /// inputs, so the clock's overhead does not dominate.
    public static func scaling(forBytes bytes: Int) -> BenchmarkScalingFactor {
        bytes <= 4096 ? .kilo : .one
    }
}

import CTraderHistory
import Foundation

/// A clock whose time moves only when someone sleeps on it: a sleep returns at once, having set
/// the time to its deadline. Pacing is then checked without waiting.
final class VirtualClock: @unchecked Sendable {
    // @unchecked: `time` and `sleeps` are only touched under `lock`.
    private let lock = NSLock()
    private var time: Duration = .zero
    private var deadlines: [Duration] = []

    /// The time now.
    var now: Duration { lock.withLock { time } }
    /// Every sleep's deadline, in order.
    var sleeps: [Duration] { lock.withLock { deadlines } }

    /// The clock a pacer reads.
    var clock: HistoryClock {
        HistoryClock(
            now: { self.now },
            sleep: { until in
                try Task.checkCancellation()
                self.lock.withLock {
                    self.deadlines.append(until)
                    self.time = max(self.time, until)
                }
            }
        )
    }

    /// Moves the time on by `duration`.
    func advance(by duration: Duration) { lock.withLock { time += duration } }
}

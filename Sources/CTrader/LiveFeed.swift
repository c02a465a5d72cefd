// swift-ctrader: the two readers behind a live value (quote board, order books).

import CTraderSession

/// Starts the readers that keep a live value fed: one over a client's event stream, which reports
/// its end (nil when it finished, the error when it failed) through `ended`, and one over the
/// session's events. Each holds `target` weakly, so a value nobody keeps stops its readers; the
/// owner cancels the returned tasks in `deinit`.
func startLiveFeed<Target: AnyObject & Sendable, Message: Sendable>(
    _ target: Target,
    stream: CTraderEventStream<Message>,
    events: CTraderSessionEvents,
    take: @escaping @Sendable (Target, CTraderStreamElement<Message>) async -> Void,
    takeEvent: @escaping @Sendable (Target, CTraderSessionEvent) async -> Void,
    ended: @escaping @Sendable (Target, (any Error)?) async -> Void
) -> [Task<Void, Never>] {
    [
        Task { [weak target] in
            do {
                for try await element in stream {
                    guard let target else { return }
                    await take(target, element)
                }
                if let target { await ended(target, nil) }
            } catch {
                if let target { await ended(target, error) }
            }
        },
        Task { [weak target] in
            do {
                for try await event in events {
                    guard let target else { return }
                    await takeEvent(target, event)
                }
            } catch {}
        },
    ]
}

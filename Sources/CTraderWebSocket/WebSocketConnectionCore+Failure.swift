import _CTraderLocking

extension WebSocketConnectionCore {
    /// Whether the application has caught up with the messages received: it took every queued
    /// message and asks for the next; or it never will (the handle was released, the connection
    /// is closing or closed).
    private static func consumerCaughtUp(_ state: State) -> Bool {
        (state.inbound.isEmpty && state.consumer != nil) || state.abandoned || state.finalStatus != nil
            || !state.machine.canSendData
    }

    /// Before the connection fails on a protocol error, waits until the application has taken
    /// the messages that arrived before the error and come back for the next one, so that what
    /// it does with them (an echo, say) precedes the close frame; at most the close timeout
    /// (``WebSocketConfiguration/closeTimeout``), for an application that stopped reading.
    ///
    /// Called by the read task only, which owns `State.producer` here (it is not delivering).
    func awaitConsumerCaughtUp() async {
        let deadline = ContinuousClock.now + configuration.closeTimeout
        let state = self.state
        // Wakes the wait at the deadline; cancelled (without waking anyone) once it is over.
        let alarm = Task {
            guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
            state.withLock { state in
                state.producer?.resume()
                state.producer = nil
            }
        }
        defer { alarm.cancel() }
        while true {
            let done = state.withLock { Self.consumerCaughtUp($0) } || ContinuousClock.now >= deadline
            if done { return }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                state.withLock { state in
                    if Self.consumerCaughtUp(state) || ContinuousClock.now >= deadline {
                        continuation.resume()
                    } else {
                        state.producer = continuation
                    }
                }
            }
        }
    }
}

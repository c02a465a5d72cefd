import CTraderFraming
import _CTraderLocking

// The inbound queue: the read loop hands messages to the one consumer, or buffers them in a
// backpressure ``SingleConsumerBuffer`` and waits while it is full. It shares the connection's
// lock, since delivering depends on the state machine (closing never blocks the read loop).
extension WebSocketConnectionCore {
    /// Hands a message to the consumer, or queues it; waits while the queue is full.
    func deliver(_ message: WebSocketMessage) async {
        var first = true
        while true {
            let delivered: Bool = state.withLock { state in
                if first {
                    first = false
                    guard state.machine.receivedData(now: .now) else { return true }  // after the peer's close: dropped
                }
                if state.abandoned { return true }  // nobody will take it
                if let consumer = state.consumer {
                    state.consumer = nil
                    consumer.resume(returning: message)
                    return true
                }
                // While closing, never block: the close frame must still be read.
                if !state.machine.canSendData {
                    state.inbound.pushIgnoringLimit(message)
                    return true
                }
                return state.inbound.push(message) == .appended
            }
            if delivered { return }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                state.withLock { state in
                    if !state.inbound.isFull || !state.machine.canSendData || state.abandoned {
                        continuation.resume()
                    } else {
                        state.producer = continuation
                    }
                }
            }
        }
    }

    /// Wakes the read loop if it waits for room in the inbound queue.
    func wakeProducer() {
        state.withLock { state in
            state.producer?.resume()
            state.producer = nil
        }
    }

    /// Takes the messages for one iterator; `false` when another iterator has them.
    func claimConsumer() -> Bool {
        state.withLock { state in
            if state.consumerClaimed { return false }
            state.consumerClaimed = true
            return true
        }
    }

    /// The iterator that took the messages is gone: another may take them.
    func releaseConsumer() {
        state.withLock { $0.consumerClaimed = false }
    }

    /// The next received message, or `nil` once the connection is closed and the queue drained,
    /// or when the calling task is cancelled.
    ///
    /// - Throws: ``WebSocketError/Code/alreadyConsumed`` when another consumer is waiting already
    ///   (it keeps waiting).
    func nextMessage() async throws(WebSocketError) -> WebSocketMessage? {
        var busy = false
        let message = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<WebSocketMessage?, Never>) in
                state.withLock { state in
                    if let message = state.inbound.pop() {
                        state.producer?.resume()
                        state.producer = nil
                        continuation.resume(returning: message)
                    } else if state.finalStatus != nil || Task.isCancelled {
                        continuation.resume(returning: nil)
                    } else if state.consumer != nil {
                        busy = true
                        continuation.resume(returning: nil)
                    } else {
                        state.consumer = continuation
                        // A read task waiting for the consumer to catch up may go on.
                        state.producer?.resume()
                        state.producer = nil
                    }
                }
            }
        } onCancel: {
            state.withLock { state in
                state.consumer?.resume(returning: nil)
                state.consumer = nil
            }
        }
        if busy { throw .alreadyConsumed() }
        return message
    }
}

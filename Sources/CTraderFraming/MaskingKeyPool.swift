import _CTraderLocking

#if os(Linux)
import CSystemShims
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Masking keys drawn from the system's secure generator in batches, for
/// ``WebSocketMaskingKey/random()``.
final class MaskingKeyPool: @unchecked Sendable {
    // @unchecked Sendable: `keys` and `next` are guarded by `lock`.

    /// The process-wide pool.
    static let shared = MaskingKeyPool()

    private static let batch = 256
    private let lock = Lock()
    private var keys = [UInt32](repeating: 0, count: batch)
    private var nextIndex = batch

    /// The next unused key; each key is handed out once.
    func next() -> UInt32 {
        lock.withLock {
            if nextIndex == keys.count {
                refill()
                nextIndex = 0
            }
            defer { nextIndex += 1 }
            return keys[nextIndex]
        }
    }

    private func refill() {
        keys.withUnsafeMutableBytes { buffer in
            #if os(Linux)
            var filled = 0
            while filled < buffer.count {
                // safe because: getrandom writes at most `buffer.count - filled` bytes from
                // `baseAddress + filled`, inside the buffer.
                let count = getrandom(buffer.baseAddress! + filled, buffer.count - filled, 0)
                if count > 0 {
                    filled += count
                } else if errno != EINTR {
                    // getrandom fails only on bad arguments or before the kernel's pool is ready
                    // (it then blocks instead); fall back to the standard library's generator.
                    var generator = SystemRandomNumberGenerator()
                    for index in stride(from: filled, to: buffer.count, by: 1) {
                        buffer[index] = generator.next()
                    }
                    filled = buffer.count
                }
            }
            #else
            // safe because: fills exactly the buffer's bytes.
            arc4random_buf(buffer.baseAddress!, buffer.count)
            #endif
        }
    }
}

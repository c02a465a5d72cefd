#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a detached thread that runs `body` forever (or until it returns).
///
/// Used for the module's two long-lived threads: the poller and the name resolver.
func startDetachedThread(_ body: @escaping @Sendable () -> Void) {
    final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    #if canImport(Darwin)
    var thread: pthread_t? = nil
    let result = pthread_create(
        &thread, nil,
        { raw in
            // safe because: `raw` is the retained Box passed below; it is taken back exactly once.
            Unmanaged<Box>.fromOpaque(raw).takeRetainedValue().body()
            return nil
        }, context)
    precondition(result == 0, "pthread_create failed: \(result)")
    pthread_detach(thread!)
    #else
    var thread = pthread_t()
    let result = pthread_create(
        &thread, nil,
        { raw in
            // safe because: `raw` is the retained Box passed below; it is taken back exactly once.
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, context)
    precondition(result == 0, "pthread_create failed: \(result)")
    pthread_detach(thread)
    #endif
}

/// The current thread's `errno`.
var currentErrno: Int32 { errno }

/// `strerror` as a Swift string.
func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}

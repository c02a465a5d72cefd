/// The transport's I/O thread as a task executor: tasks that prefer it run on the thread that
/// waits for socket readiness, so that waking them after I/O costs no switch between threads.
///
/// On Linux this is the epoll poller's thread; elsewhere there is no such thread and
/// ``preferred`` is `nil` (tasks run on the global executor).
///
/// ```swift
/// await withTaskExecutorPreference(TransportExecutor.preferred) {
///     for await message in connection.messages { … }   // resumed on the I/O thread
/// }
/// ```
///
/// Run only short, non-blocking work there: while a task runs on it, the thread does not serve
/// I/O readiness for any socket of the process. `WebSocketConnection` runs its read loop there.
public enum TransportExecutor {
    /// The I/O thread's executor, or `nil` where the transport has none.
    public static var preferred: (any TaskExecutor)? {
        #if os(Linux)
        Poller.shared
        #else
        nil
        #endif
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs long CPU work (building a graph) on a thread of its own at a lower scheduling priority,
/// instead of on one of the cooperative pool's few threads: a task running it there would keep
/// that thread, and on a machine of two cores half of the retrievals' threads, for the whole build.
/// The operating system gives the retrievals' threads the CPU first (Linux: `nice` 10 for the
/// thread; elsewhere: utility quality of service).
enum BackgroundThread {
    /// The result of `work`, computed on a new low-priority thread; the caller suspends meanwhile.
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                #if os(Linux)
                // Linux applies PRIO_PROCESS with id 0 to the calling thread only (setpriority(2), BUGS).
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
                #endif
                continuation.resume(returning: work())
            }
            thread.qualityOfService = .utility
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}

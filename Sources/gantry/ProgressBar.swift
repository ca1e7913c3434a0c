#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A progress line on standard error: redrawn in place on a terminal (at most 10 times a
/// second), one line per 10% otherwise (logs, CI). Safe to update from several threads.
final class ProgressBar: @unchecked Sendable {
    private let total: Int
    private let label: String
    private let interactive = isatty(STDERR_FILENO) != 0
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastDraw: ContinuousClock.Instant
    private var lastDecile = -1
    private var mutex = pthread_mutex_t()

    init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
        start = clock.now
        lastDraw = start
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    /// Seconds since the bar was created.
    var elapsed: Double { Double((clock.now - start).components.attoseconds) / 1e18 + Double((clock.now - start).components.seconds) }

    func update(_ done: Int) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        let fraction = min(1, Double(done) / Double(total))
        if interactive {
            let now = clock.now
            guard done >= total || now - lastDraw >= .milliseconds(100) else { return }
            lastDraw = now
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            printError("\r\(label) [\(bar)] \(Int(fraction * 100))% \(done)/\(total) \(format(elapsed))s")
            if done >= total { printError("\n") }
        } else {
            let decile = Int(fraction * 10)
            guard decile > lastDecile else { return }
            lastDecile = decile
            printError("\(label): \(decile * 10)% (\(done)/\(total), \(format(elapsed))s)\n")
        }
    }

    private func format(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// Writes `text` to standard error, unbuffered.
func printError(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

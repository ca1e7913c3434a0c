#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GantryMath
import Synchronization

/// A progress line on standard error: redrawn in place on a terminal (at most 10 times a
/// second), one line per 10% otherwise (logs, CI). Safe to update from several threads.
final class ProgressBar: Sendable {
    private let total: Int
    private let label: String
    private let interactive = isatty(STDERR_FILENO) != 0
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    /// When the bar was last drawn and the last decile printed. Held while drawing too, so that
    /// lines from several threads do not interleave.
    private let drawn: Mutex<(at: ContinuousClock.Instant, decile: Int)>

    init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
        start = clock.now
        drawn = Mutex((at: start, decile: -1))
    }

    /// Seconds since the bar was created.
    var elapsed: Double { (clock.now - start).seconds }

    func update(_ done: Int) {
        let fraction = min(1, Double(done) / Double(total))
        drawn.withLock { drawn in
            if interactive {
                let now = clock.now
                guard done >= total || now - drawn.at >= .milliseconds(100) else { return }
                drawn.at = now
                let width = 30
                let filled = Int(fraction * Double(width))
                let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
                printError("\r\(label) [\(bar)] \(Int(fraction * 100))% \(done)/\(total) \(format(elapsed))s")
                if done >= total { printError("\n") }
            } else {
                let decile = Int(fraction * 10)
                guard decile > drawn.decile else { return }
                drawn.decile = decile
                printError("\(label): \(decile * 10)% (\(done)/\(total), \(format(elapsed))s)\n")
            }
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

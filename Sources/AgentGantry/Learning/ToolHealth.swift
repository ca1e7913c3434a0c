import Foundation

/// A tool's recent outcomes and latencies.
struct ToolHealth: Sendable {
    var outcomes: [Bool] = []  // newest last, at most `window`
    var latencies: [Double] = []  // milliseconds, newest last, at most 100
    var latencyEWMA: Double?
    var breaker = CircuitBreaker()

    /// The success rate of a tool with no recorded outcome (the prior's mean).
    static let priorSuccessRate = 0.9

    /// Success rate with a Beta(4.5, 0.5) prior (mean 0.9, worth 5 calls) over the window.
    var successRate: Double {
        let successes = Double(outcomes.filter { $0 }.count)
        return (successes + 4.5) / (Double(outcomes.count) + 5)
    }

    var failureRate: Double { outcomes.isEmpty ? 0 : Double(outcomes.filter { !$0 }.count) / Double(outcomes.count) }

    var p95Latency: Double? {
        guard !latencies.isEmpty else { return nil }
        let sorted = latencies.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.up)) - 1)]
    }

    mutating func record(success: Bool, latency: Double?, window: Int) {
        outcomes.append(success)
        if outcomes.count > window { outcomes.removeFirst(outcomes.count - window) }
        if let latency {
            latencies.append(latency)
            if latencies.count > 100 { latencies.removeFirst() }
            latencyEWMA = latencyEWMA.map { 0.8 * $0 + 0.2 * latency } ?? latency
        }
    }
}

import Foundation

/// What the router learns about tools from executions: failure rates per (tool, intent) and
/// which tools follow which within a session (co-usage).
struct PerformanceModel: Sendable {
    /// Calls and failures per tool and intent of the request that led to the call.
    private var calls = ShardedDictionary<[String: (calls: Double, failures: Double)]>()
    /// Transitions previous tool → next tool within sessions, and how often each tool follows any.
    private var transitions = ShardedDictionary<[String: Double]>()
    private var follows = ShardedDictionary<Double>()
    private var totalTransitions = 0.0
    /// The last tool executed in each recent session (in memory; rebuilt from the log).
    private var lastTool = RecentSessions<String>()

    mutating func record(tool: String, intent: String?, success: Bool, session: String?) {
        let key = intent ?? ""
        var entry = calls[tool, default: [:]][key] ?? (0, 0)
        entry.calls += 1
        if !success { entry.failures += 1 }
        calls[tool, default: [:]][key] = entry
        if let session {
            if let previous = lastTool[session], previous != tool {
                transitions[previous, default: [:]][tool, default: 0] += 1
                follows[tool, default: 0] += 1
                totalTransitions += 1
            }
            lastTool[session] = tool
        }
    }

    /// Failure rate of `tool` for requests of `intent` (all requests when nil), with a Beta prior
    /// of 1 failure in 10 calls.
    func failureRate(tool: String, intent: String?) -> Double {
        let entries = calls[tool] ?? [:]
        let (c, f): (Double, Double)
        if let intent, let entry = entries[intent] { (c, f) = entry } else {
            (c, f) = entries.values.reduce((0.0, 0.0)) { ($0.0 + $1.calls, $0.1 + $1.failures) }
        }
        return (f + 1) / (c + 10)
    }

    /// How much more often `tool` follows the session's last tool than it follows tools in
    /// general: positive PMI with add-one smoothing over the `vocabulary` (registered tools),
    /// squashed to [0, 1) as pmi / (1 + pmi).
    func coUsage(tool: String, session: String?, vocabulary: Int) -> Double {
        guard let session, let previous = lastTool[session], previous != tool, let row = transitions[previous],
              let pair = row[tool] else { return 0 }  // only transitions seen (smoothing alone would favour the unseen)
        let rowTotal = row.values.reduce(0, +), v = Double(max(vocabulary, 1))
        let conditional = (pair + 1) / (rowTotal + v)
        let marginal = ((follows[tool] ?? 0) + 1) / (totalTransitions + v)
        let pmi = max(0, log(conditional / marginal))
        return pmi / (1 + pmi)
    }

    /// Latency fit against a budget: 1 when the p95 is within it, budget / p95 beyond; 0.5 with
    /// no budget or no measurements.
    static func latencyFit(p95: Double?, budget: Double?) -> Double {
        guard let p95, let budget, p95 > 0 else { return 0.5 }
        return min(1, budget / p95)
    }
}

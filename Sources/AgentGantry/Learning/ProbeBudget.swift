import Foundation

/// The `half_open` probes this process handed out, per tool. A breaker's state is folded from the
/// event log, the same in every process; which retrievals were probes is known only to the
/// process that made them, so it is counted here, apart from the log: a tool is admitted while
/// the probes admitted since it last opened, less the successful probes the log shows, stay
/// under `BreakerPolicy.probes`. Processes sharing a store each keep their own count, so k of
/// them may admit up to k · `probes` probes at once.
struct ProbeBudget: Sendable {
    /// Probes admitted per tool, for the opening (`CircuitBreaker.openedAt`) they belong to.
    private var admitted: [String: (openedAt: Date?, count: Int)] = [:]

    /// How many probes of `tool` are out for `breaker`'s current opening.
    func inFlight(_ tool: String, breaker: CircuitBreaker) -> Int {
        guard let entry = admitted[tool], entry.openedAt == breaker.openedAt else { return 0 }
        return max(0, entry.count - breaker.halfOpenSuccesses)
    }

    /// Whether `tool`, whose breaker is `half_open`, may be handed out as one more probe.
    func admits(_ tool: String, breaker: CircuitBreaker, policy: BreakerPolicy) -> Bool {
        inFlight(tool, breaker: breaker) < policy.probes
    }

    /// Counts one probe of `tool` handed out.
    mutating func admit(_ tool: String, breaker: CircuitBreaker) {
        let count = admitted[tool].flatMap { $0.openedAt == breaker.openedAt ? $0.count : nil } ?? 0
        admitted[tool] = (breaker.openedAt, count + 1)
    }
}

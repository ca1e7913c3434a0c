import Foundation

/// A circuit breaker: closed → open (too many failures) → `half_open` after the cool-down (a few
/// probes admitted) → closed after enough successful probes, or open again on a failed one.
public struct CircuitBreaker: Sendable, Equatable {
    /// Closed admits every retrieval, open none, `half_open` a few probes. Printed, and in JSON,
    /// as the CLI and the docs spell it: `closed`, `open`, `half_open`.
    public enum State: String, Sendable, Codable, CustomStringConvertible {
        /// Every retrieval may return the tool; failures are counted.
        case closed
        /// No retrieval returns the tool until the cool-down has passed.
        case open
        /// After the cool-down: a few retrievals (`BreakerPolicy.probes`) may return the tool;
        /// enough successes close the breaker, one failure opens it again.
        case halfOpen = "half_open"

        /// `closed`, `open` or `half_open`.
        public var description: String { rawValue }
    }

    /// The state as last recorded (see `state(at:policy:)` for the state now).
    public var state = State.closed
    /// Failures (timeouts included) since the last success; reaching
    /// `BreakerPolicy.consecutiveFailures` while closed opens the breaker.
    public var consecutiveFailures = 0
    /// When the breaker last opened.
    public var openedAt: Date?
    /// Retrievals admitted as `half_open` probes whose outcome has not come back yet.
    public var probesInFlight = 0
    /// Successful probes since the breaker became `half_open`.
    public var halfOpenSuccesses = 0

    /// A closed breaker with no history.
    public init() {}

    /// The state as of `now` (an open breaker whose cool-down has passed is `half_open`).
    public func state(at now: Date, policy: BreakerPolicy) -> State {
        if state == .open, let openedAt, now.timeIntervalSince(openedAt) >= policy.coolDown { return .halfOpen }
        return state
    }

    /// Whether a retrieval may return the tool now; a `half_open` admission counts as a probe.
    public mutating func admit(at now: Date, policy: BreakerPolicy) -> Bool {
        switch state(at: now, policy: policy) {
        case .closed: return true
        case .open: return false
        case .halfOpen:
            if state == .open { state = .halfOpen; probesInFlight = 0; halfOpenSuccesses = 0 }
            guard probesInFlight < policy.probes else { return false }
            probesInFlight += 1
            return true
        }
    }

    /// Whether the tool may be returned now, without counting a probe.
    public func admits(at now: Date, policy: BreakerPolicy) -> Bool {
        switch state(at: now, policy: policy) {
        case .closed: return true
        case .open: return false
        case .halfOpen: return state == .open || probesInFlight < policy.probes
        }
    }

    /// Records an outcome; `windowFailureRate` and `windowCalls` describe the recent calls including
    /// this one.
    public mutating func record(success: Bool, windowFailureRate: Double, windowCalls: Int, at now: Date, policy: BreakerPolicy) {
        if state == .open, state(at: now, policy: policy) == .halfOpen {
            state = .halfOpen
            probesInFlight = max(probesInFlight, 1)
            halfOpenSuccesses = 0
        }
        switch state {
        case .closed:
            consecutiveFailures = success ? 0 : consecutiveFailures + 1
            let rateTrips = windowCalls >= policy.minimumCalls && windowFailureRate >= policy.failureRate
            if !success, consecutiveFailures >= policy.consecutiveFailures || rateTrips { open(at: now) }
        case .halfOpen:
            probesInFlight = max(0, probesInFlight - 1)
            if success {
                halfOpenSuccesses += 1
                if halfOpenSuccesses >= policy.successesToClose { self = CircuitBreaker() }
            } else {
                open(at: now)
            }
        case .open:
            consecutiveFailures = success ? 0 : consecutiveFailures + 1  // late outcomes of earlier calls
        }
    }

    private mutating func open(at now: Date) {
        state = .open
        openedAt = now
        probesInFlight = 0
        halfOpenSuccesses = 0
    }
}

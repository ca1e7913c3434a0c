import Foundation

/// When a tool's circuit breaker opens, how long it rests, and how it closes again.
public struct BreakerPolicy: Sendable, Equatable, Codable {
    /// Consecutive failures (timeouts count) that open the breaker.
    public var consecutiveFailures = 5
    /// Failure rate over the last `window` calls that opens it, once `minimumCalls` are in the window.
    public var failureRate = 0.5
    /// Recent calls the failure rate (and the health signal) is measured over.
    public var window = 20
    /// Calls the window needs before its failure rate can open the breaker.
    public var minimumCalls = 10
    /// Time open before probes are admitted (`half_open`).
    public var coolDown: TimeInterval = 30
    /// Retrievals that may hand out a `half_open` tool before outcomes come back.
    public var probes = 2
    /// Successful probes that close the breaker.
    public var successesToClose = 2

    /// The defaults: open after 5 consecutive failures or a failure rate of 0.5 over the last 20
    /// calls (once 10 are in), rest 30 s, then admit 2 probes and close after 2 successes.
    public init() {}
}

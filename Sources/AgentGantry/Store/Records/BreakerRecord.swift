import Foundation
import GRDB

/// A row of `breaker`: a tool's circuit breaker as a version before the change log recorded it
/// (read to find damaged rows; breakers are folded from the event log since).
struct BreakerRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "breaker"

    var tool: String
    var state: String
    var consecutiveFailures: Int
    var openedAt: Double?
    var probesInFlight: Int
    var halfOpenSuccesses: Int

    /// The largest count a stored breaker may hold: far beyond any policy's thresholds, far
    /// below where adding one more failure would overflow.
    static let countLimit = 1 << 40
    /// The most probes or `half_open` successes a stored breaker may count (a policy admits a few).
    static let probeLimit = 1 << 20

    /// The breaker this row holds; nil when a value is one a breaker cannot have (an unknown
    /// state, a negative or absurd count, a time that is not finite).
    var breaker: CircuitBreaker? {
        guard let state = CircuitBreaker.State(rawValue: state),
              [consecutiveFailures, probesInFlight, halfOpenSuccesses].allSatisfy({ (0...Self.countLimit).contains($0) }),
              probesInFlight <= Self.probeLimit, halfOpenSuccesses <= Self.probeLimit,
              openedAt.map({ abs($0) < 1e11 }) ?? (state == .closed) else { return nil }  // open and half_open breakers have opened
        var breaker = CircuitBreaker()
        breaker.state = state
        breaker.consecutiveFailures = consecutiveFailures
        breaker.openedAt = openedAt.map(Date.init(timeIntervalSince1970:))
        breaker.probesInFlight = probesInFlight
        breaker.halfOpenSuccesses = halfOpenSuccesses
        return breaker
    }
}

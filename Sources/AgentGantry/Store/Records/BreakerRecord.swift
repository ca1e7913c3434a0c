import Foundation
import GRDB

/// A row of `breaker`: a tool's circuit breaker as last recorded.
struct BreakerRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "breaker"

    var tool: String
    var state: String
    var consecutiveFailures: Int
    var openedAt: Double?
    var probesInFlight: Int
    var halfOpenSuccesses: Int

    init(tool: String, _ breaker: CircuitBreaker) {
        self.tool = tool
        state = breaker.state.rawValue
        consecutiveFailures = breaker.consecutiveFailures
        openedAt = breaker.openedAt?.timeIntervalSince1970
        probesInFlight = breaker.probesInFlight
        halfOpenSuccesses = breaker.halfOpenSuccesses
    }

    var breaker: CircuitBreaker {
        var breaker = CircuitBreaker()
        breaker.state = CircuitBreaker.State(rawValue: state) ?? .closed
        breaker.consecutiveFailures = consecutiveFailures
        breaker.openedAt = openedAt.map(Date.init(timeIntervalSince1970:))
        breaker.probesInFlight = probesInFlight
        breaker.halfOpenSuccesses = halfOpenSuccesses
        return breaker
    }
}

import AgentGantry
import Foundation

/// How many requests a tenant may make per period: `60000/min`, `100/s`, `5000/h`.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// Requests per `period`; also how many may come at once.
    public let requests: Int
    /// The period, in seconds.
    public let period: Double

    /// `requests` per `period` seconds (both > 0).
    public init(requests: Int, period: Double) throws(GantryError) {
        guard requests > 0, period > 0, period.isFinite else { throw .invalidInput("a rate limit needs requests > 0 per a period > 0") }
        (self.requests, self.period) = (requests, period)
    }

    /// `N/s`, `N/min` or `N/h`.
    public init(parsing text: String) throws(GantryError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let periods: [Substring: Double] = ["s": 1, "min": 60, "h": 3_600]
        guard parts.count == 2, let requests = Int(parts[0]), let period = periods[parts[1]] else {
            throw .invalidInput("a rate limit is N/s, N/min or N/h (requests per second, minute or hour), not \"\(text)\"")
        }
        try self.init(requests: requests, period: period)
    }

    /// `N/s`, `N/min` or `N/h` (another period in seconds).
    public var description: String { "\(requests)/\(period == 1 ? "s" : period == 60 ? "min" : period == 3_600 ? "h" : "\(period)s")" }
}

/// A token bucket per tenant: up to `limit.requests` at once, refilled at that many per
/// `limit.period`. A request finding the bucket empty is refused (429) with the seconds until a
/// token is back. The clock is injected (`now`), so tests do not depend on time passing.
final class RateLimiter: Sendable {
    private let limit: RateLimit
    private let now: @Sendable () -> TimeInterval
    private let buckets = NSLock.Protected([String: (tokens: Double, at: TimeInterval)]())

    init(_ limit: RateLimit, now: @escaping @Sendable () -> TimeInterval = { ProcessInfo.processInfo.systemUptime }) {
        (self.limit, self.now) = (limit, now)
    }

    /// nil when `tenant` may make a request now (it is counted), else the seconds to wait.
    func admit(_ tenant: String) -> Int? {
        let now = now(), capacity = Double(limit.requests), rate = capacity / limit.period
        return buckets.withLock { buckets in
            var bucket = buckets[tenant] ?? (capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            defer { buckets[tenant] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }
}

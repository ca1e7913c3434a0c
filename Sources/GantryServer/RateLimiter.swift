import Foundation

/// A token bucket per tenant: up to `perMinute` requests at once, refilled at `perMinute` a
/// minute. A request finding the bucket empty is refused (429) with the seconds until a token is
/// back. The clock is injected (`now`), so tests do not depend on time passing.
final class RateLimiter: Sendable {
    private let perMinute: Double
    private let now: @Sendable () -> TimeInterval
    private let buckets = NSLock.Protected([String: (tokens: Double, at: TimeInterval)]())

    /// A limiter of `perMinute` requests a minute per tenant (> 0).
    init(perMinute: Int, now: @escaping @Sendable () -> TimeInterval = { ProcessInfo.processInfo.systemUptime }) {
        precondition(perMinute > 0, "a rate limit of \(perMinute) a minute")
        (self.perMinute, self.now) = (Double(perMinute), now)
    }

    /// nil when `tenant` may make a request now (it is counted), else the seconds to wait.
    func admit(_ tenant: String) -> Int? {
        let now = now(), rate = perMinute / 60
        return buckets.withLock { buckets in
            var bucket = buckets[tenant] ?? (perMinute, now)
            bucket.tokens = min(perMinute, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            defer { buckets[tenant] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }
}

extension NSLock {
    /// A value only reached under a lock of its own.
    final class Protected<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Value

        init(_ value: Value) { self.value = value }

        func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
            lock.lock()
            defer { lock.unlock() }
            return try body(&value)
        }
    }
}

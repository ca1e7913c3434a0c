import Foundation

/// Who is asking, for preferences, co-usage and filters.
public struct RoutingContext: Sendable, Hashable, Codable {
    public var user: String?
    public var team: String?
    public var session: String?
    /// Only tools of this namespace (nil: any).
    public var namespace: String?
    /// Only tools carrying at least one of these tags (empty: any).
    public var tags: Set<String>
    /// The caller's latency budget: tools whose observed p95 exceeds it score lower.
    public var latencyBudget: Duration?

    public init(user: String? = nil, team: String? = nil, session: String? = nil, namespace: String? = nil, tags: Set<String> = [],
                latencyBudget: Duration? = nil) {
        self.user = user
        self.team = team
        self.session = session
        self.namespace = namespace
        self.tags = tags
        self.latencyBudget = latencyBudget
    }
}

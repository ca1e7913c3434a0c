import Foundation

/// Who is asking, for preferences, co-usage and filters.
public struct RoutingContext: Sendable, Hashable, Codable {
    /// The caller (up to `Limits.contextBytes`, kept in NFC): the preference signal uses the user's
    /// past choices, and events recorded with it can be deleted by `forget(user:)`.
    public var user: String?
    /// The caller's team (kept in NFC): preferences per team, and the feedback memory counts the
    /// team's own corrections fully and other teams' at half weight.
    public var team: String?
    /// The caller's session (kept in NFC): the co-usage signal boosts tools that usually follow the
    /// session's last executed tool, and executions are attributed the intent of the session's last
    /// retrieval.
    public var session: String?
    /// Only tools of this namespace (nil: any).
    public var namespace: String?
    /// Only tools carrying at least one of these tags (empty: any).
    public var tags: Set<String>
    /// The caller's latency budget: tools whose observed p95 exceeds it score lower.
    public var latencyBudget: Duration?

    /// A context; every field is optional and the default (`RoutingContext()`) is an anonymous caller
    /// with no filter. Checked against `Limits` when used, not here.
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

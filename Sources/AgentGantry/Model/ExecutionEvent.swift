import Foundation

/// A stored execution outcome.
public struct ExecutionEvent: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var user: String?, team: String?, session: String?
    public var tool: String
    public var outcome: ExecutionOutcome
    public var latencyMilliseconds: Double?
    /// The intent of the session's last routed request, when known.
    public var intent: String?

    /// An event as `EventLog.decode` or a store produces it (id 0 until stored).
    public init(id: Int64, at: Date, user: String?, team: String?, session: String?, tool: String, outcome: ExecutionOutcome,
                latencyMilliseconds: Double?, intent: String?) {
        self.id = id
        self.at = at
        (self.user, self.team, self.session) = (user, team, session)
        self.tool = tool
        self.outcome = outcome
        self.latencyMilliseconds = latencyMilliseconds
        self.intent = intent
    }
}

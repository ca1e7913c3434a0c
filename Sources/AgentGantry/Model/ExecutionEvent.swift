import Foundation

/// A stored execution outcome.
public struct ExecutionEvent: Sendable, Equatable {
    /// The event's id in the store (increasing in log order); 0 until stored.
    public var id: Int64
    /// When the execution was recorded (by the instance's `GantryClock`).
    public var at: Date
    /// The caller's user (`RoutingContext.user`), in Unicode NFC; a success counts as the user's
    /// choice of the tool for the preference signal.
    public var user: String?
    /// The caller's team, in Unicode NFC; a success counts as the team's choice of the tool.
    public var team: String?
    /// The caller's session, in Unicode NFC: the co-usage signal learns which tool follows which
    /// within a session.
    public var session: String?
    /// The tool that was called.
    public var tool: String
    /// How the call ended.
    public var outcome: ExecutionOutcome
    /// The call's latency in milliseconds (finite, not negative), when reported; feeds the tool's
    /// p95 that the performance signal compares with `RoutingContext.latencyBudget`.
    public var latencyMilliseconds: Double?
    /// The intent of the session's last routed request, when known.
    public var intent: String?
    /// The retrieval that offered the tool, when the call was reported with
    /// `AgentGantry.recordExecution(retrieval:tool:outcome:latency:context:)` and the store held
    /// that retrieval's record: the feedback memory learns a success as the tool vouched for near
    /// the retrieval's query, for as long as the record is kept (`retrievalRetentionDays`).
    /// The portable event log carries it; an import keeps it only when the log holds the
    /// retrieval's record (`exportEvents(includingRetrievals: true)`), under the record's new id.
    public var retrieval: RetrievalID?

    /// An event as `EventLog.decode` or a store produces it (id 0 until stored).
    public init(id: Int64, at: Date, user: String?, team: String?, session: String?, tool: String, outcome: ExecutionOutcome,
                latencyMilliseconds: Double?, intent: String?, retrieval: RetrievalID? = nil) {
        self.id = id
        self.at = at
        (self.user, self.team, self.session) = (user, team, session)
        self.tool = tool
        self.outcome = outcome
        self.latencyMilliseconds = latencyMilliseconds
        self.intent = intent
        self.retrieval = retrieval
    }
}

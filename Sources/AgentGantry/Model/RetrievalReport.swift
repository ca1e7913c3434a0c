import Foundation

/// A report that names a retrieval: the agent selected a tool it offered, or called one and
/// says how the call went (`AgentGantry.recordSelection(retrieval:tool:context:)`,
/// `recordExecution(retrieval:tool:outcome:latency:context:)`). Kept beside the event log; a
/// success or failure also goes into the log as an `ExecutionEvent` (health, breakers,
/// preferences), a wrong-tool report only here. Deleted with its retrieval's records
/// (`GantryConfiguration.retrievalRetentionDays`) and by `forget(user:)`.
public struct RetrievalReport: Sendable, Equatable {
    /// What the report says about `tool`.
    public enum Signal: String, Sendable, Codable, CaseIterable {
        /// The model picked the tool from the shortlist.
        case selection
        /// A call of the tool did what was asked.
        case success
        /// A call of the tool failed.
        case failure
        /// A call of the tool did not finish in time.
        case timeout
        /// The caller says the tool cannot do this request (`ExecutionOutcome.wrongTool`).
        case wrongTool = "wrong_tool"

        /// The signal of an execution that ended with `outcome`.
        init(_ outcome: ExecutionOutcome) {
            switch outcome {
            case .success: self = .success
            case .failure: self = .failure
            case .timeout: self = .timeout
            case .wrongTool: self = .wrongTool
            }
        }
    }

    /// The report's place in the store's report log (increasing in commit order); 0 until stored.
    public var id: Int64
    /// When it was reported (by the instance's `GantryClock`).
    public var at: Date
    /// The retrieval it names. Linked when the store holds that retrieval's record; one whose
    /// record was lost in a crash, or deleted, stays unlinked (learning skips it).
    public var retrieval: RetrievalID
    /// The tool it is about.
    public var tool: String
    /// What it says: selected, a call's outcome, or the wrong tool.
    public var signal: Signal
    /// The caller, team and session: the retrieval's when its record was found, else the
    /// report's `RoutingContext`.
    public var user: String?, team: String?, session: String?

    /// A report (id 0 until stored).
    public init(id: Int64, at: Date, retrieval: RetrievalID, tool: String, signal: Signal, user: String?, team: String?, session: String?) {
        (self.id, self.at, self.retrieval, self.tool, self.signal) = (id, at, retrieval, tool, signal)
        (self.user, self.team, self.session) = (user, team, session)
    }
}

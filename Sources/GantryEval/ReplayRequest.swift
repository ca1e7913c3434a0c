import AgentGantry
import Foundation
import GantryIO

/// One request of a replay: the query, who asks, the correct tools, and, for a logged request,
/// what the agent picked and how the call ended.
public struct ReplayRequest: Sendable {
    /// What a logged agent did.
    public struct LoggedCall: Sendable {
        /// The tool the agent picked (a correction is recorded when it is not the first correct tool).
        public var selected: String
        /// How the call of the correct tool ended, recorded as an execution.
        public var outcome: ExecutionOutcome
        /// The call's latency, when logged.
        public var latency: Duration?

        /// A logged call.
        public init(selected: String, outcome: ExecutionOutcome, latency: Duration? = nil) {
            self.selected = selected
            self.outcome = outcome
            self.latency = latency
        }
    }

    /// The request's text, routed as it is.
    public var query: String
    /// Who asks (user, team, session), passed to every call the replay makes for the request.
    public var context: RoutingContext
    /// The correct tools (at least one; the first is the one a correction names).
    public var correctTools: [String]
    /// What the log says the agent did; nil for a simulated agent.
    public var logged: LoggedCall?

    /// A request. Precondition: `correctTools` is not empty.
    public init(query: String, context: RoutingContext = RoutingContext(), correctTools: [String], logged: LoggedCall? = nil) {
        precondition(!correctTools.isEmpty, "a replayed request needs a correct tool")
        self.query = query
        self.context = context
        self.correctTools = correctTools
        self.logged = logged
    }

    /// Query `index` of `dataset`, answered by a simulated agent.
    public init(_ dataset: RetrievalDataset, query index: Int) {
        let query = dataset.queries[index]
        self.init(query: query.text, correctTools: query.tools.map { dataset.tools[$0].id })
    }

    /// The requests of a logged event file: JSON lines with `session`, `user`, `team`, `query`,
    /// `selected`, `correct`, `outcome` (success | failure | timeout) and `latency_ms` (the
    /// support-desk `events.jsonl` format). Errors name the file and the line.
    public static func loadLog(_ path: String) throws -> [ReplayRequest] {
        let bytes: [UInt8]
        do { bytes = try BinaryFile.read(path) } catch { throw EvalError.unreadable(error) }
        return try JSONLines.lines(of: bytes).map { line in
            func fail(_ reason: String) -> EvalError { .line(path: path, line: line.number, reason: reason) }
            let event: LoggedEvent
            do { event = try JSONDecoder().decode(LoggedEvent.self, from: Data(line.bytes)) } catch { throw fail("\(error)") }
            guard let outcome = ExecutionOutcome(rawValue: event.outcome), ExecutionOutcome.logged.contains(outcome) else {
                throw fail("outcome must be one of \(ExecutionOutcome.logged.map(\.rawValue))")
            }
            guard event.latency_ms.isFinite, event.latency_ms >= 0 else { throw fail("latency_ms must be finite and not negative") }
            return ReplayRequest(query: event.query, context: RoutingContext(user: event.user, team: event.team, session: event.session),
                                 correctTools: [event.correct],
                                 logged: LoggedCall(selected: event.selected, outcome: outcome,
                                                    latency: .microseconds(Int64((event.latency_ms * 1000).rounded()))))
        }
    }

    private struct LoggedEvent: Decodable {
        var session: String, user: String, team: String, query: String, selected: String, correct: String, outcome: String
        var latency_ms: Double
    }
}

import Foundation
import GantryIO

/// The portable event log: JSON lines as `AgentGantry.exportEvents()` writes them and
/// `importEvents(_:)` reads them (format in the README). `decode` validates without a store.
public enum EventLog {
    /// Encodes events oldest first (by id), one sorted-key JSON object per line.
    public static func encode(feedback: [FeedbackEvent], executions: [ExecutionEvent]) throws(GantryError) -> String {
        let encoder = Line.makeEncoder()
        let lines = feedback.map { (id: $0.id, line: Line(columns: EventColumns($0), queryVector: $0.queryVector,
                                                          queryTerms: $0.queryTerms.map(StoredTerms.hexadecimal))) }
            + executions.map { (id: $0.id, line: Line(columns: EventColumns($0), queryVector: nil, retrieval: $0.retrieval)) }
        var text = ""
        for (id, line) in lines.sorted(by: { $0.id < $1.id }) {
            guard let json = try? encoder.encode(line) else { throw .store("event \(id) holds a value JSON cannot carry (NaN or infinity)") }
            text += String(decoding: json, as: UTF8.self) + "\n"
        }
        return text
    }

    /// Decodes and validates every line: kind, time, names (`Limits.contextBytes`, no control
    /// characters; returned in Unicode NFC, as the store keeps them), tools among `knownTools`,
    /// query text (`Limits.queryBytes`, not blank, no NUL), query vectors of `dimension` finite
    /// values, query terms (16 lowercase hexadecimal digits each; kept only without query text,
    /// distinct and ascending), feedback type, outcome, latency. Throws `GantryError.invalidInput`
    /// naming the line.
    /// Query text is redacted on the way in. Event ids are 0 (the store assigns them), and
    /// executions come without their retrieval (its id names a record of the exporting store).
    /// Feedback without a `model` (logs exported before 0.2.0) is taken as embedded by
    /// `assumedModel`.
    public static func decode(_ text: String, dimension: Int, knownTools: Set<String>, assumedModel: String? = nil)
        throws(GantryError) -> (feedback: [FeedbackEvent], executions: [ExecutionEvent])
    {
        var feedback = [FeedbackEvent](), executions = [ExecutionEvent]()
        for event in try events(of: text, dimension: dimension, knownTools: knownTools, assumedModel: assumedModel) {
            switch event {
            case .feedback(let event): feedback.append(event)
            case .execution(let event): executions.append(event)
            }
        }
        return (feedback, executions)
    }

    /// The events of `text` in line order, decoded and validated as `decode` does; an
    /// execution's retrieval is the id `renamedRetrievals` gives it (the id under which the
    /// log's record of it is imported), and none when it gives none (the log holds no record).
    @_spi(StoreImplementation) public static func events(of text: String, dimension: Int, knownTools: Set<String>, assumedModel: String? = nil,
                                                         renamedRetrievals: [RetrievalID: RetrievalID] = [:])
        throws(GantryError) -> [GantryEvent]
    {
        var events = [GantryEvent]()
        let decoder = Line.makeDecoder()
        for line in JSONLines.lines(of: Array(text.utf8)) {
            func fail(_ reason: String) -> GantryError { .invalidInput("events line \(line.number): \(reason)") }
            guard let e = try? decoder.decode(Line.self, from: Data(line.bytes)) else {
                if let kind = try? decoder.decode(Kind.self, from: Data(line.bytes)).kind, retrievalKinds.contains(kind) { continue }
                throw fail("not an event object")
            }
            if retrievalKinds.contains(e.kind) { continue }  // `retrievals(of:dimension:knownTools:)` reads them
            guard e.at.isFinite, abs(e.at) < 1e11 else { throw fail("\"at\" must be a time in Unix seconds") }
            let user: String?, team: String?, session: String?, intent: String?, model: String?, tool: String?, correct: String?
            do {
                user = try Limits.name(e.user, "user")
                team = try Limits.name(e.team, "team")
                session = try Limits.name(e.session, "session")
                intent = try Limits.name(e.intent, "intent")
                model = try Limits.name(e.model, "model")
                tool = try e.tool.map { (name) throws(GantryError) in try Limits.toolName(name) }
                correct = try e.correctTool.map { (name) throws(GantryError) in try Limits.toolName(name) }
            } catch {
                throw fail(error.description)
            }
            let at = Date(timeIntervalSince1970: e.at)
            switch e.kind {
            case EventColumns.Kind.feedback:
                guard let correct, knownTools.contains(correct) else { throw fail("correct_tool must name a registered tool") }
                if let tool, !knownTools.contains(tool) { throw fail("tool \"\(excerpt(tool))\" is not registered") }
                guard let type = FeedbackType(rawValue: e.feedbackType ?? "") else {
                    throw fail("feedback_type must be one of \(FeedbackType.allCases.map(\.rawValue))")
                }
                let (vector, terms) = try checkQuery(e.query, terms: e.queryTerms, vector: e.queryVector, dimension: dimension, fail)
                events.append(.feedback(FeedbackEvent(id: 0, at: at, user: user, team: team, session: session, query: e.query.map(Redaction.redact),
                                              queryVector: vector, selectedTool: tool, correctTool: correct, type: type,
                                              model: model ?? assumedModel, queryTerms: terms)))
            case EventColumns.Kind.execution:
                guard let tool, knownTools.contains(tool) else { throw fail("tool must name a registered tool") }
                guard let outcome = ExecutionOutcome(rawValue: e.outcome ?? ""), ExecutionOutcome.logged.contains(outcome) else {
                    throw fail("outcome must be one of \(ExecutionOutcome.logged.map(\.rawValue))")
                }
                if let latency = e.latencyMs, !(latency.isFinite && latency >= 0) { throw fail("latency_ms must be finite and not negative") }
                events.append(.execution(ExecutionEvent(id: 0, at: at, user: user, team: team, session: session, tool: tool,
                                                        outcome: outcome, latencyMilliseconds: e.latencyMs, intent: intent,
                                                        retrieval: e.retrieval.flatMap { renamedRetrievals[$0] })))
            default:
                throw fail("kind must be \"feedback\", \"execution\" or one of \(retrievalKinds.sorted())")
            }
        }
        return events
    }

    /// The query vector (`dimension` finite values, not all zero) and the term hashes of a line,
    /// once its query text (if any) is a valid query; throws `fail`'s error saying what is not.
    static func checkQuery(_ query: String?, terms: [String]?, vector: [Float]?, dimension: Int,
                           _ fail: (String) -> GantryError) throws(GantryError) -> (vector: [Float], terms: [UInt64]?) {
        guard let vector, vector.count == dimension, vector.allSatisfy(\.isFinite), vector.contains(where: { $0 != 0 }) else {
            throw fail("query_vector must have \(dimension) finite values, not all zero")
        }
        if let query {
            do { try Limits.check(text: query, maxBytes: Limits.queryBytes) } catch { throw fail("the query \(error.reason)") }
        }
        let hashes = try terms.map { (strings) throws(GantryError) in
            guard let hashes = StoredTerms.hashes(hexadecimal: strings) else {
                throw fail("query_terms must be at most \(StoredTerms.maxCount) strings of 16 lowercase hexadecimal digits")
            }
            return hashes
        }
        return (vector, hashes)
    }

    /// One line of the log: the event's columns, its query vector and query terms
    /// (`StoredTerms.hexadecimal`), under snake_case keys (`makeEncoder()` / `makeDecoder()`
    /// convert them).
    @dynamicMemberLookup
    struct Line: Codable {
        var columns: EventColumns
        var queryVector: [Float]?
        var queryTerms: [String]?
        /// An execution's retrieval (`ExecutionEvent.retrieval`).
        var retrieval: RetrievalID?

        subscript<T>(dynamicMember field: KeyPath<EventColumns, T>) -> T { columns[keyPath: field] }

        private enum CodingKeys: String, CodingKey { case queryVector, queryTerms, retrieval }

        init(columns: EventColumns, queryVector: [Float]?, queryTerms: [String]? = nil, retrieval: RetrievalID? = nil) {
            self.columns = columns
            self.queryVector = queryVector
            self.queryTerms = queryTerms
            self.retrieval = retrieval
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            queryVector = try container.decodeIfPresent([Float].self, forKey: .queryVector)
            queryTerms = try container.decodeIfPresent([String].self, forKey: .queryTerms)
            retrieval = try container.decodeIfPresent(RetrievalID.self, forKey: .retrieval)
            columns = try EventColumns(from: decoder)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(queryVector, forKey: .queryVector)
            try container.encodeIfPresent(queryTerms, forKey: .queryTerms)
            try container.encodeIfPresent(retrieval, forKey: .retrieval)
            try columns.encode(to: encoder)
        }

        /// Sorted snake_case keys, one object per line.
        static func makeEncoder() -> JSONEncoder {
            let json = JSONEncoder()
            json.outputFormatting = [.sortedKeys]
            json.keyEncodingStrategy = .convertToSnakeCase
            return json
        }

        static func makeDecoder() -> JSONDecoder {
            let json = JSONDecoder()
            json.keyDecodingStrategy = .convertFromSnakeCase
            return json
        }
    }
}

import Foundation
import Logging
import PostgresNIO
@_spi(StoreImplementation) import AgentGantry

extension PostgresStore {
    /// An event's columns, its query vector and query terms (feedback only), as `insertion(of:)`
    /// writes them.
    typealias ImportRow = (columns: EventColumns, queryVector: [Float]?, queryTerms: [UInt64]?)

    /// The columns of `event` after `id` that every store has, in the order `readEvents` decodes
    /// them; `query_terms` follows where the store has it (`keepsQueryTerms`).
    static let eventColumns = "kind, at, user_name, team, session, query, query_vector, tool, correct_tool, feedback_type, outcome, latency_ms, intent, model"

    /// `eventColumns`, and `query_terms` when `terms`.
    static func eventColumns(terms: Bool) -> String { eventColumns + (terms ? ", query_terms" : "") }

    /// The types of `eventColumns(terms:)`, in order.
    static func eventColumnTypes(terms: Bool) -> [String] {
        ["text", "float8", "text", "text", "text", "text", "bytea", "text", "text", "text", "text", "float8", "text", "text"]
            + (terms ? ["bytea"] : [])
    }

    /// The values bound per event row: its id (or position) and its columns.
    static func bindsPerEvent(terms: Bool) -> Int { 1 + eventColumnTypes(terms: terms).count }

    /// The row of `event`.
    static func row(_ event: GantryEvent) -> ImportRow {
        (EventColumns(event), event.queryVector, event.queryTerms)
    }

    /// Appends `events` in one statement: ids drawn from `event_seq` (locked until commit, so
    /// they are in commit order), the rows inserted and the followers notified; returns the ids
    /// once committed. With retrieval `records` or `reports`, all are written in one transaction
    /// (`appendWithRetrievals`).
    @_spi(StoreImplementation) public func appendEvents(_ events: [GantryEvent], records: [RetrievalRecord],
                                                        reports: [RetrievalReport]) async throws(GantryError) -> [Int64] {
        guard records.isEmpty, reports.isEmpty, !(keepsRetrievals && events.contains { $0.retrieval != nil }) else {
            return try await appendWithRetrievals(events, records: records, reports: reports)
        }
        guard !events.isEmpty else { return [] }
        try checkWritable()
        let logger = logger, count = events.count, key = UUID()
        let query = try Self.insertion(of: events.map(Self.row), receipt: key, terms: keepsQueryTerms)
        let last = try await withConnection("append events to") { connection, attempt in
            // After a lost connection, the first attempt may have committed: its receipt says.
            if attempt > 0, let last = try await PostgresSchema.receipt(key, on: connection, logger: logger) { return last }
            return try await Self.run(query, inserting: count, on: connection, logger: logger)
        }
        await pruneReceiptsNowAndThen()
        return Array((last - Int64(count) + 1)...last)
    }

    /// Runs `insertion(of:receipt:terms:)`'s statement for `count` events; returns the last id.
    static func run(_ insertion: PostgresQuery, inserting count: Int, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        var last: Int64?
        for try await (id, inserted) in try await connection.query(insertion, logger: logger).decode((Int64?, Int).self) {
            guard inserted == count else { throw GantryError.store("\(inserted) of \(count) events were inserted") }
            last = id
        }
        guard let last else { throw GantryError.store("the store has no event counter (its schema is damaged)") }
        return last
    }

    /// Prunes `write_receipt` every 4,096th append of this handle (the appends write a receipt each).
    private func pruneReceiptsNowAndThen() async {
        guard appendsSincePruning.withLock({ appends in
            appends += 1
            defer { if appends == 4_096 { appends = 0 } }
            return appends == 4_096
        }) else { return }
        let logger = logger
        _ = try? await withConnection("prune the write receipts of") { connection, _ in
            try await PostgresSchema.pruneReceipts(connection, logger: logger)
        }
    }

    /// Appends events, records and reports in one transaction. A retry after a lost connection
    /// finds the first attempt's receipts (the events' last id, the reports' ids' last) when it
    /// committed. Records are dropped, not refused, by a store without the retrieval tables.
    private func appendWithRetrievals(_ events: [GantryEvent], records: [RetrievalRecord],
                                      reports: [RetrievalReport]) async throws(GantryError) -> [Int64] {
        try checkWritable()
        if !reports.isEmpty { try checkRetrievals() }
        let keeps = keepsRetrievals, records = keeps ? records : []
        let logger = logger, eventKey = UUID(), reportKey = UUID(), count = events.count
        let insertion = events.isEmpty ? nil : try Self.insertion(of: events.map(Self.row), receipt: eventKey, terms: keepsQueryTerms)
        let (lastEvent, reportIDs) = try await withConnection("append events to") { connection, attempt -> (Int64?, [Int64]) in
            if attempt > 0, let last = try await PostgresSchema.receipt(eventKey, on: connection, logger: logger) {
                let lastReport = try await PostgresSchema.receipt(reportKey, on: connection, logger: logger) ?? 0
                return (count > 0 ? last : nil, reports.isEmpty ? [] : Array((lastReport - Int64(reports.count) + 1)...lastReport))
            }
            return try await Self.inTransaction(connection, logger: logger) { connection in
                var lastEvent: Int64?
                if let insertion {
                    let last = try await Self.run(insertion, inserting: count, on: connection, logger: logger)
                    if keeps { try await Self.insertLinks(of: events, ids: (last - Int64(count) + 1)..., on: connection, logger: logger) }
                    lastEvent = last
                } else {
                    try await connection.query("INSERT INTO write_receipt (key, result, at) VALUES (\(eventKey), 0, \(Date().timeIntervalSince1970))",
                                               logger: logger)
                }
                let reportIDs = try await Self.insert(records: records, reports: reports, on: connection, logger: logger)
                if let last = reportIDs.last {
                    try await connection.query("INSERT INTO write_receipt (key, result, at) VALUES (\(reportKey), \(last), \(Date().timeIntervalSince1970))",
                                               logger: logger)
                }
                return (lastEvent, reportIDs)
            }
        }
        await pruneReceiptsNowAndThen()
        let eventIDs = lastEvent.map { Array(($0 - Int64(count) + 1)...$0) } ?? []
        return eventIDs + reportIDs
    }

    /// One statement inserting `rows` with ids drawn from `event_seq` in row order, notifying
    /// the followers, storing the last id under `receipt` in `write_receipt` when given, and
    /// returning the last id and how many rows it inserted.
    static func insertion(of rows: [ImportRow], receipt: UUID? = nil, terms: Bool = true) throws(GantryError) -> PostgresQuery {
        let bindsPerEvent = bindsPerEvent(terms: terms), columns = eventColumns(terms: terms)
        var values = [String](), binds = PostgresBindings(capacity: rows.count * bindsPerEvent)
        values.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() {
            binds.append(Int64(i + 1))
            values.append("($\(i * bindsPerEvent + 1)::bigint, " + (try bind(row, from: i * bindsPerEvent + 2, terms: terms, into: &binds)) + ")")
        }
        let count = rows.count
        var noted = ""
        if let receipt {
            binds.append(receipt)
            noted = ",\nnoted AS (INSERT INTO write_receipt (key, result, at) SELECT $\(rows.count * bindsPerEvent + 1), max(id), extract(epoch FROM now()) FROM added)"
        }
        return PostgresQuery(unsafeSQL: """
            WITH seq AS (UPDATE gantry_meta SET value = value + \(count) WHERE key = 'event_seq' RETURNING value - \(count) AS base),
            added AS (
                INSERT INTO event (id, \(columns))
                SELECT seq.base + v.ord, \(columns.components(separatedBy: ", ").map { "v." + $0 }.joined(separator: ", "))
                FROM seq, (VALUES \(values.joined(separator: ", "))) AS v (ord, \(columns))
                RETURNING id)\(noted)
            SELECT max(id), count(*)::bigint, pg_notify(\(PostgresSchema.channel), '') FROM added
            """, binds: binds)
    }

    /// Appends the values of `row`'s columns (`eventColumns(terms:)`) to `binds` and returns their
    /// typed placeholders, numbered from `first`.
    static func bind(_ row: ImportRow, from first: Int, terms: Bool, into binds: inout PostgresBindings) throws(GantryError) -> String {
        let c = row.columns
        binds.append(c.kind)
        binds.append(c.at)
        for text in [c.user, c.team, c.session, c.query] { binds.append(text) }
        do { try binds.append(row.queryVector.map(StoredVector.data)) } catch { throw .store("a query vector does not encode: \(error)") }
        for text in [c.tool, c.correctTool, c.feedbackType, c.outcome] { binds.append(text) }
        binds.append(c.latencyMs)
        for text in [c.intent, c.model] { binds.append(text) }
        if terms {
            do { try binds.append(row.queryTerms.map(StoredTerms.data)) } catch { throw .store("query terms do not encode: \(error)") }
        }
        return eventColumnTypes(terms: terms).enumerated().map { "$\(first + $0.offset)::\($0.element)" }.joined(separator: ", ")
    }

    /// Stores the retrieval of each execution of `events` that names one (`ExecutionEvent.retrieval`)
    /// under its event id (`ids`, in the same order) in `event_retrieval`; in the caller's transaction.
    static func insertLinks(of events: some Collection<GantryEvent>, ids: some Sequence<Int64>, on connection: PostgresConnection,
                            logger: Logger) async throws {
        let links = zip(ids, events).compactMap { id, event in event.retrieval.map { (event: id, retrieval: $0) } }
        guard !links.isEmpty else { return }
        try await connection.query("""
            INSERT INTO event_retrieval (event, retrieval)
            SELECT * FROM unnest(\(links.map(\.event))::bigint[], \(links.map(\.retrieval.rawValue))::bigint[])
            """, logger: logger)
    }

    /// The events with ids above `id`, oldest first, at most `limit`, and the rows that are not
    /// valid events (each execution with its retrieval when `links`: the store has `event_retrieval`).
    static func readEvents(_ connection: PostgresConnection, after id: Int64 = 0, limit: Int? = nil, kind: String? = nil, terms: Bool,
                           links: Bool, logger: Logger) async throws -> (events: [GantryEvent], damaged: [QuarantinedRow]) {
        var sql = "SELECT id, \(eventColumns), \(terms ? "query_terms" : "NULL::bytea"), "
            + (links ? "(SELECT r.retrieval FROM event_retrieval r WHERE r.event = e.id)" : "NULL::bigint") + " FROM event e WHERE id > $1"
        var binds = PostgresBindings()
        binds.append(id)
        if let kind {
            sql += " AND kind = $2"
            binds.append(kind)
        }
        sql += " ORDER BY id" + (limit.map { " LIMIT \($0)" } ?? "")
        var events = [GantryEvent](), damaged = [QuarantinedRow]()
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        for try await (id, kind, at, user, team, session, query, vector, tool, correct, type, outcome, latency, intent, model, terms, link) in rows
            .decode((Int64, String, Double, String?, String?, String?, String?, Data?, String?, String?, String?, String?, Double?, String?,
                     String?, Data?, Int64?).self) {
            let columns = EventColumns(kind: kind, at: at, user: user, team: team, session: session, query: query, tool: tool,
                                       correctTool: correct, feedbackType: type, outcome: outcome, latencyMs: latency, intent: intent,
                                       model: model)
            do {
                events.append(try columns.event(id: id, queryVector: StoredVector.floats(vector), queryTerms: StoredTerms.hashes(terms),
                                                retrieval: link.flatMap(RetrievalID.init(rawValue:))))
            } catch {
                damaged.append(QuarantinedRow(table: "event", key: String(id), reason: error.reason, at: Date(), rowid: id))
            }
        }
        return (events, damaged)
    }

    @_spi(StoreImplementation) public func events() async throws(GantryError) -> (events: [GantryEvent], damaged: [QuarantinedRow]) {
        let logger = logger
        return try await transaction("read the events of", readOnly: true) { connection in
            try await Self.readEvents(connection, terms: self.keepsQueryTerms, links: self.keepsRetrievals, logger: logger)
        }
    }

    /// The valid feedback events, the highest event id and the feedback count, in one snapshot.
    @_spi(StoreImplementation) public func feedbackEventsAndHighestID() async throws(GantryError)
        -> (events: [FeedbackEvent], highestEventID: Int64, feedbackCount: Int)
    {
        let logger = logger
        return try await transaction("read the feedback of", readOnly: true) { connection in
            let (events, damaged) = try await Self.readEvents(connection, kind: "feedback", terms: self.keepsQueryTerms, links: false, logger: logger)
            var highest: Int64 = 0
            for try await id in try await connection.query("SELECT coalesce(max(id), 0) FROM event", logger: logger).decode(Int64.self) {
                highest = id
            }
            let feedback = events.compactMap { if case .feedback(let event) = $0 { event } else { nil } }
            return (feedback, highest, feedback.count + damaged.count)
        }
    }

    @_spi(StoreImplementation) public func countEvents(before date: Date) async throws(GantryError) -> Int {
        let logger = logger
        return try await withConnection("count the events of") { connection, _ in
            var count = 0
            for try await value in try await connection.query("SELECT count(*) FROM event WHERE at < \(date.timeIntervalSince1970)", logger: logger)
                .decode(Int.self) {
                count = value
            }
            return count
        }
    }

    @_spi(StoreImplementation) public func deleteEvents(before date: Date) async throws(GantryError) -> Int {
        var binds = PostgresBindings()
        binds.append(date.timeIntervalSince1970)
        return try await deleteEvents(where: "at < $1", binds)
    }

    @_spi(StoreImplementation) public func deleteEvents(of user: String) async throws(GantryError) -> Int {
        var binds = PostgresBindings()
        binds.append(user)
        return try await deleteEvents(where: "user_name = $1", binds)
    }

    /// Deletes the events `condition` selects (its parameters bound to `binds`) and, in the same
    /// transaction, withdraws every adapter version trained on one of the feedback events among
    /// them (a deleted feedback id at most its `highest_event_id`: the ids join its
    /// `forgotten_since` and its file is deleted); returns how many events.
    func deleteEvents(where condition: String, _ binds: PostgresBindings) async throws(GantryError) -> Int {
        let logger = logger
        return Int(try await receiptedTransaction("delete events from") { connection in
            Int64(try await Self.deleteEvents(connection, where: condition, binds, logger: logger))
        })
    }

    /// `deleteEvents(where:_:)` in the caller's transaction.
    static func deleteEvents(_ connection: PostgresConnection, where condition: String, _ binds: PostgresBindings,
                             logger: Logger) async throws -> Int {
        try await PostgresSchema.lockDeletions(connection, logger: logger)
        let deleted = try await connection.query(PostgresQuery(unsafeSQL: """
            WITH gone AS (DELETE FROM event WHERE \(condition) RETURNING id, kind)
            SELECT count(*)::bigint, coalesce(array_agg(id ORDER BY id) FILTER (WHERE kind = 'feedback'), '{}') FROM gone
            """, binds: binds), logger: logger)
        var removed = 0, feedback = [Int64]()
        for try await (count, ids) in deleted.decode((Int, [Int64]).self) { (removed, feedback) = (count, ids) }
        guard removed > 0 else { return 0 }
        try await PostgresSchema.countDeletions(connection, removed, logger: logger)
        guard let lowest = feedback.first else { return removed }
        var withdrawn = false
        for var record in try await adapterRecords(connection, "WHERE highest_event_id >= \(lowest) FOR UPDATE", logger: logger) {
            record.withdraw(forgetting: feedback)
            guard let version = record.version else { continue }
            try await connection.query("""
                UPDATE adapter_version SET file = \(record.file), forgotten_since = \(record.forgottenSince) WHERE version = \(version)
                """, logger: logger)
            withdrawn = true
        }
        if withdrawn { try await PostgresSchema.logChanges(connection, kind: "adapter", names: [nil], logger: logger) }
        return removed
    }

    /// The log as JSON lines, oldest first.
    @_spi(StoreImplementation) public func exportEvents() async throws(GantryError) -> String {
        let (events, _) = try await events()
        var feedback = [FeedbackEvent](), executions = [ExecutionEvent]()
        for event in events {
            switch event {
            case .feedback(let event): feedback.append(event)
            case .execution(let event): executions.append(event)
            }
        }
        return try EventLog.encode(feedback: feedback, executions: executions)
    }
}

extension GantryEvent {
    /// The query vector of a feedback event; nil for an execution.
    var queryVector: [Float]? {
        if case .feedback(let event) = self { event.queryVector } else { nil }
    }

    /// The query terms of a feedback event (kept only without its text); nil for an execution.
    var queryTerms: [UInt64]? {
        if case .feedback(let event) = self { event.queryTerms } else { nil }
    }
}

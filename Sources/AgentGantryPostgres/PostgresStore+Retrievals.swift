import Foundation
import Logging
import NIOCore
import PostgresNIO
@_spi(StoreImplementation) import AgentGantry

/// Retrieval records and reports (`PostgresSchema.retrievalTables`), laid out as the SQLite
/// store's: contexts and queries kept once with the time of their latest use, shortlists as
/// `StoredRetrieval` pairs over `retrieval_tool`'s numbers. A batch is written in five set-based
/// statements whatever its size.
extension PostgresStore {
    @_spi(StoreImplementation) public func reserveRetrievalBlock() async throws(GantryError) -> Int64 {
        try checkRetrievals()
        try checkWritable()
        let logger = logger
        return try await withConnection("reserve retrieval ids of") { connection, _ in
            for try await block in try await connection.query("SELECT nextval('retrieval_block_seq')", logger: logger).decode(Int64.self) {
                return block
            }
            throw GantryError.store("the retrieval id sequence returned nothing")
        }
    }

    /// Throws unless the store has the retrieval tables.
    func checkRetrievals() throws(GantryError) {
        guard keepsRetrievals else {
            throw .store("\(location) has no retrieval tables (this connection could not create them): "
                         + "open the store once with a role that may create tables in its schema")
        }
    }

    /// Writes `records` (one whose id is stored already is left as it was) and `reports` on
    /// `connection`, in its transaction; returns the reports' ids in order.
    static func insert(records: [RetrievalRecord], reports: [RetrievalReport], on connection: PostgresConnection,
                       logger: Logger) async throws -> [Int64] {
        // Contexts of both, each once with its latest use.
        var contextUse = [ContextKey: Double]()
        func use(_ key: ContextKey, at: Date) { contextUse[key] = max(contextUse[key] ?? -.infinity, at.timeIntervalSince1970) }
        for record in records { use(ContextKey(record.user, record.team, record.session), at: record.at) }
        for report in reports { use(ContextKey(report.user, report.team, report.session), at: report.at) }
        var contexts = [ContextKey: Int64]()
        if !contextUse.isEmpty {
            // Rows are locked in one order by every writer (sorted), so that two never deadlock.
            let keys = contextUse.keys.sorted { ($0.user, $0.team, $0.session) < ($1.user, $1.team, $1.session) }
            let rows = try await connection.query("""
                INSERT INTO retrieval_context (user_name, team, session, last_used)
                    SELECT * FROM unnest(\(keys.map(\.user))::text[], \(keys.map(\.team))::text[], \(keys.map(\.session))::text[],
                                         \(keys.map { contextUse[$0]! })::float8[])
                    ON CONFLICT (user_name, team, session) DO UPDATE SET last_used = greatest(retrieval_context.last_used, excluded.last_used)
                    RETURNING id, user_name, team, session
                """, logger: logger)
            for try await (id, user, team, session) in rows.decode((Int64, String, String, String).self) {
                contexts[ContextKey(user: user, team: team, session: session)] = id
            }
        }
        if !records.isEmpty {
            let names = Set(records.flatMap { $0.shortlist.map(\.tool) }).sorted()
            var tools = [String: Int64]()
            try await connection.query("INSERT INTO retrieval_tool (name) SELECT unnest(\(names)::text[]) ON CONFLICT (name) DO NOTHING", logger: logger)
            for try await (id, name) in try await connection.query("SELECT id, name FROM retrieval_tool WHERE name = ANY(\(names)::text[])",
                                                                   logger: logger).decode((Int64, String).self) {
                tools[name] = id
            }
            var queries = [Int64: (model: String, vector: ByteBuffer, query: String, terms: ByteBuffer, at: Double)]()
            var ids = [Int64](), ats = [Double](), contextIDs = [Int64](), queryIDs = [Int64](), shortlists = [ByteBuffer](), swapped = [Int]()
            for record in records {
                let at = record.at.timeIntervalSince1970, half = StoredRetrieval.halfData(record.queryVector)
                let key = StoredRetrieval.queryKey(model: record.model, halfVector: half, query: record.query, terms: record.queryTerms)
                if let known = queries[key] {
                    queries[key]!.at = max(known.at, at)
                } else {
                    queries[key] = (record.model, ByteBuffer(data: half), record.query ?? "",
                                    ByteBuffer(data: record.queryTerms.map(StoredTerms.data) ?? Data()), at)
                }
                guard let context = contexts[ContextKey(record.user, record.team, record.session)] else {
                    throw GantryError.store("a retrieval context was not stored")
                }
                let shortlist = try record.shortlist.map { shown throws(GantryError) -> (tool: Int64, score: Float) in
                    guard let tool = tools[shown.tool] else { throw .store("retrieval tool \(shown.tool) was not stored") }
                    return (tool, shown.score)
                }
                ids.append(record.id.rawValue)
                ats.append(at)
                contextIDs.append(context)
                queryIDs.append(key)
                shortlists.append(ByteBuffer(data: StoredRetrieval.shortlistData(shortlist)))
                swapped.append(record.swappedRank ?? -1)
            }
            let keys = queries.keys.sorted(), values = keys.map { queries[$0]! }
            try await connection.query("""
                INSERT INTO retrieval_query (id, model, vector, query, terms, last_used)
                    SELECT * FROM unnest(\(keys)::bigint[], \(values.map(\.model))::text[], \(values.map(\.vector))::bytea[],
                                         \(values.map(\.query))::text[], \(values.map(\.terms))::bytea[], \(values.map(\.at))::float8[])
                    ON CONFLICT (id) DO UPDATE SET last_used = greatest(retrieval_query.last_used, excluded.last_used)
                """, logger: logger)
            try await connection.query("""
                INSERT INTO retrieval (id, at, context, query, shortlist, swapped)
                    SELECT id, at, context, query, shortlist, nullif(swapped, -1)
                        FROM unnest(\(ids)::bigint[], \(ats)::float8[], \(contextIDs)::bigint[], \(queryIDs)::bigint[], \(shortlists)::bytea[],
                                    \(swapped)::integer[]) AS added (id, at, context, query, shortlist, swapped)
                    ON CONFLICT (id) DO NOTHING
                """, logger: logger)
        }
        guard !reports.isEmpty else { return [] }
        var contextIDs = [Int64]()
        for report in reports {
            guard let context = contexts[ContextKey(report.user, report.team, report.session)] else {
                throw GantryError.store("a report's context was not stored")
            }
            contextIDs.append(context)
        }
        // Identities are drawn in the order rows are inserted: sorted, they follow the reports.
        let rows = try await connection.query("""
            WITH added AS (
                INSERT INTO retrieval_report (at, retrieval, tool, signal, context)
                    SELECT at, retrieval, tool, signal, context
                    FROM unnest(\(reports.map { $0.at.timeIntervalSince1970 })::float8[], \(reports.map(\.retrieval.rawValue))::bigint[],
                                \(reports.map(\.tool))::text[], \(reports.map(\.signal.rawValue))::text[], \(contextIDs)::bigint[])
                         WITH ORDINALITY AS v (at, retrieval, tool, signal, context, ord)
                    ORDER BY ord
                    RETURNING id)
            SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM added
            """, logger: logger)
        for try await ids in rows.decode([Int64].self) {
            guard ids.count == reports.count else { throw GantryError.store("\(ids.count) of \(reports.count) reports were stored") }
            return ids
        }
        throw GantryError.store("the reports' insertion returned nothing")
    }

    @_spi(StoreImplementation) public func retrievalRecords(_ ids: [RetrievalID]) async throws(GantryError) -> [RetrievalRecord] {
        guard keepsRetrievals, !ids.isEmpty else { return [] }
        let logger = logger
        return try await transaction("read retrievals of", readOnly: true) { connection in
            // Integers only: nothing to quote.
            try await Self.readRecords(connection, where: "r.id = ANY('{\(ids.map { String($0.rawValue) }.joined(separator: ","))}'::bigint[])",
                                       logger: logger)
        }
    }

    @_spi(StoreImplementation) public func retrievalLog() async throws(GantryError) -> (records: [RetrievalRecord], reports: [RetrievalReport]) {
        guard keepsRetrievals else { return ([], []) }
        let logger = logger
        return try await transaction("read the retrievals of", readOnly: true) { connection in
            (try await Self.readRecords(connection, where: "true", logger: logger), try await Self.readReports(connection, logger: logger))
        }
    }

    @_spi(StoreImplementation) public func reportedRetrievals() async throws(GantryError) -> ReportedRetrievals {
        guard keepsRetrievals else { return .none }
        let logger = logger
        return try await transaction("read the reported retrievals of", readOnly: true) { connection in
            let records = try await Self.readRecords(connection, where: "r.id IN (SELECT retrieval FROM retrieval_report)", logger: logger)
            let reports = try await Self.readReports(connection, logger: logger)
            var highest: Int64 = 0, count = 0
            for try await (maximum, total) in try await connection.query("SELECT coalesce(max(id), 0)::bigint, count(*)::bigint FROM retrieval_report",
                                                                         logger: logger).decode((Int64, Int).self) {
                (highest, count) = (maximum, total)
            }
            return ReportedRetrievals(records: records, reports: reports, highestReportID: highest, reportCount: count)
        }
    }

    /// The records `condition` selects (a literal condition on `r`, the `retrieval` row), by id;
    /// rows that do not decode are left out.
    static func readRecords(_ connection: PostgresConnection, where condition: String, logger: Logger) async throws -> [RetrievalRecord] {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT r.id, r.at, r.shortlist, coalesce(r.swapped, -1), c.user_name, c.team, c.session, q.model, q.vector, q.query, q.terms
                FROM retrieval r JOIN retrieval_context c ON c.id = r.context JOIN retrieval_query q ON q.id = r.query
                WHERE \(condition) ORDER BY r.id
            """), logger: logger)
        var decoded = [(id: RetrievalID, at: Double, entries: [(tool: Int64, score: Float)], swapped: Int, user: String, team: String,
                        session: String, model: String, vector: [Float], query: String, terms: Data)]()
        for try await (id, at, shortlist, swapped, user, team, session, model, vector, query, terms) in rows
            .decode((Int64, Double, Data, Int, String, String, String, String, Data, String, Data).self) {
            guard let id = RetrievalID(rawValue: id), let vector = StoredRetrieval.floats(half: vector), !vector.isEmpty,
                  let entries = StoredRetrieval.shortlistEntries(shortlist) else { continue }
            decoded.append((id, at, entries, swapped, user, team, session, model, vector, query, terms))
        }
        // Only the names the records use: reading one record (a report's lookup) reads few.
        var names = [Int64: String]()
        let numbers = Array(Set(decoded.flatMap { $0.entries.map(\.tool) }))
        for try await (id, name) in try await connection.query("SELECT id, name FROM retrieval_tool WHERE id = ANY(\(numbers)::bigint[])",
                                                               logger: logger).decode((Int64, String).self) {
            names[id] = name
        }
        var records = [RetrievalRecord]()
        for row in decoded {
            let shown = row.entries.compactMap { entry in names[entry.tool].map { RetrievalRecord.Shown(tool: $0, score: entry.score) } }
            guard shown.count == row.entries.count else { continue }
            records.append(RetrievalRecord(id: row.id, at: Date(timeIntervalSince1970: row.at), user: row.user.nonEmpty, team: row.team.nonEmpty,
                                           session: row.session.nonEmpty, query: row.query.nonEmpty,
                                           queryTerms: row.terms.isEmpty ? nil : StoredTerms.hashes(row.terms), queryVector: row.vector,
                                           model: row.model, shortlist: shown,
                                           swappedRank: StoredRetrieval.swappedRank(row.swapped, shortlist: shown.count)))
        }
        return records
    }

    static func readReports(_ connection: PostgresConnection, logger: Logger) async throws -> [RetrievalReport] {
        let rows = try await connection.query("""
            SELECT p.id, p.at, p.retrieval, p.tool, p.signal, c.user_name, c.team, c.session
                FROM retrieval_report p JOIN retrieval_context c ON c.id = p.context ORDER BY p.id
            """, logger: logger)
        var reports = [RetrievalReport]()
        for try await (id, at, retrieval, tool, signal, user, team, session) in rows
            .decode((Int64, Double, Int64, String, String, String, String, String).self) {
            guard let retrieval = RetrievalID(rawValue: retrieval), let signal = RetrievalReport.Signal(rawValue: signal) else { continue }
            reports.append(RetrievalReport(id: id, at: Date(timeIntervalSince1970: at), retrieval: retrieval, tool: tool, signal: signal,
                                           user: user.nonEmpty, team: team.nonEmpty, session: session.nonEmpty))
        }
        return reports
    }

    @_spi(StoreImplementation) public func deleteRetrievals(before date: Date) async throws(GantryError) -> Int {
        guard keepsRetrievals, !isReadOnly else { return 0 }
        let logger = logger, cutoff = date.timeIntervalSince1970
        return try await transaction("delete retrievals from") { connection in
            var removed = 0
            for table in ["retrieval", "retrieval_report"] {
                for try await count in try await connection.query(PostgresQuery(unsafeSQL: """
                    WITH gone AS (DELETE FROM \(table) WHERE at < \(cutoff) RETURNING 1) SELECT count(*)::bigint FROM gone
                    """), logger: logger).decode(Int.self) {
                    removed += count
                }
            }
            try await connection.query("DELETE FROM retrieval_query WHERE last_used < \(cutoff)", logger: logger)
            try await connection.query("DELETE FROM retrieval_context WHERE last_used < \(cutoff)", logger: logger)
            return removed
        }
    }

    @_spi(StoreImplementation) public func deleteRetrievals(of user: String) async throws(GantryError) -> Int {
        guard keepsRetrievals else { return 0 }
        let logger = logger
        return try await transaction("delete a user's retrievals from") { connection in
            try await PostgresSchema.lockDeletions(connection, logger: logger)
            var removed = 0, lowestReport: Int64?
            for try await count in try await connection.query("""
                WITH contexts AS (SELECT id FROM retrieval_context WHERE user_name = \(user)),
                records AS (DELETE FROM retrieval WHERE context IN (SELECT id FROM contexts) RETURNING query),
                reports AS (DELETE FROM retrieval_report WHERE context IN (SELECT id FROM contexts)
                                OR retrieval IN (SELECT id FROM retrieval WHERE context IN (SELECT id FROM contexts)) RETURNING id),
                queries AS (DELETE FROM retrieval_query q WHERE q.id IN (SELECT query FROM records)
                                AND NOT EXISTS (SELECT 1 FROM retrieval r WHERE r.query = q.id AND r.context NOT IN (SELECT id FROM contexts)))
                SELECT ((SELECT count(*) FROM records) + (SELECT count(*) FROM reports))::bigint, (SELECT min(id) FROM reports)
                """, logger: logger).decode((Int, Int64?).self) {
                (removed, lowestReport) = count
            }
            // Adapter versions that learned from one of the user's reports are withdrawn with them.
            if let lowestReport {
                var withdrawn = false
                for var adapter in try await Self.adapterRecords(connection, "WHERE file IS NOT NULL FOR UPDATE", logger: logger) {
                    adapter.withdraw(forgettingReportsFrom: lowestReport)
                    guard adapter.file == nil, let version = adapter.version else { continue }
                    try await connection.query("UPDATE adapter_version SET file = NULL WHERE version = \(version)", logger: logger)
                    withdrawn = true
                }
                if withdrawn { try await PostgresSchema.logChanges(connection, kind: "adapter", names: [nil], logger: logger) }
            }
            try await connection.query("DELETE FROM retrieval_context WHERE user_name = \(user)", logger: logger)
            // Counted as a deletion, so that every process following the store drops the records
            // it holds in memory, the user's among them.
            if removed > 0 { try await PostgresSchema.countDeletions(connection, 1, logger: logger) }
            return removed
        }
    }

    /// A context's key: absent names as ''.
    struct ContextKey: Hashable {
        var user: String, team: String, session: String

        init(user: String, team: String, session: String) {
            (self.user, self.team, self.session) = (user, team, session)
        }

        init(_ user: String?, _ team: String?, _ session: String?) {
            self.init(user: user ?? "", team: team ?? "", session: session ?? "")
        }
    }
}

private extension String {
    /// nil for '' (how the retrieval tables keep an absent name or text).
    var nonEmpty: String? { isEmpty ? nil : self }
}

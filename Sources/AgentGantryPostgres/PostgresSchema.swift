import Foundation
import Logging
import PostgresNIO
@_spi(StoreImplementation) import AgentGantry

/// The tables of a `PostgresStore`, created on first open, and the writes every transaction
/// that changes them shares (the change log, the deletion count, the wake-up notification).
///
/// - `gantry_meta (key, value)`: `schema_version`; the counters `event_seq` (the last event id
///   handed out), `change_seq` (the last change number) and `deleted_events`. A writing
///   transaction updates the counter it draws from, which locks its row until commit: so ids
///   and change numbers are in commit order, and no reader skips one that commits late.
/// - `tool`, `event`, `adapter_version`, `quarantine`: as the SQLite store's tables, in
///   snake_case (`user_name` for the event's user).
/// - `change (seq, kind, name)`: a tool (by name) or the adapter versions changed.
/// - `event_import`, `event_import_range`: imports in bounded transactions, so that the rows of
///   one that failed or whose process died are found and removed.
/// - `write_receipt (key, result, at)`: the result of each write that must not run twice
///   (appends, deletions, adapter versions), so that a call that lost its connection learns,
///   when it tries again, whether its first attempt committed. Kept `receiptsKept`.
enum PostgresSchema {
    /// The schema version this code writes; a database with a higher one is refused.
    static let version: Int64 = 1
    /// The channel every write notifies, as SQL: one per schema (stores in other schemas of the
    /// database do not wake this one's followers), within PostgreSQL's 63 bytes of a name.
    static let channel = """
        (CASE WHEN octet_length(current_schema()) <= 48 THEN 'agent_gantry.' || current_schema()
              ELSE 'agent_gantry.' || md5(current_schema()) END)
        """
    /// How long write receipts are kept, in seconds: far longer than any call waits.
    static let receiptsKept: Double = 3_600

    static let tables = """
        CREATE TABLE IF NOT EXISTS gantry_meta (key text PRIMARY KEY, value bigint NOT NULL);
        INSERT INTO gantry_meta (key, value) VALUES ('schema_version', 1), ('event_seq', 0), ('change_seq', 0), ('deleted_events', 0)
            ON CONFLICT (key) DO NOTHING;
        CREATE TABLE IF NOT EXISTS tool (
            name text PRIMARY KEY,
            row_id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
            definition text NOT NULL,
            fingerprint text NOT NULL,
            model text NOT NULL,
            vector bytea NOT NULL,
            updated_at double precision NOT NULL);
        CREATE TABLE IF NOT EXISTS event (
            id bigint PRIMARY KEY,
            kind text NOT NULL CHECK (kind IN ('feedback', 'execution')),
            at double precision NOT NULL,
            user_name text, team text, session text,
            query text, query_vector bytea,
            tool text, correct_tool text, feedback_type text,
            outcome text, latency_ms double precision, intent text, model text, query_terms bytea);
        CREATE INDEX IF NOT EXISTS event_user ON event (user_name);
        CREATE INDEX IF NOT EXISTS event_at ON event (at);
        CREATE INDEX IF NOT EXISTS event_feedback ON event (id) WHERE kind = 'feedback';
        CREATE TABLE IF NOT EXISTS adapter_version (
            version bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            format integer NOT NULL,
            file bytea,
            trained_at double precision NOT NULL,
            highest_event_id bigint NOT NULL,
            trained_events integer NOT NULL,
            forgotten_since bigint[] NOT NULL,
            report text NOT NULL);
        CREATE TABLE IF NOT EXISTS change (seq bigint PRIMARY KEY, kind text NOT NULL CHECK (kind IN ('tool', 'adapter')), name text);
        CREATE TABLE IF NOT EXISTS quarantine (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            source text NOT NULL, key text NOT NULL, reason text NOT NULL, content text NOT NULL, at double precision NOT NULL);
        CREATE TABLE IF NOT EXISTS event_import (
            id uuid PRIMARY KEY, started_at double precision NOT NULL, events integer NOT NULL, finished_at double precision);
        CREATE TABLE IF NOT EXISTS event_import_range (
            import_id uuid NOT NULL, first_event bigint NOT NULL, last_event bigint NOT NULL);
        CREATE INDEX IF NOT EXISTS event_import_range_by_import ON event_import_range (import_id);
        CREATE TABLE IF NOT EXISTS write_receipt (key uuid PRIMARY KEY, result bigint NOT NULL, at double precision NOT NULL);
        CREATE INDEX IF NOT EXISTS write_receipt_at ON write_receipt (at);
        """ + "\n" + retrievalTables

    /// The tables of retrieval records and reports (`PostgresStore+Retrievals`), created with a
    /// new store and added by `expandRetrievals` to one created before them (the builds before
    /// ignore them). Absent user, team, session, query text and terms are stored as '' (names
    /// and queries are never empty), so that a context is one row whatever its nulls.
    static let retrievalTables = """
        CREATE SEQUENCE IF NOT EXISTS retrieval_block_seq MAXVALUE 1073741823 NO CYCLE;
        CREATE TABLE IF NOT EXISTS retrieval_query (
            id bigint PRIMARY KEY, model text NOT NULL, vector bytea NOT NULL, query text NOT NULL, terms bytea NOT NULL,
            last_used double precision NOT NULL);
        CREATE INDEX IF NOT EXISTS retrieval_query_last_used ON retrieval_query (last_used);
        CREATE TABLE IF NOT EXISTS retrieval_context (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            user_name text NOT NULL, team text NOT NULL, session text NOT NULL, last_used double precision NOT NULL,
            UNIQUE (user_name, team, session));
        CREATE INDEX IF NOT EXISTS retrieval_context_last_used ON retrieval_context (last_used);
        CREATE TABLE IF NOT EXISTS retrieval_tool (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS retrieval (
            id bigint PRIMARY KEY, at double precision NOT NULL, context bigint NOT NULL, query bigint NOT NULL, shortlist bytea NOT NULL,
            swapped integer);
        ALTER TABLE retrieval ADD COLUMN IF NOT EXISTS swapped integer;
        CREATE INDEX IF NOT EXISTS retrieval_at ON retrieval (at);
        CREATE TABLE IF NOT EXISTS retrieval_report (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at double precision NOT NULL, retrieval bigint NOT NULL,
            tool text NOT NULL, signal text NOT NULL, context bigint NOT NULL);
        CREATE INDEX IF NOT EXISTS retrieval_report_at ON retrieval_report (at);
        CREATE TABLE IF NOT EXISTS event_retrieval (
            event bigint PRIMARY KEY REFERENCES event (id) ON DELETE CASCADE, retrieval bigint NOT NULL)
        """

    /// Creates the tables the database lacks (one transaction, under a lock, so that processes
    /// opening a new database at once do not race) — and `schema` first, when given and missing
    /// (the first schema of the URL's `search_path`) — or, unless `create`, refuses a database
    /// without them; refuses a newer schema, prunes the change log when it has grown 10% past
    /// `StoreChanges.changesKept`, and returns the store's notification channel, whether
    /// `event` has the column `query_terms` (`expand`) and whether the store has the retrieval
    /// tables (`expandRetrievals`).
    static func prepare(_ connection: PostgresConnection, schema: String?, create: Bool, location: String,
                        logger: Logger) async throws -> (channel: String, queryTerms: Bool, retrievals: Bool) {
        let found = try await schemaVersion(connection, logger: logger)
        if found == nil, !create {
            throw GantryError.store("\(location) holds no AgentGantry store" + (schema.map { " in the schema \($0)" } ?? "")
                                    + ": check the URL (its database and search_path), or create the store first")
        }
        if found == nil {
            try await connection.query("BEGIN", logger: logger)
            do {
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext('agent_gantry.schema'))", logger: logger)
                if let schema {
                    let quoted = "\"" + schema.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                    try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(quoted)"), logger: logger)
                }
                for statement in tables.components(separatedBy: ";\n") where !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        } else if let found, found > version {
            throw GantryError.store("\(location) has schema version \(found); this AgentGantry reads schema versions up to \(version): "
                                    + "open it with the newer AgentGantry that wrote it")
        }
        // Also after creating: an earlier build may have created the tables first.
        let queryTerms = try await expand(connection, location: location, logger: logger)
        let retrievals = try await expandRetrievals(connection, location: location, logger: logger)
        let span = try await connection.query("SELECT coalesce(max(seq) - min(seq) + 1, 0) FROM change", logger: logger)
        for try await count in span.decode(Int64.self) where count > StoreChanges.changesKept + StoreChanges.changesKept / 10 {
            _ = try? await connection.query("DELETE FROM change WHERE seq <= (SELECT max(seq) FROM change) - \(StoreChanges.changesKept)", logger: logger)
        }
        _ = try? await pruneReceipts(connection, logger: logger)  // not on a standby
        for try await name in try await connection.query(PostgresQuery(unsafeSQL: "SELECT \(channel)"), logger: logger).decode(String.self) {
            return (name, queryTerms, retrievals)
        }
        throw GantryError.store("\(location): the connection has no current schema (check the search_path of the URL's options)")
    }

    /// Adds what this version stores beside the tables of version 1 to a store created before it
    /// — `event.query_terms` (`FeedbackEvent.queryTerms`): a nullable column, which the versions
    /// before ignore, so that a fleet upgrades one process at a time — and returns whether the
    /// column is there. A connection that may not add it (a standby, a role that does not own
    /// `event`), or that waits more than 2 s for the table's lock (a long transaction on `event`),
    /// opens the store without it: feedback is then stored without its word hashes, and a warning
    /// says how to add the column. Other errors are thrown.
    static func expand(_ connection: PostgresConnection, location: String, logger: Logger) async throws -> Bool {
        func present() async throws -> Bool {
            let rows = try await connection.query("""
                SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('event') AND attname = 'query_terms' AND NOT attisdropped)
                """, logger: logger)
            for try await present in rows.decode(Bool.self) { return present }
            return false
        }
        guard try await !present() else { return true }
        do {
            try await connection.query("BEGIN", logger: logger)
            try await connection.query("SET LOCAL lock_timeout = '2s'", logger: logger)
            try await connection.query("ALTER TABLE event ADD COLUMN IF NOT EXISTS query_terms bytea", logger: logger)
            try await connection.query("COMMIT", logger: logger)
            return true
        } catch let error as PSQLError where ["25006", "42501", "55P03"].contains(error.serverInfo?[.sqlState] ?? "") {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            logger.warning("""
                \(location) has no column event.query_terms and this connection cannot add it (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?")): \
                feedback kept without its text is stored without its word hashes; run ALTER TABLE event ADD COLUMN query_terms bytea \
                on the primary as the table's owner, or open the store once with such a role
                """)
            return false
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Adds the retrieval tables (`retrievalTables`) to a store created before them, or their
    /// newer columns to one created before those, and returns whether the store has them all. A connection that may not create them (a standby, a role
    /// without the privilege) opens the store without them: retrievals are then not recorded and
    /// reports naming them are refused, and a warning says how to add them. Other errors are thrown.
    static func expandRetrievals(_ connection: PostgresConnection, location: String, logger: Logger) async throws -> Bool {
        // The newest addition present (`event_retrieval`: `ExecutionEvent.retrieval`, deleted
        // with its event whichever version deletes it) means every one is.
        let rows = try await connection.query("SELECT to_regclass('event_retrieval') IS NOT NULL", logger: logger)
        for try await present in rows.decode(Bool.self) where present { return true }
        do {
            try await connection.query("BEGIN", logger: logger)
            try await connection.query("SET LOCAL lock_timeout = '2s'", logger: logger)
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('agent_gantry.schema'))", logger: logger)
            for statement in retrievalTables.components(separatedBy: ";\n") {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
            return true
        } catch let error as PSQLError where ["25006", "42501", "55P03"].contains(error.serverInfo?[.sqlState] ?? "") {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            logger.warning("""
                \(location) has no retrieval tables and this connection cannot create them (SQLSTATE \(error.serverInfo?[.sqlState] ?? "?")): \
                retrievals are not recorded; open the store once with a role that may create tables in its schema
                """)
            return false
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// The stored schema version, or nil in a database without the store's tables.
    static func schemaVersion(_ connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        let exists = try await connection.query("SELECT to_regclass('gantry_meta') IS NOT NULL", logger: logger)
        for try await present in exists.decode(Bool.self) where !present { return nil }
        for try await value in try await connection.query("SELECT value FROM gantry_meta WHERE key = 'schema_version'", logger: logger)
            .decode(Int64.self) {
            return value
        }
        return nil
    }

    /// Why this connection cannot write the store (a standby, or missing privileges), or nil.
    static func readOnlyReason(_ connection: PostgresConnection, logger: Logger) async throws -> String? {
        let rows = try await connection.query("""
            SELECT pg_is_in_recovery(), current_user,
                   has_table_privilege('event', 'INSERT, DELETE') AND has_table_privilege('tool', 'INSERT, UPDATE, DELETE')
                   AND has_table_privilege('gantry_meta', 'UPDATE') AND has_table_privilege('adapter_version', 'INSERT, UPDATE, DELETE')
            """, logger: logger)
        for try await (standby, role, writes) in rows.decode((Bool, String, Bool).self) {
            if standby { return "the server is a standby (a read replica)" }
            if !writes { return "the role \(role) may not write the store's tables (see the README for the privileges it needs)" }
        }
        return nil
    }

    /// Logs that `names` changed (tools by name; nil for the adapter versions), drawing change
    /// numbers from `change_seq`, and notifies the followers; in the caller's transaction.
    static func logChanges(_ connection: PostgresConnection, kind: String, names: [String?], logger: Logger) async throws {
        let count = Int64(names.count)
        var last: Int64 = 0
        for try await value in try await connection.query(
            "UPDATE gantry_meta SET value = value + \(count) WHERE key = 'change_seq' RETURNING value", logger: logger).decode(Int64.self) {
            last = value
        }
        let seqs = Array((last - count + 1)...last)
        let present = names.compactMap { $0 }
        if present.count == names.count {
            try await connection.query("""
                INSERT INTO change (seq, kind, name) SELECT s, \(kind), n FROM unnest(\(seqs)::bigint[], \(present)::text[]) AS u (s, n)
                """, logger: logger)
        } else {
            try await connection.query("INSERT INTO change (seq, kind) SELECT unnest(\(seqs)), \(kind)", logger: logger)
        }
        try await notify(connection, logger: logger)
    }

    /// Locks the deletion counter (taken first by every transaction that deletes events, and by
    /// `saveAdapter`, so that an adapter is never stored past a deletion it did not see).
    static func lockDeletions(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT value FROM gantry_meta WHERE key = 'deleted_events' FOR UPDATE", logger: logger)
    }

    /// Adds `count` to the deletion counter and notifies the followers (they replay the log).
    static func countDeletions(_ connection: PostgresConnection, _ count: Int, logger: Logger) async throws {
        try await connection.query("UPDATE gantry_meta SET value = value + \(count) WHERE key = 'deleted_events'", logger: logger)
        try await notify(connection, logger: logger)
    }

    /// The result stored under `key` by a write that committed, or nil.
    static func receipt(_ key: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        for try await result in try await connection.query("SELECT result FROM write_receipt WHERE key = \(key)", logger: logger)
            .decode(Int64.self) {
            return result
        }
        return nil
    }

    /// Deletes the receipts older than `receiptsKept`.
    static func pruneReceipts(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM write_receipt WHERE at < extract(epoch FROM now()) - \(receiptsKept)", logger: logger)
    }

    /// Wakes every process following the store once the transaction commits.
    static func notify(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: "SELECT pg_notify(\(channel), '')"), logger: logger)
    }
}

import Foundation
import GRDB

/// Durable state of an `AgentGantry`: tools with their embeddings, the event log (feedback and
/// executions), circuit-breaker states and the current adapter. SQLite through GRDB, WAL mode,
/// a versioned schema applied by migrations; every write is one transaction.
public final class GantryStore: Sendable {
    let database: DatabaseQueue
    public let path: String?

    /// Opens (creating if needed) the store at `path`, or an in-memory one when nil.
    public init(path: String?) throws(GantryError) {
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            if let path {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
                database = try DatabaseQueue(path: path, configuration: configuration)
                try database.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") }
            } else {
                database = try DatabaseQueue(configuration: configuration)
            }
            self.path = path
            if path != nil {
                // SQLite has no checksums; quick_check finds a damaged file's broken pages and
                // indexes before anything is read from it (55 ms for a 62 MB store, page cache warm).
                let problems = try database.read { try String.fetchAll($0, sql: "PRAGMA quick_check") }
                guard problems == ["ok"] else {
                    throw GantryError.store("\(path!) is damaged (\(problems.prefix(3).joined(separator: "; "))); restore a backup, or "
                                            + "open a new store and importEvents() an export of this one")
                }
            }
            try Self.migrator.migrate(database)
        } catch let error as GantryError {
            throw error
        } catch {
            throw .store("cannot open \(path ?? "the in-memory store"): \(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE tool (
                    name TEXT PRIMARY KEY NOT NULL,
                    definition TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    model TEXT NOT NULL,
                    vector BLOB NOT NULL,
                    updatedAt REAL NOT NULL);
                CREATE TABLE event (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL CHECK (kind IN ('feedback', 'execution')),
                    at REAL NOT NULL,
                    user TEXT, team TEXT, session TEXT,
                    query TEXT, queryVector BLOB,
                    tool TEXT, correctTool TEXT, feedbackType TEXT,
                    outcome TEXT, latencyMs REAL);
                CREATE INDEX eventUser ON event(user);
                CREATE INDEX eventAt ON event(at);
                CREATE TABLE breaker (
                    tool TEXT PRIMARY KEY NOT NULL,
                    state TEXT NOT NULL,
                    consecutiveFailures INTEGER NOT NULL,
                    openedAt REAL,
                    probesInFlight INTEGER NOT NULL,
                    halfOpenSuccesses INTEGER NOT NULL);
                CREATE TABLE adapter (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    file BLOB NOT NULL,
                    trainedAt REAL NOT NULL,
                    report TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("v2: intent of executions") { db in
            try db.execute(sql: "ALTER TABLE event ADD COLUMN intent TEXT")
        }
        return migrator
    }

    func write<T>(_ body: @escaping @Sendable (Database) throws -> T) throws(GantryError) -> T {
        do { return try database.write(body) } catch { throw .store("\(error)") }
    }

    private func read<T>(_ body: @escaping @Sendable (Database) throws -> T) throws(GantryError) -> T {
        do { return try database.read(body) } catch { throw .store("\(error)") }
    }

    // MARK: tools

    struct StoredTool: Sendable {
        var tool: Tool
        var fingerprint: String
        var model: String
        var vector: [Float]
    }

    /// Inserts or replaces tools with their vectors, all in one transaction.
    func saveTools(_ tools: [(tool: Tool, vector: [Float])], model: String) throws(GantryError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let rows = tools.map { entry in
            (entry.tool.name, String(decoding: (try? encoder.encode(entry.tool)) ?? Data(), as: UTF8.self), entry.tool.fingerprint,
             Self.blob(entry.vector))
        }
        let now = Date().timeIntervalSince1970
        try write { db in
            for (name, definition, fingerprint, vector) in rows {
                try db.execute(sql: """
                    INSERT INTO tool (name, definition, fingerprint, model, vector, updatedAt) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET definition = excluded.definition, fingerprint = excluded.fingerprint,
                        model = excluded.model, vector = excluded.vector, updatedAt = excluded.updatedAt
                    """, arguments: [name, definition, fingerprint, model, vector, now])
            }
        }
    }

    func removeTool(_ name: String) throws(GantryError) {
        try write { db in
            try db.execute(sql: "DELETE FROM tool WHERE name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM breaker WHERE tool = ?", arguments: [name])
        }
    }

    func tools() throws(GantryError) -> [StoredTool] {
        let rows = try read { db in try Row.fetchAll(db, sql: "SELECT name, definition, fingerprint, model, vector FROM tool ORDER BY name") }
        var result = [StoredTool]()
        for row in rows {
            let name: String = try storeRead { try row.required("name") }
            let definition: String = try storeRead { try row.required("definition") }
            guard let tool = try? JSONDecoder().decode(Tool.self, from: Data(definition.utf8)) else {
                throw .store("the stored definition of tool \(name) is damaged")
            }
            let stored = try storeRead {
                StoredTool(tool: tool, fingerprint: try row.required("fingerprint"), model: try row.required("model"),
                           vector: Self.floats(try row.required("vector")))
            }
            guard !stored.vector.isEmpty, stored.vector.allSatisfy(\.isFinite) else { throw .store("the stored vector of tool \(name) is damaged") }
            result.append(stored)
        }
        return result
    }

    // MARK: events

    /// Appends a feedback event; returns its id once it is durable.
    func appendFeedback(_ e: FeedbackEvent) throws(GantryError) -> Int64 {
        try write { db in
            try db.execute(sql: """
                INSERT INTO event (kind, at, user, team, session, query, queryVector, tool, correctTool, feedbackType)
                VALUES ('feedback', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [e.at.timeIntervalSince1970, e.user, e.team, e.session, e.query, Self.blob(e.queryVector),
                                 e.selectedTool, e.correctTool, e.type.rawValue])
            return db.lastInsertedRowID
        }
    }

    func appendExecution(_ e: ExecutionEvent) throws(GantryError) -> Int64 {
        try write { db in
            try db.execute(sql: """
                INSERT INTO event (kind, at, user, team, session, tool, outcome, latencyMs, intent) VALUES ('execution', ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [e.at.timeIntervalSince1970, e.user, e.team, e.session, e.tool, e.outcome.rawValue, e.latencyMilliseconds, e.intent])
            return db.lastInsertedRowID
        }
    }

    func feedbackEvents() throws(GantryError) -> [FeedbackEvent] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM event WHERE kind = 'feedback' ORDER BY id").map { row in
                let vector = Self.floats(try row.required("queryVector"))
                guard vector.allSatisfy(\.isFinite) else { throw DamagedRow(column: "queryVector") }
                return FeedbackEvent(id: try row.required("id"), at: Date(timeIntervalSince1970: try row.required("at")),
                                     user: try row.optional("user"), team: try row.optional("team"), session: try row.optional("session"),
                                     query: try row.optional("query"), queryVector: vector, selectedTool: try row.optional("tool"),
                                     correctTool: try row.required("correctTool"),
                                     type: FeedbackType(rawValue: try row.required("feedbackType")) ?? .toolSelectionError)
            }
        }
    }

    func executionEvents() throws(GantryError) -> [ExecutionEvent] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM event WHERE kind = 'execution' ORDER BY id").map { row in
                ExecutionEvent(id: try row.required("id"), at: Date(timeIntervalSince1970: try row.required("at")), user: try row.optional("user"),
                               team: try row.optional("team"), session: try row.optional("session"), tool: try row.required("tool"),
                               outcome: ExecutionOutcome(rawValue: try row.required("outcome")) ?? .failure,
                               latencyMilliseconds: try row.optional("latencyMs"), intent: try row.optional("intent"))
            }
        }
    }

    /// Deletes every event of `user`; returns how many.
    func deleteEvents(of user: String) throws(GantryError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM event WHERE user = ?", arguments: [user])
            return db.changesCount
        }
    }

    /// Deletes events older than `date`; returns how many.
    func deleteEvents(before date: Date) throws(GantryError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM event WHERE at < ?", arguments: [date.timeIntervalSince1970])
            return db.changesCount
        }
    }

    // MARK: breakers and adapter

    func saveBreaker(_ tool: String, _ b: CircuitBreaker) throws(GantryError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO breaker (tool, state, consecutiveFailures, openedAt, probesInFlight, halfOpenSuccesses) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(tool) DO UPDATE SET state = excluded.state, consecutiveFailures = excluded.consecutiveFailures,
                    openedAt = excluded.openedAt, probesInFlight = excluded.probesInFlight, halfOpenSuccesses = excluded.halfOpenSuccesses
                """, arguments: [tool, b.state.rawValue, b.consecutiveFailures, b.openedAt?.timeIntervalSince1970, b.probesInFlight, b.halfOpenSuccesses])
        }
    }

    func breakers() throws(GantryError) -> [String: CircuitBreaker] {
        try read { db in
            var result = [String: CircuitBreaker]()
            for row in try Row.fetchAll(db, sql: "SELECT * FROM breaker") {
                var b = CircuitBreaker()
                b.state = CircuitBreaker.State(rawValue: try row.required("state")) ?? .closed
                b.consecutiveFailures = try row.required("consecutiveFailures")
                b.openedAt = (try row.optional("openedAt") as Double?).map(Date.init(timeIntervalSince1970:))
                b.probesInFlight = try row.required("probesInFlight")
                b.halfOpenSuccesses = try row.required("halfOpenSuccesses")
                result[try row.required("tool")] = b
            }
            return result
        }
    }

    func saveAdapter(_ bytes: [UInt8], report: String) throws(GantryError) {
        try write { db in
            try db.execute(sql: """
                INSERT INTO adapter (id, file, trainedAt, report) VALUES (1, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET file = excluded.file, trainedAt = excluded.trainedAt, report = excluded.report
                """, arguments: [Data(bytes), Date().timeIntervalSince1970, report])
        }
    }

    func adapterBytes() throws(GantryError) -> [UInt8]? {
        try read { db in (try Data.fetchOne(db, sql: "SELECT file FROM adapter WHERE id = 1")).map { [UInt8]($0) } }
    }

    // MARK: encoding

    static func blob(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    static func floats(_ data: Data?) -> [Float] {
        guard let data else { return [] }
        var values = [Float](repeating: 0, count: data.count / 4)
        _ = values.withUnsafeMutableBytes { data.copyBytes(to: $0) }  // SQLite's buffer need not be aligned
        return values
    }
}

// MARK: export and import

extension GantryStore {
    /// The event log as JSON lines, oldest first (feedback and executions).
    func exportEvents() throws(GantryError) -> String {
        try EventLog.encode(feedback: feedbackEvents(), executions: executionEvents())
    }

    /// Appends the events of JSON lines (as `exportEvents` writes them), all or nothing: every
    /// line is validated by `EventLog.decode` before one transaction writes them.
    func importEvents(_ text: String, dimension: Int, knownTools: Set<String>) throws(GantryError) -> Int {
        let (feedback, executions) = try EventLog.decode(text, dimension: dimension, knownTools: knownTools)
        try write { db in
            for e in feedback {
                try db.execute(sql: """
                    INSERT INTO event (kind, at, user, team, session, query, queryVector, tool, correctTool, feedbackType)
                    VALUES ('feedback', ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [e.at.timeIntervalSince1970, e.user, e.team, e.session, e.query, Self.blob(e.queryVector),
                                     e.selectedTool, e.correctTool, e.type.rawValue])
            }
            for e in executions {
                try db.execute(sql: """
                    INSERT INTO event (kind, at, user, team, session, tool, outcome, latencyMs, intent) VALUES ('execution', ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [e.at.timeIntervalSince1970, e.user, e.team, e.session, e.tool, e.outcome.rawValue, e.latencyMilliseconds, e.intent])
            }
        }
        return feedback.count + executions.count
    }
}

/// A stored row that does not hold what the schema promises (a damaged file).
struct DamagedRow: Error, CustomStringConvertible {
    var column: String
    var description: String { "a stored row's column \(column) is missing or holds a value of another type; the store is damaged" }
}

/// Runs `body`, turning `DamagedRow` into `GantryError.store`.
func storeRead<T>(_ body: () throws -> T) throws(GantryError) -> T {
    do { return try body() } catch { throw .store("\(error)") }
}

extension Row {
    /// The value of `column`; throws `DamagedRow` when it is missing, NULL or of another type
    /// (GRDB's plain subscript traps on those, which a damaged file must not do).
    func required<T: DatabaseValueConvertible>(_ column: String) throws -> T {
        guard let value: T = try optional(column) else { throw DamagedRow(column: column) }
        return value
    }

    /// The value of `column`, nil for NULL; throws `DamagedRow` when it is missing or of another type.
    func optional<T: DatabaseValueConvertible>(_ column: String) throws -> T? {
        guard hasColumn(column) else { throw DamagedRow(column: column) }
        let value: DatabaseValue = self[column]
        if value.isNull { return nil }
        guard let converted = T.fromDatabaseValue(value) else { throw DamagedRow(column: column) }
        return converted
    }
}

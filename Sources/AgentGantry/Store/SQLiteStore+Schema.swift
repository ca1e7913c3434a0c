import Foundation
import GRDB

extension SQLiteStore {
    /// The schema, as migrations applied in order when a store opens.
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
        migrator.registerMigration("v3: quarantine, model of query vectors, adapter versions") { db in
            try db.execute(sql: """
                CREATE TABLE quarantine (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    source TEXT NOT NULL,
                    key TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    content TEXT NOT NULL,
                    at REAL NOT NULL);
                ALTER TABLE event ADD COLUMN model TEXT;
                CREATE TABLE adapterVersion (
                    version INTEGER PRIMARY KEY AUTOINCREMENT,
                    format INTEGER NOT NULL,
                    file BLOB,
                    trainedAt REAL NOT NULL,
                    highestEventID INTEGER NOT NULL,
                    trainedEvents INTEGER NOT NULL,
                    forgottenSince TEXT NOT NULL,
                    report TEXT NOT NULL);
                """)
            // Feedback stored before events named their model was embedded by the model that
            // embedded the tools (a store held one model's vectors at a time).
            let models = try String.fetchAll(db, sql: "SELECT DISTINCT model FROM tool")
            if models.count == 1 {
                try db.execute(sql: "UPDATE event SET model = ? WHERE kind = 'feedback'", arguments: [models[0]])
            }
            // The adapter in use becomes version 1; it may have seen every event stored so far.
            try db.execute(sql: """
                INSERT INTO adapterVersion (format, file, trainedAt, highestEventID, trainedEvents, forgottenSince, report)
                    SELECT \(AdapterRecord.currentFormat), file, trainedAt, (SELECT IFNULL(MAX(id), 0) FROM event),
                           (SELECT COUNT(*) FROM event WHERE kind = 'feedback'), '[]', report FROM adapter;
                DROP TABLE adapter;
                """)
        }
        migrator.registerMigration("v4: NFC names") { db in
            try normalizeNames(db)
        }
        return migrator
    }

    /// Migration v4: every name the store keys or compares by its bytes, in Unicode NFC as the
    /// facade now takes them (stores written before kept names as given, so a tool registered as
    /// `café` precomposed could not be removed as `café` decomposed).
    /// - Tools (the `name` column and the name, namespace and tags of `definition`): of rows whose
    ///   names are one in NFC the newest (`updatedAt`, then the later row) is kept and the others
    ///   quarantined. A kept tool that fails today's `Tool.validate()` (older versions counted
    ///   characters, not bytes, and took blank examples) is quarantined too: it could not be
    ///   embedded again, and an oversized name could not be named to `remove`.
    /// - Breakers: none to normalise; expand step 1, which follows, drops the stored rows
    ///   (breakers are folded from the event log).
    /// - Events: user, team, session, tool, correct tool and intent.
    static func normalizeNames(_ db: Database) throws {
        // A value that is not text is returned as it is, for the checks at open to quarantine.
        let nfc = DatabaseFunction("gantryNFC", argumentCount: 1, pure: true) { values -> (any DatabaseValueConvertible)? in
            String.fromDatabaseValue(values[0])?.nfc ?? values[0]
        }
        db.add(function: nfc)
        defer { db.remove(function: nfc) }

        // Values read as optional text: a name or definition that is not valid UTF-8 (a damaged
        // file) is left for the checks at open to quarantine, not a trap here.
        func text(_ row: Row, _ column: String) -> String? { String.fromDatabaseValue(row[column] as DatabaseValue) }
        let tools = try Row.fetchAll(db, sql: "SELECT name, definition, updatedAt, rowid FROM tool ORDER BY updatedAt DESC, rowid DESC")
        var spellings = [String: [Row]]()  // keyed by the NFC name, newest first
        for row in tools { if let name = text(row, "name") { spellings[name.nfc, default: []].append(row) } }
        for (name, rows) in spellings.sorted(by: { $0.key < $1.key }) {
            for older in rows.dropFirst() {
                try QuarantineRecord.move(db, table: "tool", rowid: older["rowid"], key: text(older, "name") ?? name,
                                          reason: "a second spelling of tool \"\(name)\" (the same name in Unicode NFC); the newer definition was kept")
            }
            guard let stored = text(rows[0], "name") else { continue }
            guard let definition = text(rows[0], "definition"),
                  let tool = Tool(definition: definition) else {
                // A damaged definition stays for the damage checks to report; only its key changes.
                try db.execute(sql: "UPDATE tool SET name = ? WHERE name = ?", arguments: [name, stored])
                continue
            }
            do {
                let normalized = try tool.normalized()
                try db.execute(sql: "UPDATE tool SET name = ?, definition = ?, fingerprint = ? WHERE name = ?",
                               arguments: [name, StoredTool.definition(of: normalized), normalized.fingerprint, stored])
            } catch {
                try QuarantineRecord.move(db, table: "tool", rowid: rows[0]["rowid"], key: stored,
                                          reason: "\(error) (stored by a version with looser limits)")
            }
        }

        let columns = ["user", "team", "session", "tool", "correctTool", "intent"]
        try db.execute(sql: "UPDATE event SET " + columns.map { "\($0) = gantryNFC(\($0))" }.joined(separator: ", ")
                       + " WHERE " + columns.map { "\($0) IS NOT gantryNFC(\($0))" }.joined(separator: " OR "))
    }

    /// The schema version this code writes: the number of migrations, kept in SQLite's
    /// `user_version` so that an older AgentGantry can tell a newer store from a damaged one.
    static let schemaVersion = 4

    /// Throws unless this code knows the store's schema: a store marked by a newer AgentGantry
    /// (a higher `user_version`, or a migration this code does not have) is refused, naming both
    /// versions, before anything reads or writes it.
    static func checkSchemaVersion(_ db: Database) throws {
        let found = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        let unknown = try migrator.hasBeenSuperseded(db)
        guard found <= schemaVersion, !unknown else {
            throw GantryError.store("the store has schema version \(found)\(unknown ? " with migrations this version does not know" : ""); "
                                    + "this AgentGantry reads schema versions up to \(schemaVersion): open it with the newer AgentGantry that wrote it")
        }
    }

    /// The columns each table has once every migration has run.
    static let columns: [String: Set<String>] = [
        "tool": ["name", "definition", "fingerprint", "model", "vector", "updatedAt"],
        "event": ["id", "kind", "at", "user", "team", "session", "query", "queryVector", "tool", "correctTool", "feedbackType",
                  "outcome", "latencyMs", "intent", "model"],
        "breaker": ["tool", "state", "consecutiveFailures", "openedAt", "probesInFlight", "halfOpenSuccesses"],
        "adapterVersion": ["version", "format", "file", "trainedAt", "highestEventID", "trainedEvents", "forgottenSince", "report"],
        "quarantine": ["id", "source", "key", "reason", "content", "at"],
    ]

    /// Throws unless every table has exactly the columns of `columns`: a damaged schema (a
    /// flipped byte in a column name) would otherwise read as NULLs in the optional columns, and
    /// events would lose their user or their query vector without a word.
    static func verifySchema(_ db: Database) throws {
        for (table, expected) in columns.sorted(by: { $0.key < $1.key }) {
            guard try db.tableExists(table) else {
                throw GantryError.store("the store has no table \(table) (its schema is damaged); "
                                        + "restore a backup, or open a new store and importEvents() an export of this one")
            }
            let found = Set(try db.columns(in: table).map(\.name))
            guard found == expected else {
                let missing = expected.subtracting(found).sorted(), unexpected = found.subtracting(expected).sorted()
                throw GantryError.store("the schema of table \(table) is damaged (missing \(missing), unexpected \(unexpected)); "
                                        + "restore a backup, or open a new store and importEvents() an export of this one")
            }
        }
    }
}

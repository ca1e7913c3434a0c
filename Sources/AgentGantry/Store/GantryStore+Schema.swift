import GRDB

extension GantryStore {
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
        return migrator
    }

    /// The schema version this code writes: the number of migrations, kept in SQLite's
    /// `user_version` so that an older AgentGantry can tell a newer store from a damaged one.
    static let schemaVersion = 3

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
            let found = Set(try db.columns(in: table).map(\.name))
            guard found == expected else {
                let missing = expected.subtracting(found).sorted(), unexpected = found.subtracting(expected).sorted()
                throw GantryError.store("the schema of table \(table) is damaged (missing \(missing), unexpected \(unexpected)); "
                                        + "restore a backup, or open a new store and importEvents() an export of this one")
            }
        }
    }
}

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
        return migrator
    }

    /// The columns each table has once every migration has run.
    static let columns: [String: Set<String>] = [
        "tool": ["name", "definition", "fingerprint", "model", "vector", "updatedAt"],
        "event": ["id", "kind", "at", "user", "team", "session", "query", "queryVector", "tool", "correctTool", "feedbackType",
                  "outcome", "latencyMs", "intent"],
        "breaker": ["tool", "state", "consecutiveFailures", "openedAt", "probesInFlight", "halfOpenSuccesses"],
        "adapter": ["id", "file", "trainedAt", "report"],
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

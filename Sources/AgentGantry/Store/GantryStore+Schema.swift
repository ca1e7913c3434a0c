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
}

import Foundation
import GRDB

extension SQLiteStore {
    /// A schema step that only adds (tables, triggers, indexes): the versions before it keep
    /// reading and writing the store, so a fleet upgrades one process at a time.
    ///
    /// Expand steps run outside the `DatabaseMigrator` and leave `user_version` alone, since an
    /// older AgentGantry refuses a store with a higher `user_version` or an unknown migration,
    /// but ignores tables it does not know. `user_version` counts *contract* steps: the ones that
    /// drop or rename, which older versions cannot read past. Each step is one transaction of
    /// `IF NOT EXISTS` statements ending with its row in `storeMeta`, so it applies once even when
    /// a version that takes no open lock opens the store at the same moment.
    struct ExpandStep: Sendable {
        /// The step's number; its row in `storeMeta` is `expand.<number>`.
        var number: Int
        var sql: String
    }

    /// The expand steps, in order.
    static let expandSteps = [
        // 1: the change log that processes sharing the store follow (`changes(after:)`). Triggers
        // record every change of a tool row or an adapter version, and count event deletions, so
        // no writer can forget to log — a 0.2.0 process on the same store included. Breakers are
        // folded from the event log since this step (`LearnedState`): the stored rows are dropped
        // and a trigger ignores the rows a 0.2.0 process still writes after each execution, so
        // that no version restores a stale copy over what the log says (0.2.0 folds breakers
        // from the log when it finds no row; Reliability/upgrade.py shows both).
        ExpandStep(number: 1, sql: """
            CREATE TABLE IF NOT EXISTS storeMeta (key TEXT PRIMARY KEY NOT NULL, value);
            INSERT OR IGNORE INTO storeMeta (key, value) VALUES ('deletedEvents', 0);
            CREATE TABLE IF NOT EXISTS change (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                kind TEXT NOT NULL CHECK (kind IN ('tool', 'adapter')),
                name TEXT);
            CREATE TRIGGER IF NOT EXISTS changeOnToolInsert AFTER INSERT ON tool
                BEGIN INSERT INTO change (kind, name) VALUES ('tool', NEW.name); END;
            CREATE TRIGGER IF NOT EXISTS changeOnToolUpdate AFTER UPDATE ON tool
                BEGIN
                    INSERT INTO change (kind, name) VALUES ('tool', NEW.name);
                    INSERT INTO change (kind, name) SELECT 'tool', OLD.name WHERE OLD.name IS NOT NEW.name;
                END;
            CREATE TRIGGER IF NOT EXISTS changeOnToolDelete AFTER DELETE ON tool
                BEGIN INSERT INTO change (kind, name) VALUES ('tool', OLD.name); END;
            CREATE TRIGGER IF NOT EXISTS changeOnAdapterInsert AFTER INSERT ON adapterVersion
                BEGIN INSERT INTO change (kind) VALUES ('adapter'); END;
            CREATE TRIGGER IF NOT EXISTS changeOnAdapterUpdate AFTER UPDATE ON adapterVersion
                BEGIN INSERT INTO change (kind) VALUES ('adapter'); END;
            CREATE TRIGGER IF NOT EXISTS changeOnAdapterDelete AFTER DELETE ON adapterVersion
                BEGIN INSERT INTO change (kind) VALUES ('adapter'); END;
            CREATE TRIGGER IF NOT EXISTS countEventDeletion AFTER DELETE ON event
                BEGIN UPDATE storeMeta SET value = value + 1 WHERE key = 'deletedEvents'; END;
            CREATE TRIGGER IF NOT EXISTS ignoreBreakerRows BEFORE INSERT ON breaker
                BEGIN SELECT RAISE(IGNORE); END;
            DELETE FROM breaker;
            """),
        // 2: imports in bounded transactions (`importEvents`): each import's row, and the ranges
        // of event ids each of its transactions wrote until it finishes, so that the rows of an
        // import that failed or whose process died can be found and removed.
        ExpandStep(number: 2, sql: """
            CREATE TABLE IF NOT EXISTS eventImport (
                id TEXT PRIMARY KEY NOT NULL,
                startedAt REAL NOT NULL,
                events INTEGER NOT NULL,
                finishedAt REAL);
            CREATE TABLE IF NOT EXISTS eventImportRange (
                importID TEXT NOT NULL,
                firstEvent INTEGER NOT NULL,
                lastEvent INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS eventImportRangeByImport ON eventImportRange(importID);
            """),
        // 3: the query terms of feedback kept without its text (`FeedbackEvent.queryTerms`), one
        // row per event beside `event` (whose columns older versions check exactly). A trigger
        // deletes them with their event, whichever version deletes it (retention, forget).
        ExpandStep(number: 3, sql: """
            CREATE TABLE IF NOT EXISTS eventTerms (event INTEGER PRIMARY KEY NOT NULL, terms BLOB NOT NULL);
            CREATE TRIGGER IF NOT EXISTS deleteEventTerms AFTER DELETE ON event
                BEGIN DELETE FROM eventTerms WHERE event = OLD.id; END;
            """),
        // 4: retrieval records and the reports that name them (`SQLiteStore+Retrievals`), and
        // the counter of reserved blocks of retrieval ids.
        ExpandStep(number: 4, sql: """
            INSERT OR IGNORE INTO storeMeta (key, value) VALUES ('retrievalBlocks', 0);
            CREATE TABLE IF NOT EXISTS retrievalQuery (
                id INTEGER PRIMARY KEY NOT NULL,
                model TEXT NOT NULL,
                vector BLOB NOT NULL,
                query TEXT, terms BLOB,
                lastUsed REAL NOT NULL);
            CREATE INDEX IF NOT EXISTS retrievalQueryLastUsed ON retrievalQuery(lastUsed);
            CREATE TABLE IF NOT EXISTS retrievalContext (
                id INTEGER PRIMARY KEY,
                user TEXT, team TEXT, session TEXT,
                lastUsed REAL NOT NULL);
            CREATE INDEX IF NOT EXISTS retrievalContextKey ON retrievalContext(user, team, session);
            CREATE INDEX IF NOT EXISTS retrievalContextLastUsed ON retrievalContext(lastUsed);
            CREATE TABLE IF NOT EXISTS retrievalTool (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
            CREATE TABLE IF NOT EXISTS retrieval (
                id INTEGER PRIMARY KEY NOT NULL,
                at REAL NOT NULL,
                context INTEGER NOT NULL,
                query INTEGER NOT NULL,
                shortlist BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS retrievalAt ON retrieval(at);
            CREATE TABLE IF NOT EXISTS retrievalReport (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                at REAL NOT NULL,
                retrieval INTEGER NOT NULL,
                tool TEXT NOT NULL,
                signal TEXT NOT NULL,
                context INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS retrievalReportAt ON retrievalReport(at);
            """),
        // Which neighbouring tools exploration swapped in a retrieval's shortlist (NULL: none;
        // versions before this step write none, as they never explore).
        ExpandStep(number: 5, sql: """
            ALTER TABLE retrieval ADD COLUMN swapped INTEGER;
            """),
        // 6: the retrieval that offered an execution's tool (`ExecutionEvent.retrieval`), one row
        // per linked event beside `event`, deleted with it as `eventTerms` are.
        ExpandStep(number: 6, sql: """
            CREATE TABLE IF NOT EXISTS eventRetrieval (event INTEGER PRIMARY KEY NOT NULL, retrieval INTEGER NOT NULL);
            CREATE TRIGGER IF NOT EXISTS deleteEventRetrieval AFTER DELETE ON event
                BEGIN DELETE FROM eventRetrieval WHERE event = OLD.id; END;
            """),
    ]

    /// The expand steps the store has (their numbers), read from `storeMeta`; empty before the first.
    static func appliedExpandSteps(_ db: Database) throws -> [Int] {
        guard try db.tableExists("storeMeta") else { return [] }
        return try String.fetchAll(db, sql: "SELECT key FROM storeMeta WHERE key LIKE 'expand.%'")
            .compactMap { Int($0.dropFirst("expand.".count)) }.sorted()
    }

    /// Applies the expand steps the store does not have yet, each in its own transaction.
    static func applyExpandSteps(_ database: DatabaseQueue) throws {
        for step in expandSteps {
            try database.write { db in
                guard try !appliedExpandSteps(db).contains(step.number) else { return }
                try db.execute(sql: step.sql)
                try db.execute(sql: "INSERT OR IGNORE INTO storeMeta (key, value) VALUES (?, ?)",
                               arguments: ["expand.\(step.number)", Date().timeIntervalSince1970])
            }
        }
    }

    /// Whether the change log holds 10% more rows than `StoreChanges.changesKept` (pruned at open then, so
    /// that most opens write nothing).
    static func changeLogNeedsPruning(_ db: Database) throws -> Bool {
        guard try db.tableExists("change") else { return false }
        let span = try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(seq) - MIN(seq) + 1, 0) FROM change") ?? 0
        return span > StoreChanges.changesKept + StoreChanges.changesKept / 10
    }

    /// Deletes change rows beyond the newest `StoreChanges.changesKept`.
    static func pruneChangeLog(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM change WHERE seq <= (SELECT IFNULL(MAX(seq), 0) FROM change) - ?", arguments: [StoreChanges.changesKept])
    }
}

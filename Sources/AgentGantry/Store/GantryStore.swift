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
            try database.read { try Self.verifySchema($0) }
        } catch let error as GantryError {
            throw error
        } catch {
            throw .store("cannot open \(path ?? "the in-memory store"): \(error)")
        }
    }

    func write<T>(_ body: @escaping @Sendable (Database) throws -> T) throws(GantryError) -> T {
        do { return try database.write(body) } catch { throw .store("\(error)") }
    }

    private func read<T>(_ body: @escaping @Sendable (Database) throws -> T) throws(GantryError) -> T {
        do { return try database.read(body) } catch { throw .store("\(error)") }
    }

    // MARK: tools

    /// A stored tool, the model that embedded it, and its frozen embedding.
    struct StoredTool: Sendable {
        var tool: Tool
        var model: String
        var vector: [Float]
    }

    /// Inserts or replaces tools with their vectors, all in one transaction.
    func saveTools(_ tools: [(tool: Tool, vector: [Float])], model: String) throws(GantryError) {
        let now = Date()
        let records = tools.map { ToolRecord(tool: $0.tool, vector: $0.vector, model: model, at: now) }
        try write { db in for record in records { try record.insert(db, onConflict: .replace) } }
    }

    func removeTool(_ name: String) throws(GantryError) {
        try write { db in
            _ = try ToolRecord.deleteOne(db, key: name)
            _ = try BreakerRecord.deleteOne(db, key: name)
        }
    }

    func tools() throws(GantryError) -> [StoredTool] {
        let records = try read { db in try ToolRecord.order(Column("name")).fetchAll(db) }
        var result = [StoredTool]()
        for record in records { result.append(try record.stored()) }
        return result
    }

    // MARK: events

    /// Appends a feedback event; returns its id once it is durable.
    func appendFeedback(_ event: FeedbackEvent) throws(GantryError) -> Int64 {
        try append(EventRecord(event))
    }

    /// Appends an execution event; returns its id once it is durable.
    func appendExecution(_ event: ExecutionEvent) throws(GantryError) -> Int64 {
        try append(EventRecord(event))
    }

    private func append(_ record: EventRecord) throws(GantryError) -> Int64 {
        try write { db in
            var record = record
            try record.insert(db)
            return record.id!
        }
    }

    /// The whole log, oldest first.
    func events() throws(GantryError) -> [GantryEvent] {
        try read { db in try EventRecord.order(Column("id")).fetchAll(db).map { try $0.event() } }
    }

    /// The feedback events, oldest first.
    func feedbackEvents() throws(GantryError) -> [FeedbackEvent] {
        try events(of: EventColumns.Kind.feedback).compactMap { if case .feedback(let event) = $0 { event } else { nil } }
    }

    /// The execution events, oldest first.
    func executionEvents() throws(GantryError) -> [ExecutionEvent] {
        try events(of: EventColumns.Kind.execution).compactMap { if case .execution(let event) = $0 { event } else { nil } }
    }

    private func events(of kind: String) throws(GantryError) -> [GantryEvent] {
        try read { db in try EventRecord.filter(Column("kind") == kind).order(Column("id")).fetchAll(db).map { try $0.event() } }
    }

    /// Deletes every event of `user`; returns how many.
    func deleteEvents(of user: String) throws(GantryError) -> Int {
        try write { db in try EventRecord.filter(Column("user") == user).deleteAll(db) }
    }

    /// Deletes events older than `date`; returns how many.
    func deleteEvents(before date: Date) throws(GantryError) -> Int {
        try write { db in try EventRecord.filter(Column("at") < date.timeIntervalSince1970).deleteAll(db) }
    }

    // MARK: breakers and adapter

    func saveBreaker(_ tool: String, _ breaker: CircuitBreaker) throws(GantryError) {
        try write { db in try BreakerRecord(tool: tool, breaker).insert(db, onConflict: .replace) }
    }

    func breakers() throws(GantryError) -> [String: CircuitBreaker] {
        let records = try read { db in try BreakerRecord.fetchAll(db) }
        return Dictionary(records.map { ($0.tool, $0.breaker) }) { _, last in last }
    }

    func saveAdapter(_ bytes: [UInt8], report: String) throws(GantryError) {
        let record = AdapterRecord(file: Data(bytes), trainedAt: Date().timeIntervalSince1970, report: report)
        try write { db in try record.insert(db, onConflict: .replace) }
    }

    func adapterBytes() throws(GantryError) -> [UInt8]? {
        try read { db in try AdapterRecord.fetchOne(db, key: 1).map { [UInt8]($0.file) } }
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
        let records = feedback.map(EventRecord.init) + executions.map(EventRecord.init)
        try write { db in
            for var record in records { try record.insert(db) }
        }
        return records.count
    }
}

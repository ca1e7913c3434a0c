import Foundation
import GRDB

/// How far a process has read the store's log: the highest event id it folded, the highest
/// change row it applied, and the store's count of deleted events when it last looked.
@_spi(StoreImplementation) public struct LogPosition: Sendable, Equatable {
    public var event: Int64 = 0
    public var change: Int64 = 0
    /// `storeMeta.deletedEvents`; without a change log, how many events had ids up to `event`.
    public var deletions: Int64 = 0

    /// The start of the log, or a position a reader kept.
    public init(event: Int64 = 0, change: Int64 = 0, deletions: Int64 = 0) {
        (self.event, self.change, self.deletions) = (event, change, deletions)
    }
}

/// What changed in the store past a `LogPosition`, read in one transaction (`SQLiteStore.changes(after:)`).
@_spi(StoreImplementation) public struct StoreChanges: Sendable {
    /// Where the reader is once it has applied these.
    public var position: LogPosition
    /// Events were deleted (`forget`, retention, quarantine, in any process): `events` is the
    /// whole log, to fold into a fresh state.
    public var replay: Bool
    /// The events past the position, in log order (the valid ones: the rest are quarantined at
    /// the next open, so a process that opens then does not see them either).
    public var events: [GantryEvent]
    /// The names of the tools whose rows changed, or nil when the reader must compare its
    /// whole catalogue with `tools` (it fell behind the change rows kept, or there is no log).
    public var changedTools: [String]?
    /// The current rows of `changedTools` that exist and are valid (all tools when nil).
    public var tools: [StoredTool]
    /// An adapter version was stored, withdrawn or deleted.
    public var adapterChanged: Bool
    /// False when more events remain past `position` (read them with another call).
    public var isComplete: Bool

    /// How many change rows a store keeps (the newest; pruned once 10% more have piled up): a
    /// reader further behind compares its whole catalogue instead.
    public static let changesKept: Int64 = 100_000

    /// Changes as a store read them.
    public init(position: LogPosition, replay: Bool, events: [GantryEvent], changedTools: [String]?, tools: [StoredTool],
                adapterChanged: Bool, isComplete: Bool) {
        (self.position, self.replay, self.events, self.changedTools, self.tools) = (position, replay, events, changedTools, tools)
        (self.adapterChanged, self.isComplete) = (adapterChanged, isComplete)
    }
}

extension SQLiteStore {
    /// A counter that changes whenever another connection (another process) commits to the store
    /// (`PRAGMA data_version`); nil in memory, where there is no other.
    @_spi(StoreImplementation) public func changeCounter() throws(GantryError) -> Int? {
        guard path != nil else { return nil }
        return try read { try Int.fetchOne($0, sql: "PRAGMA data_version") }
    }

    /// The position of the newest change row and the deletion counter, with `event` 0: where a
    /// reader starts before it reads tools and the whole log (`events()` gives the event part).
    @_spi(StoreImplementation) public func changePosition() throws(GantryError) -> LogPosition {
        let hasChangeLog = hasChangeLog
        return try read { db in
            guard hasChangeLog else { return LogPosition() }
            return LogPosition(event: 0, change: try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(seq), 0) FROM change") ?? 0,
                               deletions: try Self.deletedEvents(db))
        }
    }

    /// Everything stored past `position`: at most `eventLimit` event rows (`isComplete` says
    /// whether more remain), the tools whose rows changed (validated for `model` and `dimension`
    /// as at open), whether adapter versions changed, and whether events were deleted (then the
    /// whole log, to replay). One read transaction, so the result is one state of the store.
    @_spi(StoreImplementation) public func changes(after position: LogPosition, model: String, dimension: Int, eventLimit: Int = 10_000) async throws(GantryError) -> StoreChanges {
        let hasChangeLog = hasChangeLog
        return try await read { db in
            var next = position
            let replay: Bool
            if hasChangeLog {
                next.deletions = try Self.deletedEvents(db)
                replay = next.deletions != position.deletions
            } else {
                replay = try Self.eventCount(db, upTo: position.event) != position.deletions
            }
            let (events, damaged) = try Self.readEvents(db, after: replay ? 0 : position.event, limit: replay ? nil : eventLimit)
            let ids = events.map(\.id) + damaged.compactMap(\.rowid)
            next.event = max(replay ? 0 : position.event, ids.max() ?? 0)
            let isComplete = replay || ids.count < eventLimit
            if !hasChangeLog { next.deletions = try Self.eventCount(db, upTo: next.event) }

            var changedTools: [String]?, adapterChanged = true
            if hasChangeLog {
                // One subquery each: SQLite reads MIN or MAX alone off the key's ends, but both in
                // one SELECT scan the whole table (which holds a row per tool registered).
                let (oldest, newest) = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT IFNULL((SELECT MIN(seq) FROM change), 0) AS oldest, IFNULL((SELECT MAX(seq) FROM change), 0) AS newest
                    """))
                    .map { ($0["oldest"] as Int64, $0["newest"] as Int64) } ?? (0, 0)
                next.change = newest
                let fellBehind = newest > position.change && oldest > position.change + 1
                if !fellBehind, newest - position.change <= Int64(eventLimit) {
                    let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT kind, name FROM change WHERE seq > ? ORDER BY seq"),
                                                arguments: [position.change])
                    var names = [String](), seen = Set<String>()
                    for row in rows where row["kind"] as String == "tool" {
                        if let name = row["name"] as String?, seen.insert(name).inserted { names.append(name) }
                    }
                    changedTools = names
                    adapterChanged = rows.contains { $0["kind"] as String == "adapter" }
                }
            }
            var tools = [(rowid: Int64, record: ToolRecord)]()
            if let names = changedTools {
                for chunk in names.chunked(500) {
                    tools += try Self.decodeRows(ToolRecord.self, of: "tool", columns: ToolRecord.columns, keyColumn: "name", order: "name",
                                                 filter: "name IN (\(databaseQuestionMarks(count: chunk.count)))",
                                                 arguments: StatementArguments(Array(chunk)), in: db).records
                }
            } else {
                tools = try Self.decodeRows(ToolRecord.self, of: "tool", columns: ToolRecord.columns, keyColumn: "name", order: "name", in: db).records
            }
            // (A name stored as a BLOB matches no `IN`; the whole catalogue is checked for them.)
            let untyped = changedTools != nil ? []
                : Set(try Int64.fetchAll(db, sql: "SELECT rowid FROM tool WHERE " + Self.notPlainText("name")))
            let valid = tools.compactMap { row in
                untyped.contains(row.rowid) ? nil : try? row.record.stored(model: model, dimension: dimension).get()
            }
            return StoreChanges(position: next, replay: replay, events: events, changedTools: changedTools, tools: valid,
                                adapterChanged: adapterChanged, isComplete: isComplete)
        }
    }

    /// `storeMeta.deletedEvents`: how many event rows were ever deleted (a trigger counts them).
    static func deletedEvents(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM storeMeta WHERE key = 'deletedEvents'")) ?? 0
    }

    /// How many events have ids up to `id`.
    private static func eventCount(_ db: Database, upTo id: Int64) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE id <= ?", arguments: [id]) ?? 0
    }
}

extension Array {
    /// The array cut into consecutive pieces of at most `size` elements.
    @_spi(StoreImplementation) public func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

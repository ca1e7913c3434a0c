import Foundation
import Logging
import PostgresNIO
@_spi(StoreImplementation) import AgentGantry

extension PostgresStore {
    /// The sum of the store's counters (the last event id, the last change number, the events
    /// deleted), read from the server: each only grows, and every commit that changes what a
    /// follower serves moves one. Read rather than counted from notifications, which arrive
    /// after the commit: a `followStore()` called just after another process's commit must see
    /// it (a conformance case failed under load when the notification was still on its way).
    @_spi(StoreImplementation) public func changeCounter() async throws(GantryError) -> Int? {
        let logger = logger
        return try await withConnection("read the counters of") { connection, _ in
            let rows = try await connection.query(
                "SELECT sum(value)::bigint FROM gantry_meta WHERE key IN ('event_seq', 'change_seq', 'deleted_events')", logger: logger)
            for try await sum in rows.decode(Int64?.self) { return sum.map { Int($0) } }
            return nil
        }
    }

    /// Yields once whenever the listener hears of a commit (bursts are merged).
    @_spi(StoreImplementation) public func changeNotifications() -> AsyncStream<Void>? {
        listener.subscribe()
    }

    /// The newest change number and the deletion counter, with `event` 0.
    @_spi(StoreImplementation) public func changePosition() async throws(GantryError) -> LogPosition {
        let logger = logger
        return try await transaction("read the change log of", readOnly: true) { connection in
            let (change, deletions) = try await Self.counters(connection, logger: logger)
            return LogPosition(event: 0, change: change, deletions: deletions)
        }
    }

    /// The newest change number and the deletion counter.
    static func counters(_ connection: PostgresConnection, logger: Logger) async throws -> (change: Int64, deletions: Int64) {
        var change: Int64 = 0, deletions: Int64 = 0
        for try await (key, value) in try await connection
            .query("SELECT key, value FROM gantry_meta WHERE key IN ('change_seq', 'deleted_events')", logger: logger).decode((String, Int64).self) {
            if key == "change_seq" { change = value } else { deletions = value }
        }
        return (change, deletions)
    }

    /// Everything stored past `position`, read in one snapshot (see `GantryStore`).
    @_spi(StoreImplementation) public func changes(after position: LogPosition, model: String, dimension: Int,
                                                   eventLimit: Int) async throws(GantryError) -> StoreChanges {
        let logger = logger
        let (changes, rows) = try await transaction("read the changes of", readOnly: true) { connection in
            var next = position
            let (newest, deletions) = try await Self.counters(connection, logger: logger)
            next.deletions = deletions
            let replay = deletions != position.deletions
            let (events, damaged) = try await Self.readEvents(connection, after: replay ? 0 : position.event, limit: replay ? nil : eventLimit,
                                                              terms: self.keepsQueryTerms, links: self.keepsRetrievals, logger: logger)
            let ids = events.map(\.id) + damaged.compactMap(\.rowid)
            next.event = max(replay ? 0 : position.event, ids.max() ?? 0)
            let isComplete = replay || ids.count < eventLimit

            next.change = newest
            var changedTools: [String]?, adapterChanged = true
            var oldest: Int64 = 0
            for try await value in try await connection.query("SELECT coalesce(min(seq), 0) FROM change", logger: logger).decode(Int64.self) {
                oldest = value
            }
            let fellBehind = newest > position.change && oldest > position.change + 1
            if !fellBehind, newest - position.change <= Int64(eventLimit) {
                var names = [String](), seen = Set<String>(), adapters = false
                for try await (kind, name) in try await connection
                    .query("SELECT kind, name FROM change WHERE seq > \(position.change) ORDER BY seq", logger: logger)
                    .decode((String, String?).self) {
                    if kind == "adapter" { adapters = true } else if let name, seen.insert(name).inserted { names.append(name) }
                }
                (changedTools, adapterChanged) = (names, adapters)
            }
            let rows = changedTools?.isEmpty == true ? [] : try await Self.toolRows(connection, filter: changedTools, logger: logger)
            return (StoreChanges(position: next, replay: replay, events: events, changedTools: changedTools, tools: [],
                                 adapterChanged: adapterChanged, isComplete: isComplete), rows)
        }
        var result = changes
        result.tools = Self.validated(rows, model: model, dimension: dimension).tools
        return result
    }
}

import Foundation
import Logging
import PostgresNIO
@_spi(StoreImplementation) import AgentGantry

extension PostgresStore {
    /// Everything the store holds, read in one repeatable-read transaction (`StoreCopy`).
    @_spi(StoreImplementation) public func contents() async throws(GantryError) -> StoreContents {
        let logger = logger
        return try await transaction("read the contents of", readOnly: true) { connection in
            var tools = [StoredTool](), damaged = [QuarantinedRow]()
            for row in try await Self.toolRows(connection, filter: nil, logger: logger) {
                switch StoredTool.validatedAsStored(name: row.name, definition: row.definition, model: row.model, vector: row.vector,
                                                    rowid: row.rowid) {
                case .success(let tool): tools.append(tool)
                case .failure(let problem):
                    damaged.append(QuarantinedRow(table: "tool", key: row.name, reason: problem.reason, at: Date(), rowid: row.rowid))
                }
            }
            let events = try await Self.readEvents(connection, terms: self.keepsQueryTerms, links: self.keepsRetrievals, logger: logger)
            let adapters = try await Self.adapterRecords(connection, "ORDER BY version", logger: logger)
            var sequence: Int64 = 0
            for try await value in try await connection.query("SELECT value FROM gantry_meta WHERE key = 'event_seq'", logger: logger)
                .decode(Int64.self) { sequence = value }
            var quarantine = [QuarantinedContent]()
            for try await (source, key, reason, content, at) in try await connection
                .query("SELECT source, key, reason, content, at FROM quarantine ORDER BY id", logger: logger)
                .decode((String, String, String, String, Double).self) {
                quarantine.append(QuarantinedContent(row: QuarantinedRow(table: source, key: key, reason: reason, at: Date(timeIntervalSince1970: at)),
                                                     content: content))
            }
            var contents = StoreContents(tools: tools, events: events.events, eventSequence: sequence, adapterVersions: adapters,
                                         quarantine: quarantine, damaged: damaged + events.damaged)
            if self.keepsRetrievals {
                var blocks: Int64 = 0
                for try await (value, called) in try await connection.query("SELECT last_value, is_called FROM retrieval_block_seq", logger: logger)
                    .decode((Int64, Bool).self) { blocks = called ? value : 0 }
                contents.addRetrievals(try await Self.readRecords(connection, where: "true", logger: logger),
                                       reports: try await Self.readReports(connection, logger: logger), blocks: blocks)
            }
            return contents
        }
    }

    /// Writes `contents` into this empty store in one transaction: the tables locked against
    /// other writers first, event ids and adapter version numbers kept (the counters moved past
    /// them), the tools and adapter versions logged for followers, who are notified.
    @_spi(StoreImplementation) public func restore(_ contents: StoreContents) async throws(GantryError) {
        try checkWritable()
        let logger = logger, location = location
        try await transaction("restore a copy into", retry: .untilSent) { connection in
            try await connection.query("LOCK TABLE tool, event, adapter_version, quarantine IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            for try await held in try await connection.query("""
                SELECT (SELECT count(*) FROM tool) + (SELECT count(*) FROM event) + (SELECT count(*) FROM adapter_version)
                     + (SELECT count(*) FROM quarantine)
                """, logger: logger).decode(Int64.self) where held > 0 {
                throw GantryError.invalidInput("\(location) holds tools, events, adapter versions or quarantined rows (\(held) in all): a "
                                               + "copy goes into a new store (an empty database or schema, or a new file)")
            }
            try await Self.insert(contents.tools, replacing: false, on: connection, logger: logger)
            for chunk in contents.events.chunked(2_000) {
                try await connection.query(try Self.restoredEvents(chunk, terms: self.keepsQueryTerms), logger: logger)
                if self.keepsRetrievals {
                    try await Self.insertLinks(of: chunk, ids: chunk.map(\.id), on: connection, logger: logger)
                }
            }
            // Ids past the copied ones continue past every id the source handed out.
            try await connection.query("UPDATE gantry_meta SET value = greatest(value, \(contents.eventSequence)) WHERE key = 'event_seq'",
                                       logger: logger)
            for record in contents.adapterVersions {
                try await connection.query("""
                    INSERT INTO adapter_version (version, format, file, trained_at, highest_event_id, trained_events, forgotten_since, report)
                    OVERRIDING SYSTEM VALUE
                    VALUES (\(record.version ?? 0), \(record.format), \(record.file), \(record.trainedAt), \(record.highestEventID),
                            \(record.trainedEvents), \(record.forgottenSince), \(record.report))
                    """, logger: logger)
            }
            if !contents.adapterVersions.isEmpty {
                try await connection.query("""
                    SELECT setval(pg_get_serial_sequence('adapter_version', 'version'), (SELECT max(version) FROM adapter_version))
                    """, logger: logger)
            }
            for quarantined in contents.quarantine {
                let row = quarantined.row
                try await connection.query("""
                    INSERT INTO quarantine (source, key, reason, content, at)
                    VALUES (\(row.table), \(row.key), \(row.reason), \(quarantined.content), \(row.at.timeIntervalSince1970))
                    """, logger: logger)
            }
            if !contents.retrievals.isEmpty || !contents.reports.isEmpty || contents.retrievalBlocks > 0 {
                try self.checkRetrievals()
                for start in stride(from: 0, to: max(contents.retrievals.count, contents.reports.count), by: 2_000) {
                    _ = try await Self.insert(records: Array(contents.retrievals.dropFirst(start).prefix(2_000)),
                                              reports: Array(contents.reports.dropFirst(start).prefix(2_000)), on: connection, logger: logger)
                }
                if contents.retrievalBlocks > 0 {
                    try await connection.query("""
                        SELECT setval('retrieval_block_seq', greatest(\(contents.retrievalBlocks),
                                      (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM retrieval_block_seq)))
                        """, logger: logger)
                }
            }
            if !contents.tools.isEmpty {
                try await PostgresSchema.logChanges(connection, kind: "tool", names: contents.tools.map(\.tool.name), logger: logger)
            }
            if !contents.adapterVersions.isEmpty {
                try await PostgresSchema.logChanges(connection, kind: "adapter", names: [nil], logger: logger)
            }
            try await PostgresSchema.notify(connection, logger: logger)  // the events, when nothing else changed
        }
    }

    /// One statement inserting `events` with their own ids.
    static func restoredEvents(_ events: ArraySlice<GantryEvent>, terms: Bool) throws(GantryError) -> PostgresQuery {
        let bindsPerEvent = bindsPerEvent(terms: terms)
        var values = [String](), binds = PostgresBindings(capacity: events.count * bindsPerEvent)
        values.reserveCapacity(events.count)
        for (i, event) in events.enumerated() {
            binds.append(event.id)
            values.append("($\(i * bindsPerEvent + 1)::bigint, " + (try bind(row(event), from: i * bindsPerEvent + 2, terms: terms, into: &binds)) + ")")
        }
        return PostgresQuery(unsafeSQL: "INSERT INTO event (id, \(eventColumns(terms: terms))) VALUES \(values.joined(separator: ", "))",
                             binds: binds)
    }
}

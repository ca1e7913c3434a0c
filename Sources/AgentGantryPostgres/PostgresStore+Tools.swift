import Foundation
import Logging
import PostgresNIO
import Synchronization
@_spi(StoreImplementation) import AgentGantry

extension PostgresStore {
    @_spi(StoreImplementation) public func tools(model: String, dimension: Int) async throws(GantryError) -> (tools: [StoredTool], damaged: [QuarantinedRow]) {
        let logger = logger
        let rows = try await withConnection("read the tools of") { connection, _ in
            try await Self.toolRows(connection, filter: nil, logger: logger)
        }
        return Self.validated(rows, model: model, dimension: dimension)
    }

    /// A row of `tool`, as read.
    struct ToolRow: Sendable {
        var rowid: Int64, name: String, definition: String, model: String, vector: [Float]
    }

    /// The rows of `tool` (those named in `names`, when given), by name.
    static func toolRows(_ connection: PostgresConnection, filter names: [String]?, logger: Logger) async throws -> [ToolRow] {
        let query: PostgresQuery = names.map { names in
            "SELECT row_id, name, definition, model, vector FROM tool WHERE name = ANY(\(names)) ORDER BY name"
        } ?? "SELECT row_id, name, definition, model, vector FROM tool ORDER BY name"
        var rows = [ToolRow]()
        for try await (rowid, name, definition, model, vector) in try await connection.query(query, logger: logger)
            .decode((Int64, String, String, String, Data).self) {
            rows.append(ToolRow(rowid: rowid, name: name, definition: definition, model: model, vector: StoredVector.floats(vector)))
        }
        return rows
    }

    /// The valid tools among `rows`, and the damaged rows.
    static func validated(_ rows: [ToolRow], model: String, dimension: Int) -> (tools: [StoredTool], damaged: [QuarantinedRow]) {
        var tools = [StoredTool](), damaged = [QuarantinedRow]()
        tools.reserveCapacity(rows.count)
        for row in rows {
            switch StoredTool.validated(name: row.name, definition: row.definition, model: row.model, vector: row.vector, rowid: row.rowid,
                                        servingModel: model, dimension: dimension) {
            case .success(let tool): tools.append(tool)
            case .failure(let problem):
                damaged.append(QuarantinedRow(table: "tool", key: row.name, reason: problem.reason, at: Date(), rowid: row.rowid))
            }
        }
        return (tools, damaged)
    }

    /// Inserts or replaces tools with their vectors, in one transaction that logs their names.
    @_spi(StoreImplementation) public func saveTools(_ tools: [(tool: Tool, vector: [Float])], model: String) async throws(GantryError) {
        guard !tools.isEmpty else { return }
        let logger = logger
        let stored = tools.map { StoredTool(tool: $0.tool, model: model, vector: $0.vector) }
        try await transaction("register tools in") { connection in
            try await Self.insert(stored, replacing: true, on: connection, logger: logger)
            try await PostgresSchema.logChanges(connection, kind: "tool", names: stored.map(\.tool.name), logger: logger)
        }
    }

    /// Inserts `tools` (each with its own model) in statements of 1,000 rows, replacing a tool of
    /// the same name when `replacing`; in the caller's transaction.
    static func insert(_ tools: [StoredTool], replacing: Bool, on connection: PostgresConnection, logger: Logger) async throws {
        let now = Date().timeIntervalSince1970
        for chunk in tools.chunked(1_000) {
            var sql = "INSERT INTO tool (name, definition, fingerprint, model, vector, updated_at) VALUES "
            var binds = PostgresBindings(capacity: chunk.count * 6)
            for (i, stored) in chunk.enumerated() {
                let n = i * 6
                sql += (i == 0 ? "" : ", ") + "($\(n + 1), $\(n + 2), $\(n + 3), $\(n + 4), $\(n + 5), $\(n + 6))"
                binds.append(stored.tool.name)
                binds.append(StoredTool.definition(of: stored.tool))
                binds.append(stored.tool.fingerprint)
                binds.append(stored.model)
                try binds.append(StoredVector.data(stored.vector))
                binds.append(now)
            }
            if replacing {
                sql += " ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition, fingerprint = EXCLUDED.fingerprint, "
                    + "model = EXCLUDED.model, vector = EXCLUDED.vector, updated_at = EXCLUDED.updated_at"
            }
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
    }

    @_spi(StoreImplementation) public func removeTool(_ name: String) async throws(GantryError) {
        let logger = logger
        try await transaction("remove a tool from") { connection in
            try await connection.query("DELETE FROM tool WHERE name = \(name)", logger: logger)
            try await PostgresSchema.logChanges(connection, kind: "tool", names: [name], logger: logger)
        }
    }
}

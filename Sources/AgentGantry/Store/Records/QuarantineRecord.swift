import Foundation
import GRDB

/// A row of `quarantine`: a row moved out of its table because it failed validation, with its
/// content as JSON so that nothing is lost.
struct QuarantineRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "quarantine"

    var id: Int64?
    /// The table the row came from.
    var source: String
    var key: String
    var reason: String
    /// The row's columns as a JSON object (BLOBs in base64).
    var content: String
    /// Unix seconds.
    var at: Double

    /// Moves the row `rowid` of `table` (its key `key`, as the report names it) into quarantine,
    /// in the caller's transaction. By rowid: a damaged key (a BLOB where a name belongs) must
    /// not keep the row from leaving its table.
    static func move(_ db: Database, table: String, rowid: Int64, key: String, reason: String) throws {
        var columns = [String: String]()
        if let row = try Row.fetchOne(db, sql: "SELECT * FROM \(table) WHERE rowid = ?", arguments: [rowid]) {
            for (column, value) in row {
                switch value.storage {
                case .null: continue
                case .blob(let data): columns[column] = data.base64EncodedString()
                case .int64(let n): columns[column] = String(n)
                case .double(let x): columns[column] = String(x)
                case .string(let s): columns[column] = s
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let content = String(decoding: (try? encoder.encode(columns)) ?? Data("{}".utf8), as: UTF8.self)
        var record = QuarantineRecord(source: table, key: key, reason: reason, content: content, at: Date().timeIntervalSince1970)
        try record.insert(db)
        try db.execute(sql: "DELETE FROM \(table) WHERE rowid = ?", arguments: [rowid])
    }

    var row: QuarantinedRow {
        QuarantinedRow(table: source, key: key, reason: reason, at: Date(timeIntervalSince1970: at))
    }
}

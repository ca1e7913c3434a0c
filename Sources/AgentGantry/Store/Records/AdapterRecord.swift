import Foundation
import GRDB

/// The one row of `adapter`: the adapter in use, as the bytes of an adapter file.
struct AdapterRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "adapter"

    /// Always 1 (the table holds one adapter).
    var id = 1
    var file: Data
    var trainedAt: Double
    /// The training report as JSON.
    var report: String
}

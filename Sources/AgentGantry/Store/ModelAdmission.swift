import GRDB

/// Whether an embedder may serve a store's tools, decided from the `tool` table before the store
/// is migrated or written, so that a store refused for its model keeps its bytes (every schema
/// version has the `model` and `vector` columns this reads).
///
/// - Tools of the embedder's identity: their dimension is the one most of them have (ties go to
///   the embedder's). If it is not the embedder's, the embedder kept the identity of a model
///   whose vectors differ and is refused — rows would otherwise all look damaged and be
///   quarantined. A minority of other lengths are damaged rows.
/// - Tools of another identity are embedded again at open (a model upgrade), unless the store
///   is read-only or `reembedOnModelChange` is false: then the store is refused, naming both.
struct ModelAdmission: Sendable {
    var model: String
    var dimension: Int
    var reembedOnModelChange: Bool

    func check(_ db: Database, path: String, isReadOnly: Bool) throws {
        guard try db.tableExists("tool") else { return }  // a new store
        // One pass that counts, without grouping: SQLite reads the length of a vector from its
        // row header, but loads the whole BLOB to group by it (0.67 s instead of 0.15 s at
        // 100,000 tools). The groups are read only when the counts say something is off.
        let counts = try Row.fetchOne(db, sql: """
            SELECT COUNT(*) AS total, IFNULL(SUM(CAST(model AS TEXT) = ?), 0) AS own,
                   IFNULL(SUM(CAST(model AS TEXT) = ? AND length(vector) = ?), 0) AS ownOfDimension
            FROM tool WHERE model IS NOT NULL AND typeof(vector) = 'blob'
            """, arguments: [model, model, dimension * MemoryLayout<Float>.size])!
        let total: Int = counts["total"], own: Int = counts["own"], ownOfDimension: Int = counts["ownOfDimension"]
        guard total > own || own - ownOfDimension > ownOfDimension else { return }
        var dimensions = [Int: Int](), others = Set<String>()
        let groups = try Row.fetchAll(db, sql: """
            SELECT CAST(model AS TEXT) AS model, length(vector) AS bytes, COUNT(*) AS count FROM tool
            WHERE model IS NOT NULL AND typeof(vector) = 'blob' GROUP BY 1, bytes
            """)
        for group in groups {
            let rowModel: String = group["model"], bytes: Int = group["bytes"], count: Int = group["count"]
            if rowModel != model {
                others.insert(rowModel)
            } else if bytes > 0, bytes % MemoryLayout<Float>.size == 0 {
                dimensions[bytes / MemoryLayout<Float>.size, default: 0] += count
            }
        }
        let ownCount = dimensions[dimension] ?? 0
        if let (stored, count) = dimensions.max(by: { $0.value < $1.value }), stored != dimension, count > ownCount {
            throw GantryError.embedding("\(path): \(count) tools were embedded by \(model) as \(stored)-d vectors, but this embedder, under "
                                        + "the same identity, gives \(dimension)-d ones: an embedder whose vectors differ must have another modelIdentity")
        }
        guard !others.isEmpty else { return }
        let problem = "its tools were embedded by \(others.sorted().joined(separator: ", ")), not by this embedder's model \(model)"
        if isReadOnly {
            throw GantryError.readOnlyStore("\(path): \(problem), and a read-only store cannot embed them again")
        }
        guard reembedOnModelChange else {
            throw GantryError.store("\(path): \(problem); open it with the embedder of that model, "
                                    + "or with reembedOnModelChange to embed the tools again")
        }
    }
}

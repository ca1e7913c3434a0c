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
@_spi(StoreImplementation) public struct ModelAdmission: Sendable {
    public var model: String
    public var dimension: Int
    public var reembedOnModelChange: Bool

    /// The admission of an embedder of `model` and `dimension`.
    public init(model: String, dimension: Int, reembedOnModelChange: Bool) {
        (self.model, self.dimension, self.reembedOnModelChange) = (model, dimension, reembedOnModelChange)
    }

    /// The stored tools of one model whose vectors have one length.
    public struct VectorGroup: Sendable {
        public var model: String
        /// The length of the vectors in bytes.
        public var bytes: Int
        public var count: Int

        public init(model: String, bytes: Int, count: Int) {
            (self.model, self.bytes, self.count) = (model, bytes, count)
        }
    }

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
        let groups = try Row.fetchAll(db, sql: """
            SELECT CAST(model AS TEXT) AS model, length(vector) AS bytes, COUNT(*) AS count FROM tool
            WHERE model IS NOT NULL AND typeof(vector) = 'blob' GROUP BY 1, bytes
            """).map { VectorGroup(model: $0["model"], bytes: $0["bytes"], count: $0["count"]) }
        try check(groups, location: path, isReadOnly: isReadOnly)
    }

    /// The identity most of the stored tools were embedded by (ties: the first in byte order);
    /// nil for a store without tools. What an embedder chosen for the store should match.
    static func servedModel(_ db: Database) throws -> String? {
        guard try db.tableExists("tool") else { return nil }
        return try String.fetchOne(db, sql: """
            SELECT CAST(model AS TEXT) FROM tool WHERE model IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1
            """)
    }

    /// Throws unless the stored tools, counted in `groups`, may be served by this embedder (the
    /// rules above); `location` names the store in messages.
    public func check(_ groups: [VectorGroup], location path: String, isReadOnly: Bool) throws(GantryError) {
        var dimensions = [Int: Int](), others = Set<String>()
        for group in groups {
            if group.model != model {
                others.insert(group.model)
            } else if group.bytes > 0, group.bytes % MemoryLayout<Float>.size == 0 {
                dimensions[group.bytes / MemoryLayout<Float>.size, default: 0] += group.count
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

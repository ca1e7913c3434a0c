import GantryIO
import GantryMath

/// Serves vectors computed earlier (e.g. a dataset's `.npy`), looked up by exact text; texts it
/// does not know go to `fallback`, or are an error without one.
public struct PrecomputedEmbedder: Embedder {
    /// The length of every vector: the columns of the precomputed matrix.
    public let dimension: Int
    /// The identity given at creation, which a fallback embedder must share.
    public let modelIdentity: String
    private let rows: [String: Int]
    private let vectors: Matrix
    private let fallback: (any Embedder)?

    /// `vectors` row i is the embedding of `texts[i]` (repeated texts keep their first row).
    public init(texts: [String], vectors: Matrix, modelIdentity: String, fallback: (any Embedder)? = nil) throws(EmbedError) {
        guard texts.count == vectors.rows else {
            throw .mismatch("\(texts.count) texts but \(vectors.rows) vectors; they must pair up row by row")
        }
        if let fallback, fallback.dimension != vectors.cols || fallback.modelIdentity != modelIdentity {
            throw .mismatch("the fallback embedder (\(fallback.modelIdentity), \(fallback.dimension)-d) differs from "
                + "the precomputed vectors (\(modelIdentity), \(vectors.cols)-d)")
        }
        if let bad = vectors.firstNonFinite() {
            throw .mismatch("vector \(bad.row) (for \"\(texts[bad.row].prefix(60))\") holds NaN or infinity at column \(bad.col)")
        }
        var rows = [String: Int](minimumCapacity: texts.count)
        for (i, text) in texts.enumerated() where rows[text] == nil { rows[text] = i }
        self.rows = rows
        self.vectors = vectors
        self.dimension = vectors.cols
        self.modelIdentity = modelIdentity
        self.fallback = fallback
    }

    /// Loads the vectors from a `.npy` file.
    public init(texts: [String], npyFile path: String, modelIdentity: String, fallback: (any Embedder)? = nil) throws {
        try self.init(texts: texts, vectors: Matrix(NPYFile.read(path)), modelIdentity: modelIdentity, fallback: fallback)
    }

    /// One row per text: the precomputed row of each known text (a dictionary lookup and a copy),
    /// the fallback's vectors for the others (in one call). Throws `EmbedError.mismatch` for an
    /// unknown text when there is no fallback, and whatever the fallback throws.
    public func embed(_ texts: [String]) throws -> Matrix {
        var values = [Float]()
        values.reserveCapacity(texts.count * dimension)
        var missing = [(position: Int, text: String)]()
        for (position, text) in texts.enumerated() {
            if let row = rows[text] {
                values += vectors.row(row)
            } else {
                missing.append((position, text))
                values += repeatElement(0, count: dimension)
            }
        }
        if !missing.isEmpty {
            guard let fallback else {
                throw EmbedError.mismatch("no precomputed vector for \"\(missing[0].text.prefix(80))\" "
                    + "(\(missing.count) text(s) unknown) and no fallback embedder")
            }
            let computed = try fallback.embed(missing.map(\.text))
            for (i, entry) in missing.enumerated() {
                values.replaceSubrange(entry.position * dimension..<(entry.position + 1) * dimension, with: computed.row(i))
            }
        }
        return try Matrix(rows: texts.count, cols: dimension, values: values)
    }
}

import GantryMath

/// A searchable collection of fixed-dimension vectors keyed by `VectorID`.
///
/// Indexes are values: copies are independent (copy-on-write), any number of threads may
/// search one value at once, and mutation needs exclusive access (`inout`), which Swift
/// enforces. To update an index that readers use, mutate a copy and publish it (e.g. behind
/// an actor or a `Mutex`); readers keep the value they started with.
public protocol VectorIndex: Sendable {
    /// The length of every vector.
    var dimension: Int { get }
    /// The number of vectors that searches can return.
    var count: Int { get }
    /// How scores are computed.
    var metric: Metric { get }
    /// Which embedding model made the vectors (checked when files are loaded).
    var modelIdentity: String { get }

    /// Adds one vector; throws on a wrong length, NaN/infinity, a zero vector under cosine or
    /// an id already present.
    mutating func add(_ vector: some ContiguousFloats, id: VectorID) throws(IndexError)
    /// Adds one vector per row of `vectors`, all or nothing.
    mutating func add(contentsOf vectors: Matrix, ids: [VectorID]) throws(IndexError)
    /// Removes a vector; throws `unknownID` if it is not there.
    mutating func remove(_ id: VectorID) throws(IndexError)
    /// Whether `id` is indexed.
    func contains(_ id: VectorID) -> Bool
    /// The stored vector of `id`, or nil for an id never added or removed. Under `.cosine` the
    /// stored vector is the normalized one (unit length), not the one given to `add`.
    func vector(of id: VectorID) -> [Float]?

    /// The `k` most similar vectors, best first.
    func search(_ query: some ContiguousFloats, k: Int, filter: SearchFilter?) throws(IndexError) -> [SearchResult]
    /// The `k` most similar vectors for each row of `queries`.
    func search(queries: Matrix, k: Int, filter: SearchFilter?) throws(IndexError) -> [[SearchResult]]

    /// `search(_:k:filter:)` answering with slots instead of ids. A slot is a vector's position
    /// in this value of the index, valid until its next change: callers that link two indexes of
    /// the same ids by position (once, with `slot(of:)`) read hits without hashing ids.
    func searchSlots(_ query: some ContiguousFloats, k: Int, filter: SearchFilter?) throws(IndexError) -> [ScoredIndex]
    /// The slot of `id`, nil when it is not indexed.
    func slot(of id: VectorID) -> Int?
    /// The id at every slot, in slot order (a removed vector's slot may keep its stale id: read
    /// it only at slots `slot(of:)` and `searchSlots` give).
    var slotIDs: [VectorID] { get }
    /// `body` of every slot's stored vector, read in place: `dimension` floats per slot, in slot order.
    func withSlotVectors<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R

    /// Writes the index to one file, atomically.
    func save(to path: String) throws(IndexError)
}

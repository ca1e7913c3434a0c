import GantryMath

/// A caller-chosen, stable identifier of an indexed vector: a number or a name (a tool id).
public enum VectorID: Hashable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral
{
    case number(Int64)
    case name(String)

    public init(integerLiteral value: Int64) { self = .number(value) }
    public init(stringLiteral value: String) { self = .name(value) }

    public var description: String {
        switch self {
        case .number(let value): "\(value)"
        case .name(let value): "\"\(value)\""
        }
    }
}

/// How similarity is scored. Higher is more similar for both.
public enum Metric: UInt8, Sendable, CustomStringConvertible {
    /// `score = ⟨q, x⟩` on the vectors as given.
    case innerProduct = 0
    /// `score = cos(q, x)`: vectors are normalized when added, queries when searched.
    case cosine = 1

    public var description: String { self == .cosine ? "cosine" : "inner product" }
}

/// One hit of a search.
public struct SearchResult: Hashable, Sendable {
    public var id: VectorID
    public var score: Float

    public init(id: VectorID, score: Float) {
        self.id = id
        self.score = score
    }
}

/// Restricts a search to some ids. The restriction is applied while searching (only allowed
/// vectors are scored or returned), so a search still returns k hits when k are allowed.
public enum SearchFilter: Sendable {
    /// Only these ids.
    case allowing(Set<VectorID>)
    /// Only ids for which the predicate holds (called at most once per indexed id and search).
    case matching(@Sendable (VectorID) -> Bool)
}

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

    /// Writes the index to one file, atomically.
    func save(to path: String) throws(IndexError)
}

import GantryIndex
import GantryMath

/// Distinct unit query vectors, each with a payload, and the lookup of an exact repeat: two unit
/// vectors with cos ≥ 1 − `FeedbackMemory.sameQueryTolerance` are one query. Rows are bucketed
/// by the signs of a few projections (`SignBuckets`), so a lookup scans a few candidates, not
/// every query; where the buckets cannot tell, the nearest row is searched.
struct DistinctQueries<Payload: Sendable>: Sendable {
    typealias Location = SegmentedIndex<Payload>.Location

    private var rows: SegmentedIndex<Payload>
    private var buckets: SignBuckets

    init(dimension: Int) throws(GantryError) {
        rows = try SegmentedIndex(dimension: dimension)
        buckets = SignBuckets(dimension: dimension, tolerance: FeedbackMemory.sameQueryTolerance)
    }

    var count: Int { rows.count }

    /// The payload of the query at `location`.
    subscript(location: Location) -> Payload {
        get { rows[location] }
        set { rows[location] = newValue }
    }

    /// Adds the unit vector `unit` of a query not held yet, with its payload.
    mutating func append(_ unit: [Float], _ payload: Payload) throws(GantryError) {
        buckets.insert(unit, ordinal: Int32(rows.count))
        try rows.append(unit, payload)
    }

    /// Where the query that the unit vector `q` repeats is, if any.
    func find(_ q: [Float]) throws(GantryError) -> Location? {
        guard rows.count > 0 else { return nil }
        guard let candidates = buckets.candidates(of: q) else {
            guard let nearest = try rows.search(q, k: 1).first, nearest.score >= 1 - FeedbackMemory.sameQueryTolerance else { return nil }
            return nearest.location
        }
        var best: (score: Float, location: Location)?
        for ordinal in candidates {
            let location = rows.location(ofRow: Int(ordinal))
            let score = rows.vector(at: location).withUnsafeBufferPointer { v in
                q.withUnsafeBufferPointer { SIMDKernels.dot(v, $0) }
            }
            if score >= 1 - FeedbackMemory.sameQueryTolerance, score > best?.score ?? -.infinity { best = (score, location) }
        }
        return best?.location
    }

    /// The next graph to build or extend for the rows (`SegmentedIndex.graphJob()`).
    func graphJob() -> SegmentGraphJob? { rows.graphJob() }

    /// Installs a graph built for `graphJob()`; false when it does not fit these rows.
    mutating func install(_ graph: SegmentGraph) -> Bool { rows.install(graph) }
}

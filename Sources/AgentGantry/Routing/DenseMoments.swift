import GantryMath

/// The sum of the indexed unit vectors t and of their outer products t tᵀ, kept as tools come
/// and go, so that a query's dense-score statistics over the whole catalogue cost one
/// matrix–vector product (d² multiply-adds), exactly, whether a flat scan or an HNSW graph
/// (which scores only a few tools) serves: with μ = Σt / N and M = Σ t tᵀ / N, the scores q·t
/// have mean q·μ and variance qᵀMq − (q·μ)². Hybrid retrieval z-normalises the dense side with
/// them (`ScoreFusion`); a fixed sample of tools would only estimate them.
///
/// Kept in `Float` and recomputed whenever the index is built anew (a new adapter, a rebuild): the
/// rounding of many single updates cancels the variance's last digits at most, which a
/// normaliser does not notice.
struct DenseMoments: Sendable {
    let dimension: Int
    /// How many vectors the sums hold.
    private(set) var count = 0
    private var sum: [Float]
    /// Σ t tᵀ, `dimension` × `dimension`, both triangles.
    private var outer: Matrix

    /// No vectors yet.
    init(dimension: Int) {
        self.dimension = dimension
        sum = [Float](repeating: 0, count: dimension)
        outer = Matrix(rows: dimension, cols: dimension)
    }

    /// The moments of `rows`' rows.
    init(rows: Matrix) throws(GantryError) {
        self.init(dimension: rows.cols)
        try add(rows)
    }

    /// Adds every row of `rows` (one `ssyrk` for the outer products).
    mutating func add(_ rows: Matrix) throws(GantryError) {
        guard rows.rows > 0 else { return }
        precondition(rows.cols == dimension, "rows of \(rows.cols) values in moments of \(dimension)")
        do { try Matrix.syrk(rows, transpose: true, beta: 1, into: &outer) } catch { throw .index(.invalidParameter("the tools' moments: \(error)")) }
        for row in 0..<rows.rows {
            for (i, value) in rows.row(row).enumerated() { sum[i] += value }
        }
        count += rows.rows
    }

    /// Adds (`sign` 1) or takes out (`sign` −1) one vector of `dimension` values.
    mutating func update(_ vector: some Collection<Float>, sign: Float) {
        let vector = Array(vector)
        precondition(vector.count == dimension, "a vector of \(vector.count) values in moments of \(dimension)")
        let d = dimension
        vector.withUnsafeBufferPointer { v in
            sum.withUnsafeMutableBufferPointer { sum in
                for i in 0..<d { sum[i] += sign * v[i] }
            }
            outer.withUnsafeMutableBufferPointer { outer in
                for i in 0..<d {
                    let scaled = sign * v[i]
                    for j in 0..<d { outer[i * d + j] += scaled * v[j] }
                }
            }
        }
        count += sign > 0 ? 1 : -1
    }

    /// Mean and standard deviation of `query`'s inner products with the vectors held; (0, 0)
    /// when there are none. M q is one pass of the SIMD row-dot kernel over M's rows (measured
    /// faster here than `sgemv`, whose threads cost more than the 147k multiply-adds of d = 384).
    func statistics(of query: [Float]) -> (mean: Float, deviation: Float) {
        guard count > 0, query.count == dimension else { return (0, 0) }
        var projected = [Float](repeating: 0, count: dimension)
        outer.withUnsafeBufferPointer { rows in
            query.withUnsafeBufferPointer { query in
                Self.rowSlots(dimension).withUnsafeBufferPointer { slots in
                    projected.withUnsafeMutableBufferPointer { out in
                        SIMDKernels.gatherDots(rows: rows.baseAddress!, slots: slots, query: query, into: out.baseAddress!)
                    }
                }
            }
        }
        let n = Double(count)
        let mean = Double((try? SIMDKernels.dot(query, sum)) ?? 0) / n
        let quadratic = Double((try? SIMDKernels.dot(query, projected)) ?? 0) / n
        return (Float(mean), Float(max(0, quadratic - mean * mean).squareRoot()))
    }

    /// 0, 1, …, `count` − 1: every row of M, for the row-dot kernel.
    private static func rowSlots(_ count: Int) -> [Int32] { (0..<Int32(count)).map { $0 } }
}

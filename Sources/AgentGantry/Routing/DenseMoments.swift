import GantryMath

/// The sum of the indexed unit vectors t and of their outer products t tᵀ, kept as tools come
/// and go (in batches: one `ssyrk` per registration), so that a query's dense-score statistics
/// over the whole catalogue — every tool counted, whether a flat scan or an HNSW graph (which
/// scores only a few tools) serves — cost one matrix–vector product (d² multiply-adds): with μ = Σt / N and M = Σ t tᵀ / N, the scores q·t
/// have mean q·μ and variance qᵀMq − (q·μ)². Hybrid retrieval z-normalises the dense side with
/// them (`ScoreFusion`); a fixed sample of tools would only estimate them.
///
/// Kept in `Float` and recomputed whenever the index is built anew (a new adapter, a rebuild): the
/// rounding of many updates cancels the variance's last digits at most, which a normaliser does
/// not notice. `prepareForSearch()` (before each publication) derives the covariance
/// C = M − μμᵀ, packed for its quadratic form (`PackedSymmetricMatrix`: the upper triangle in
/// bfloat16, half the multiply-adds and a quarter of the floats' bytes; qᵀCq needs no
/// cancellation). Not int8 codes with a scale per row: a query along a direction in which the
/// tools barely vary got a deviation of 0 from them, and fusion then dropped the lexical side;
/// bfloat16's error is relative to each entry.
struct DenseMoments: Sendable {
    let dimension: Int
    /// How many vectors the sums hold.
    private(set) var count = 0
    private var sum: [Float]
    /// Σ t tᵀ, `dimension` × `dimension`, both triangles.
    private var outer: Matrix
    /// The search form of the moments, nil once a change made it stale.
    private var prepared: Prepared?

    /// μ and the covariance packed for its quadratic form.
    private struct Prepared: Sendable {
        var mean: [Float]
        var covariance: PackedSymmetricMatrix
    }

    /// No vectors yet.
    init(dimension: Int) {
        self.dimension = dimension
        sum = [Float](repeating: 0, count: dimension)
        outer = Matrix(rows: dimension, cols: dimension)
    }

    /// Adds (`sign` 1) or takes out (`sign` −1) every row of `rows`: one `ssyrk` for the outer
    /// products.
    mutating func add(_ rows: Matrix, sign: Float) throws(GantryError) {
        guard rows.rows > 0 else { return }
        precondition(rows.cols == dimension, "rows of \(rows.cols) values in moments of \(dimension)")
        do { try Matrix.syrk(rows, transpose: true, alpha: sign, beta: 1, into: &outer) } catch { throw .index(.invalidParameter("the tools' moments: \(error)")) }
        for row in 0..<rows.rows {
            for (i, value) in rows.row(row).enumerated() { sum[i] += sign * value }
        }
        count += sign > 0 ? rows.rows : -rows.rows
        prepared = nil
    }

    /// Whether `statistics(of:)` takes the prepared path.
    var isPreparedForSearch: Bool { prepared != nil || count == 0 }

    /// Derives the search form (d² work): to do after a batch of changes, before many queries.
    mutating func prepareForSearch() {
        guard count > 0, prepared == nil else { return }
        let d = dimension, n = Float(count)
        let mean = sum.map { $0 / n }
        let covariance = outer.withUnsafeBufferPointer { outer in
            PackedSymmetricMatrix(dimension: d) { i, j in outer[i * d + j] / n - mean[i] * mean[j] }
        }
        prepared = Prepared(mean: mean, covariance: covariance)
    }

    /// Mean and standard deviation of `query`'s inner products with the vectors held; (0, 0)
    /// when there are none. Prepared: q·μ and qᵀCq (`PackedSymmetricMatrix`); else M q by the
    /// float row-dot kernel (measured faster here than `sgemv`, whose threads cost more than the
    /// 147k multiply-adds of d = 384).
    func statistics(of query: [Float]) -> (mean: Float, deviation: Float) {
        guard count > 0, query.count == dimension else { return (0, 0) }
        if let prepared {
            let mean = (try? SIMDKernels.dot(query, prepared.mean)) ?? 0
            return (mean, max(0, prepared.covariance.quadraticForm(query)).squareRoot())
        }
        var projected = [Float](repeating: 0, count: dimension)
        let rows = (0..<Int32(dimension)).map { $0 }
        outer.withUnsafeBufferPointer { outer in
            query.withUnsafeBufferPointer { query in
                rows.withUnsafeBufferPointer { rows in
                    projected.withUnsafeMutableBufferPointer { out in
                        SIMDKernels.gatherDots(rows: outer.baseAddress!, slots: rows, query: query, into: out.baseAddress!)
                    }
                }
            }
        }
        let n = Double(count)
        let mean = Double((try? SIMDKernels.dot(query, sum)) ?? 0) / n
        let quadratic = Double((try? SIMDKernels.dot(query, projected)) ?? 0) / n
        return (Float(mean), Float(max(0, quadratic - mean * mean).squareRoot()))
    }
}

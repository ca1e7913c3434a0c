import GantryKernels

/// A symmetric matrix A kept for its quadratic form xᵀAx: the upper triangle in bfloat16, each
/// row i from the first column of its aligned block of 16 (column 16·⌊i/16⌋: zeros left of the
/// diagonal, half the diagonal entry on it), so that one pass of a SIMD kernel reads about a
/// quarter of the matrix's floats' bytes, 16 entries at a time with no remainder, four rows
/// sharing each load of x: xᵀAx = 2 Σᵢ xᵢ Σ_{j ≥ i} Pᵢⱼ xⱼ. The form is read from memory (a
/// 384-dimensional triangle is 148 KB in bfloat16, 295 KB in floats; the multiply-adds take a
/// fraction of the time): halving the bytes took about 40% off its time inside a hybrid retrieval.
///
/// Each entry keeps 8 significant bits: its error is at most 2⁻⁹ of itself, so the form's error
/// is at most 2⁻⁹ Σᵢⱼ |Aᵢⱼ xᵢ xⱼ| (sums in floats add theirs) — relative to the entries, not to a
/// row's largest one: a form that nearly cancels (x along a direction in which A is nearly flat)
/// stays near its value, where int8 codes with a scale per row could give 0. On the covariance of
/// 10,000 MiniLM tool vectors, √(qᵀCq) for 2,000 queries was within 3.4·10⁻⁴ of its value
/// (median 3.5·10⁻⁵).
public struct PackedSymmetricMatrix: Sendable {
    /// The matrix is `dimension` × `dimension`.
    public let dimension: Int
    /// `dimension` rounded up to a multiple of 16: the columns a row runs to.
    private let width: Int
    /// The packed rows, bfloat16 bits.
    private let packed: [UInt16]

    /// Packs the symmetric `dimension` × `dimension` matrix whose entry (i, j) for j ≥ i is
    /// `entry(i, j)` (the lower triangle is not asked for), each rounded to the nearest bfloat16.
    public init(dimension: Int, entry: (_ row: Int, _ column: Int) -> Float) {
        precondition(dimension >= 0, "a matrix of \(dimension) rows")
        let width = (dimension + 15) / 16 * 16
        var floats = [Float]()
        floats.reserveCapacity((0..<dimension).reduce(0) { $0 + (width - $1 / 16 * 16) })
        for i in 0..<dimension {
            for j in i / 16 * 16 ..< width {
                floats.append(j < i || j >= dimension ? 0 : (j == i ? entry(i, i) / 2 : entry(i, j)))
            }
        }
        let packed = [UInt16](unsafeUninitializedCapacity: floats.count) { out, initialized in
            floats.withUnsafeBufferPointer { gk_bf16_round($0.baseAddress, $0.count, out.baseAddress) }
            initialized = floats.count
        }
        (self.dimension, self.width, self.packed) = (dimension, width, packed)
    }

    /// xᵀAx, for `x` of `dimension` values.
    public func quadraticForm(_ x: [Float]) -> Float {
        precondition(x.count == dimension, "a vector of \(x.count) values for a \(dimension) × \(dimension) matrix")
        guard dimension > 0 else { return 0 }
        let padded = width == dimension ? x : x + repeatElement(0, count: width - dimension)
        return packed.withUnsafeBufferPointer { packed in
            padded.withUnsafeBufferPointer { 2 * gk_packed_quadratic(packed.baseAddress, $0.baseAddress, dimension, width) }
        }
    }
}

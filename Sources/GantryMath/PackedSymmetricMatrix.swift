import GantryKernels

/// A symmetric matrix A kept for its quadratic form xᵀAx: the upper triangle in `Float`, each
/// row i from the first column of its aligned block of 16 (column 16·⌊i/16⌋: zeros left of the
/// diagonal, half the diagonal entry on it), so that one pass of a SIMD kernel reads about half
/// the matrix, 16 floats at a time with no remainder, four rows sharing each load of x:
/// xᵀAx = 2 Σᵢ xᵢ Σ_{j ≥ i} Pᵢⱼ xⱼ. Floats, not int8 codes with a scale per row: a code's error
/// is relative to its row's largest entry, so a form that nearly cancels (x along a direction
/// in which A is nearly flat) could come out 0.
public struct PackedSymmetricMatrix: Sendable {
    /// The matrix is `dimension` × `dimension`.
    public let dimension: Int
    /// `dimension` rounded up to a multiple of 16: the columns a row runs to.
    private let width: Int
    private let packed: [Float]

    /// Packs the symmetric `dimension` × `dimension` matrix whose entry (i, j) for j ≥ i is
    /// `entry(i, j)` (the lower triangle is not asked for).
    public init(dimension: Int, entry: (_ row: Int, _ column: Int) -> Float) {
        precondition(dimension >= 0, "a matrix of \(dimension) rows")
        let width = (dimension + 15) / 16 * 16
        var packed = [Float]()
        packed.reserveCapacity((0..<dimension).reduce(0) { $0 + (width - $1 / 16 * 16) })
        for i in 0..<dimension {
            for j in i / 16 * 16 ..< width {
                packed.append(j < i || j >= dimension ? 0 : (j == i ? entry(i, i) / 2 : entry(i, j)))
            }
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

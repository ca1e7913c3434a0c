import GantryKernels

/// A symmetric matrix A kept for its quadratic form xᵀAx, in about a quarter of its float bytes:
/// the upper triangle, each row i from the first column of its aligned block of 16 (column
/// 16·⌊i/16⌋: zeros left of the diagonal, half the diagonal entry on it), as int8 codes with a
/// scale per row (`SIMDKernels.encodeInt8Row`: at most half a step, max|row| / 254, per entry).
/// One pass of a SIMD kernel reads the codes 16 at a time with no remainder, four rows sharing
/// each load of x: xᵀAx = 2 Σᵢ xᵢ Σ_{j ≥ i} Pᵢⱼ xⱼ.
public struct PackedSymmetricMatrix: Sendable {
    /// The matrix is `dimension` × `dimension`.
    public let dimension: Int
    /// `dimension` rounded up to a multiple of 16: the columns a row runs to.
    private let width: Int
    private let codes: [Int8]
    private let scales: [Float]

    /// Packs the symmetric `dimension` × `dimension` matrix whose entry (i, j) for j ≥ i is
    /// `entry(i, j)` (the lower triangle is not asked for); entries must be finite.
    public init(dimension: Int, entry: (_ row: Int, _ column: Int) -> Float) {
        precondition(dimension >= 0, "a matrix of \(dimension) rows")
        let width = (dimension + 15) / 16 * 16
        var codes = [Int8](repeating: 0, count: (0..<dimension).reduce(0) { $0 + (width - $1 / 16 * 16) })
        var scales = [Float](repeating: 0, count: dimension), row = [Float](), start = 0
        codes.withUnsafeMutableBufferPointer { codes in
            for i in 0..<dimension {
                row.removeAll(keepingCapacity: true)
                for j in i / 16 * 16 ..< width { row.append(j < i || j >= dimension ? 0 : (j == i ? entry(i, i) / 2 : entry(i, j))) }
                scales[i] = row.withUnsafeBufferPointer { SIMDKernels.encodeInt8Row($0, into: codes.baseAddress! + start) }
                start += row.count
            }
        }
        (self.dimension, self.width, self.codes, self.scales) = (dimension, width, codes, scales)
    }

    /// xᵀAx, for `x` of `dimension` values.
    public func quadraticForm(_ x: [Float]) -> Float {
        precondition(x.count == dimension, "a vector of \(x.count) values for a \(dimension) × \(dimension) matrix")
        guard dimension > 0 else { return 0 }
        let padded = width == dimension ? x : x + repeatElement(0, count: width - dimension)
        return codes.withUnsafeBufferPointer { codes in
            padded.withUnsafeBufferPointer { 2 * gk_packed_quadratic(codes.baseAddress, scales, $0.baseAddress, dimension, width) }
        }
    }
}

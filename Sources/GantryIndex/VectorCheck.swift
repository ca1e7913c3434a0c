import GantryMath

/// Validation of incoming vectors, shared by the indexes.
enum VectorCheck {
    /// Checks length and finiteness without copying: one SIMD sum of squares, with an element
    /// scan only when that sum is not finite (NaN/infinity, or squares beyond Float's range).
    /// Under cosine, a zero vector is refused too.
    static func validate(_ vector: some ContiguousFloats, dimension: Int, metric: Metric = .innerProduct,
                         row: Int = 0) throws(IndexError) {
        guard vector.count == dimension else { throw .dimensionMismatch(expected: dimension, found: vector.count) }
        let squares = vector.withUnsafeBufferPointer { SIMDKernels.dot($0, $0) }
        if !squares.isFinite, vector.withUnsafeBufferPointer({ !$0.allSatisfy(\.isFinite) }) {
            throw .nonFiniteVector(row: row)
        }
        if metric == .cosine, squares == 0, vector.withUnsafeBufferPointer({ $0.allSatisfy { $0 == 0 } }) {
            throw .zeroVector(row: row)
        }
    }

    /// Scales each `dimension`-long row of `values` to unit length in place (`SIMDKernels.normalize`,
    /// exact over Float's whole range); rows must have passed `validate` under cosine (finite,
    /// not all zero), so every row has a direction.
    static func normalizeRows(_ values: UnsafeMutableBufferPointer<Float>, dimension: Int) {
        for start in stride(from: 0, to: values.count, by: dimension) {
            _ = SIMDKernels.normalize(UnsafeMutableBufferPointer(rebasing: values[start..<start + dimension]))
        }
    }

    /// Checks length and finiteness and returns a copy, normalized for cosine.
    static func prepare(_ vector: some ContiguousFloats, dimension: Int, metric: Metric, row: Int) throws(IndexError) -> [Float] {
        try validate(vector, dimension: dimension, metric: metric, row: row)
        var values = vector.withUnsafeBufferPointer { Array($0) }
        if metric == .cosine { values.withUnsafeMutableBufferPointer { normalizeRows($0, dimension: dimension) } }
        return values
    }

    /// Validates every row of a batch (all or nothing, no copies).
    static func validate(_ batch: Matrix, dimension: Int, metric: Metric) throws(IndexError) {
        guard batch.cols == dimension || batch.rows == 0 else { throw .dimensionMismatch(expected: dimension, found: batch.cols) }
        for row in 0..<batch.rows { try validate(batch.row(row), dimension: dimension, metric: metric, row: row) }
    }
}

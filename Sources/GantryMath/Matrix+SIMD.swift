extension Matrix {
    /// The `k` rows with the highest inner product with `query`, best first (ties: lower row).
    /// One fused pass: dot products and selection without a score array. Cost O(rows·cols).
    public func topKInnerProducts(with query: some ContiguousFloats, k: Int) throws(MathError) -> [ScoredIndex] {
        guard query.count == cols else {
            throw .shapeMismatch(operation: "topKInnerProducts", left: shape, right: Shape(rows: 1, cols: query.count),
                                 requirement: "the query needs one value per column")
        }
        var selection = TopKSelection(k: k)
        withUnsafeBufferPointer { all in
            query.withUnsafeBufferPointer { selection.offerInnerProducts(rows: all, query: $0) }
        }
        return selection.finish()
    }

    /// The Euclidean norm of every row (`SIMDKernels.norm`: exact over Float's whole range).
    public func rowNorms() -> [Float] {
        (0..<rows).map { r in withRow(r) { SIMDKernels.norm($0) } }
    }

    /// Scales every row to unit length, however tiny or large its values. If any row is all
    /// zero or holds NaN or infinity, nothing is changed and `MathError.cannotNormalize` lists
    /// those rows.
    public mutating func normalizeRows() throws(MathError) {
        let squares = (0..<rows).map { r in withRow(r) { SIMDKernels.dot($0, $0) } }
        let bad = squares.indices.filter { r in !withRow(r) { SIMDKernels.hasDirection($0, squares: squares[r]) } }
        guard bad.isEmpty else { throw .cannotNormalize(rows: bad) }
        let cols = self.cols
        withUnsafeMutableBufferPointer { all in
            for (r, rowSquares) in squares.enumerated() {
                _ = SIMDKernels.normalize(UnsafeMutableBufferPointer(rebasing: all[r * cols..<(r + 1) * cols]), squares: rowSquares)
            }
        }
    }
}

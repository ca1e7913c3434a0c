extension Matrix {
    /// The rows at `indices`, in that order, as a new matrix. Throws `MathError.shapeMismatch`
    /// when an index is outside `0..<rows`.
    public func gatherRows(_ indices: [Int]) throws(MathError) -> Matrix {
        if let bad = indices.first(where: { !(0..<rows).contains($0) }) {
            throw .lengthMismatch(operation: "gatherRows (row \(bad))", left: rows, right: bad + 1)
        }
        var out = Matrix(rows: indices.count, cols: cols)
        let d = cols
        withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for (slot, row) in indices.enumerated() {
                    _ = UnsafeMutableBufferPointer(rebasing: target[slot * d..<(slot + 1) * d])
                        .initialize(from: UnsafeBufferPointer(rebasing: source[row * d..<(row + 1) * d]))
                }
            }
        }
        return out
    }

    /// Adds `rows[i]` (when present) to row i. Precondition: each given row has `cols` values and
    /// `rows.count ≤ self.rows`.
    public mutating func addRows(_ rows: [[Float]?]) {
        precondition(rows.count <= self.rows, "addRows: \(rows.count) rows added to a matrix of \(self.rows)")
        let d = cols
        withUnsafeMutableBufferPointer { out in
            for (i, row) in rows.enumerated() {
                guard let row else { continue }
                row.withUnsafeBufferPointer { SIMDKernels.axpy(1, $0, UnsafeMutableBufferPointer(rebasing: out[i * d..<(i + 1) * d])) }
            }
        }
    }
}

extension Matrix {
    /// The rows at `indices`, in that order, as a new matrix. Throws `MathError.lengthMismatch`
    /// when an index is outside `0..<rows`.
    public func gatherRows(_ indices: [Int]) throws(MathError) -> Matrix {
        if let bad = indices.first(where: { !(0..<rows).contains($0) }) {
            throw .lengthMismatch(operation: "gatherRows (row \(bad))", left: rows, right: bad + 1)
        }
        let d = cols
        guard d > 0 else { return try Matrix(rows: indices.count, cols: 0, values: []) }
        // Written straight into uninitialized storage: a zero fill first would double the memory
        // traffic of the trainer's per-step row gathers.
        let values = [Float](unsafeUninitializedCapacity: indices.count * d) { target, initialized in
            withUnsafeBufferPointer { source in
                for (slot, row) in indices.enumerated() {
                    (target.baseAddress! + slot * d).initialize(from: source.baseAddress! + row * d, count: d)
                }
            }
            initialized = indices.count * d
        }
        return try Matrix(rows: indices.count, cols: d, values: values)
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

import GantryMath

extension AdapterParameters {
    /// self ← keeping·self + (1 − keeping)·other (a running average of the parameters).
    mutating func blend(_ other: AdapterParameters, keeping: Float) {
        func mix(_ a: inout Matrix, _ b: Matrix) {
            b.withUnsafeBufferPointer { source in
                a.withUnsafeMutableBufferPointer { target in
                    SIMDKernels.scale(target, by: keeping)
                    SIMDKernels.axpy(1 - keeping, source, target)
                }
            }
        }
        mix(&up, other.up)
        mix(&down, other.down)
        if offsets != nil, let theirs = other.offsets { mix(&offsets!, theirs) }
    }
}

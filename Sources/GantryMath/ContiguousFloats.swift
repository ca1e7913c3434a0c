/// Contiguous `Float` storage the checked kernels accept: `[Float]`, `ArraySlice<Float>`,
/// `ContiguousArray<Float>`.
public protocol ContiguousFloats {
    /// The number of floats.
    var count: Int { get }
    /// Calls `body` with a pointer to the floats, valid only for the duration of the call.
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R
}

extension Array: ContiguousFloats where Element == Float {}
extension ArraySlice: ContiguousFloats where Element == Float {}
extension ContiguousArray: ContiguousFloats where Element == Float {}

/// Contiguous `Float` storage the checked kernels accept: `[Float]`, `ArraySlice<Float>`,
/// `ContiguousArray<Float>`.
public protocol ContiguousFloats {
    var count: Int { get }
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R
}

extension Array: ContiguousFloats where Element == Float {}
extension ArraySlice: ContiguousFloats where Element == Float {}
extension ContiguousArray: ContiguousFloats where Element == Float {}

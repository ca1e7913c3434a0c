/// Float storage for the encoder's small tensors, freed with it.
final class Arena: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Float>
    private let capacity: Int
    private var used = 0

    init(capacity: Int) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    deinit { base.deallocate() }

    /// A copy of `values` that lives as long as the arena.
    func copy(_ values: UnsafeBufferPointer<Float>) -> UnsafeBufferPointer<Float> {
        precondition(used + values.count <= capacity, "arena too small")
        let target = UnsafeMutableBufferPointer(start: base + used, count: values.count)
        _ = target.initialize(from: values)
        used += values.count
        return UnsafeBufferPointer(target)
    }
}

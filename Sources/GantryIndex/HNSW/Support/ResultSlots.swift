/// Results written by parallel workers, one slot each. Rule: each index is written by one
/// worker exactly once, and read only after `concurrentPerform` returns.
final class ResultSlots: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<[SearchResult]>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: [], count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func store(_ value: [SearchResult], at index: Int) { slots[index] = value }

    var values: [[SearchResult]] { Array(UnsafeBufferPointer(start: slots, count: count)) }
}

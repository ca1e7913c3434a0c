/// Per-search working memory: an epoch-stamped visited set (no clearing between searches)
/// and the heaps, reused across searches. Used by one search at a time (see `ScratchPool`).
final class Scratch: @unchecked Sendable {
    var visited: UnsafeMutablePointer<UInt32>
    var capacity: Int
    var epoch: UInt32 = 0
    var candidates = BinaryHeap(maxOnTop: true)
    var results = BinaryHeap(maxOnTop: false)
    /// One neighbor list (at most 2·1024 links) and its scores.
    let neighbors = UnsafeMutablePointer<Int32>.allocate(capacity: 2048)
    let scores = UnsafeMutablePointer<Float>.allocate(capacity: 2048)

    init(capacity: Int) {
        self.capacity = capacity
        visited = .allocate(capacity: max(capacity, 1))
        visited.initialize(repeating: 0, count: max(capacity, 1))
    }

    deinit {
        visited.deallocate()
        neighbors.deallocate()
        scores.deallocate()
    }

    func ensure(_ needed: Int) {
        guard needed > capacity else { return }
        visited.deallocate()
        capacity = max(needed, capacity * 2)
        visited = .allocate(capacity: capacity)
        visited.initialize(repeating: 0, count: capacity)
        epoch = 0
    }

    /// A fresh stamp; on wrap-around the set is cleared once.
    func nextEpoch() -> UInt32 {
        if epoch == .max {
            visited.update(repeating: 0, count: capacity)
            epoch = 0
        }
        epoch += 1
        return epoch
    }
}

import GantryKernels

/// `count` independent top-k selections in one allocation: one per query of a batch whose
/// scores arrive tile by tile (`offer(scores:firstIndex:for:)`), as in tiled batched search.
public struct TopKSelections: ~Copyable {
    /// The number of pairs each selection keeps at most.
    public let k: Int
    @usableFromInline var states: [gk_topk]
    private let block: UnsafeMutableRawPointer

    /// `count` empty selections that each keep the `k` best scores offered; one allocation of
    /// `count · k · 12` bytes. Precondition: `count` and `k` are not negative.
    public init(count: Int, k: Int) {
        precondition(k >= 0 && count >= 0, "k and count must not be negative")
        self.k = k
        let slots = max(k, 1)
        block = .allocate(byteCount: max(count, 1) * slots * 12, alignment: 8)
        let indices = block.bindMemory(to: Int64.self, capacity: max(count, 1) * slots)
        let scores = (block + max(count, 1) * slots * 8).bindMemory(to: Float.self, capacity: max(count, 1) * slots)
        states = (0..<count).map { gk_topk(scores: scores + $0 * slots, ids: indices + $0 * slots, count: 0, capacity: k, floor: -.infinity) }
    }

    deinit { block.deallocate() }

    /// Offers `scores[i]` as index `firstIndex + i` to selection `selection`.
    public mutating func offer(scores: UnsafeBufferPointer<Float>, firstIndex: Int, for selection: Int) {
        states.withUnsafeMutableBufferPointer { gk_topk_push_scores(&$0[selection], scores.baseAddress, scores.count, Int64(firstIndex)) }
    }

    /// Every selection's pairs, best first, each passed through `transform(selection, index, score)`.
    @inlinable
    public consuming func finish<T>(_ transform: (Int, Int, Float) throws -> T) rethrows -> [[T]] {
        var result = [[T]]()
        result.reserveCapacity(states.count)
        for s in states.indices {
            gk_topk_finish(&states[s])
            let state = states[s]
            var row = [T]()
            row.reserveCapacity(state.count)
            for i in 0..<state.count { row.append(try transform(s, Int(state.ids[i]), state.scores[i])) }
            result.append(row)
        }
        return result
    }
}


/// A binary heap of scored slots, best-first (`maxOnTop`) or worst-first.
struct BinaryHeap {
    private(set) var elements: [ScoredSlot] = []
    let maxOnTop: Bool

    init(maxOnTop: Bool) { self.maxOnTop = maxOnTop }

    var count: Int { elements.count }
    var top: ScoredSlot? { elements.first }

    @inline(__always)
    private func above(_ a: ScoredSlot, _ b: ScoredSlot) -> Bool { maxOnTop ? a.score > b.score : a.score < b.score }

    mutating func push(_ element: ScoredSlot) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard above(elements[child], elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() {
        let last = elements.removeLast()
        guard !elements.isEmpty else { return }
        elements[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < elements.count, above(elements[left], elements[best]) { best = left }
            if right < elements.count, above(elements[right], elements[best]) { best = right }
            if best == parent { return }
            elements.swapAt(parent, best)
            parent = best
        }
    }

    mutating func removeAll() { elements.removeAll(keepingCapacity: true) }
}

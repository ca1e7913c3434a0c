
/// A binary heap of scored slots, best-first (`maxOnTop`) or worst-first. Sifts move a hole
/// instead of swapping, on the array's buffer without bounds checks (indices stay below `count`).
struct BinaryHeap {
    private(set) var elements: [ScoredSlot] = []
    let maxOnTop: Bool

    init(maxOnTop: Bool) { self.maxOnTop = maxOnTop }

    var count: Int { elements.count }
    var top: ScoredSlot? { elements.first }

    mutating func push(_ element: ScoredSlot) {
        elements.append(element)
        let maxOnTop = maxOnTop
        elements.withUnsafeMutableBufferPointer { heap in
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard maxOnTop ? element.score > heap[parent].score : element.score < heap[parent].score else { break }
                heap[child] = heap[parent]
                child = parent
            }
            heap[child] = element
        }
    }

    mutating func pop() {
        let last = elements.removeLast()
        guard !elements.isEmpty else { return }
        let maxOnTop = maxOnTop
        elements.withUnsafeMutableBufferPointer { heap in
            let count = heap.count
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                var best = left
                if left + 1 < count, maxOnTop ? heap[left + 1].score > heap[left].score : heap[left + 1].score < heap[left].score {
                    best = left + 1
                }
                guard maxOnTop ? heap[best].score > last.score : heap[best].score < last.score else { break }
                heap[parent] = heap[best]
                parent = best
            }
            heap[parent] = last
        }
    }

    mutating func removeAll() { elements.removeAll(keepingCapacity: true) }
}

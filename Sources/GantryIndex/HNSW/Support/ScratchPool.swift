import Synchronization

/// Scratch objects handed to one search at a time. Rule: a borrowed scratch belongs to its
/// search alone until it is given back.
final class ScratchPool: Sendable {
    private let free = Mutex<[Scratch]>([])

    func borrow(capacity: Int) -> Scratch {
        let scratch = free.withLock { $0.popLast() } ?? Scratch(capacity: capacity)
        scratch.ensure(capacity)
        return scratch
    }

    func giveBack(_ scratch: Scratch) {
        free.withLock { $0.append(scratch) }
    }
}

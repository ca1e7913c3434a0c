/// Scratch objects handed to one search at a time. Rule: `free` is touched only under `lock` (a
/// `LockStripes` of one, for the thread sanitizer's sake: see there); a borrowed scratch belongs
/// to its search alone until it is given back.
final class ScratchPool: @unchecked Sendable {
    private var free: [Scratch] = []
    private let lock = LockStripes(count: 1)

    func borrow(capacity: Int) -> Scratch {
        let scratch = lock.withLock(0) { free.popLast() } ?? Scratch(capacity: capacity)
        scratch.ensure(capacity)
        return scratch
    }

    func giveBack(_ scratch: Scratch) {
        lock.withLock(0) { free.append(scratch) }
    }
}

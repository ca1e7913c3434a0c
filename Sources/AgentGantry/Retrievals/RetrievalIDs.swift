import Foundation

/// Hands out this process's retrieval ids without waiting for the store: a counter within a
/// block of 2³² ids. The first retrieval starts reserving a block from the store in the
/// background (`GantryStore.reserveRetrievalBlock()`: unique across every process of the store,
/// numbered from 1 upwards), so an open that never retrieves writes nothing; until it lands —
/// and for good on a store that cannot reserve (read-only, unreachable) — ids come from a block
/// drawn at random from the upper half of the block numbers, which reserved blocks do not reach
/// in practice. A used-up block is replaced the same way.
final class RetrievalIDs: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var block: Int64, counter: UInt32 = 0, reserving = false, reserved = false
    private let reserve: @Sendable () async throws(GantryError) -> Int64

    /// Ids in blocks that `reserve` gives.
    init(reserve: @escaping @Sendable () async throws(GantryError) -> Int64) {
        self.reserve = reserve
        block = Self.randomBlock()
    }

    /// An id no earlier call returned.
    func next() -> RetrievalID {
        let (id, startsReservation) = lock.withLock { () -> (RetrievalID, Bool) in
            if counter == .max { (block, counter, reserved) = (Self.randomBlock(), 0, false) }
            counter += 1
            let starts = !reserved && !reserving
            if starts { reserving = true }
            return (RetrievalID(block: block, counter: counter), starts)
        }
        if startsReservation {
            let reserve = reserve
            Task {
                let block = try? await reserve()
                lock.withLock {
                    reserving = false
                    guard let block else { reserved = true; return }  // not again: this store cannot reserve
                    (self.block, counter, reserved) = (block, 0, true)
                }
            }
        }
        return id
    }

    private static func randomBlock() -> Int64 { Int64.random(in: 1 << 30..<Int64(Int32.max)) }
}

import Foundation

/// The frozen embeddings of recently asked query texts, so that a text asked again — agents
/// repeat themselves, and a feedback report repeats its retrieval's query — is not encoded
/// again (the encoder is about 95% of a retrieval).
///
/// Keyed by a 128-bit hash of the text's exact UTF-8 bytes (two SipHash digests under this
/// process's random seed: texts that differ only in Unicode normalisation are different keys);
/// no text is kept. The least recently used entry goes first once `entryLimit` entries or
/// `byteLimit` bytes of vectors are held. Safe from any thread: retrievals read it off the actor,
/// under an `NSLock` (whose waits the thread sanitizer sees, unlike `Synchronization.Mutex`'s).
final class QueryEmbeddingCache: @unchecked Sendable {
    /// A text's 128-bit key.
    struct Key: Hashable {
        let high: UInt64
        let low: UInt64

        init(_ text: String) {
            var text = text, high = Hasher(), low = Hasher()
            high.combine(0 as UInt8)
            low.combine(1 as UInt8)
            text.withUTF8 { bytes in
                high.combine(bytes: UnsafeRawBufferPointer(bytes))
                low.combine(bytes: UnsafeRawBufferPointer(bytes))
            }
            (self.high, self.low) = (UInt64(bitPattern: Int64(high.finalize())), UInt64(bitPattern: Int64(low.finalize())))
        }
    }

    /// One cached vector and its neighbours in recency order (slots of `entries`; -1: none).
    private struct Entry {
        var key: Key
        var vector: [Float]
        var newer: Int
        var older: Int
    }

    let entryLimit: Int
    let byteLimit: Int
    private let lock = NSLock()
    private var slots = [Key: Int]()
    private var entries = [Entry]()
    private var freeSlots = [Int]()
    private var newest = -1, oldest = -1
    private var bytes = 0, hits = 0, misses = 0

    /// A cache of at most `entryLimit` vectors and `byteLimit` bytes of them (either 0: nothing
    /// is kept, every text is a miss).
    init(entryLimit: Int, byteLimit: Int) {
        (self.entryLimit, self.byteLimit) = (entryLimit, byteLimit)
    }

    /// The vector cached under `key`, made the most recently used; nil (a miss) when there is none.
    func vector(for key: Key) -> [Float]? {
        lock.withLock {
            guard let slot = slots[key] else {
                misses += 1
                return nil
            }
            hits += 1
            unlink(slot)
            pushNewest(slot)
            return entries[slot].vector
        }
    }

    /// Caches `vector` under `key` as the most recently used, evicting the least recently used
    /// entries past the limits (a vector larger than `byteLimit` is not kept).
    func insert(_ vector: [Float], for key: Key) {
        let size = vector.count * MemoryLayout<Float>.stride
        guard entryLimit > 0, size <= byteLimit else { return }
        lock.withLock {
            if let slot = slots[key] { remove(slot) }
            while oldest >= 0, slots.count >= entryLimit || bytes + size > byteLimit { remove(oldest) }
            let entry = Entry(key: key, vector: vector, newer: -1, older: -1)
            let slot: Int
            if let free = freeSlots.popLast() {
                entries[free] = entry
                slot = free
            } else {
                entries.append(entry)
                slot = entries.count - 1
            }
            slots[key] = slot
            bytes += size
            pushNewest(slot)
        }
    }

    /// Drops every entry (the counters stay).
    func removeAll() {
        lock.withLock {
            slots.removeAll()
            entries.removeAll()
            freeSlots.removeAll()
            (newest, oldest, bytes) = (-1, -1, 0)
        }
    }

    /// Hits, misses, entries and bytes so far.
    var statistics: QueryCacheStatistics {
        lock.withLock { QueryCacheStatistics(hits: hits, misses: misses, entries: slots.count, bytes: bytes) }
    }

    /// Removes the entry at `slot` (under the lock).
    private func remove(_ slot: Int) {
        unlink(slot)
        slots[entries[slot].key] = nil
        bytes -= entries[slot].vector.count * MemoryLayout<Float>.stride
        entries[slot].vector = []
        freeSlots.append(slot)
    }

    /// Takes `slot` out of the recency order (under the lock).
    private func unlink(_ slot: Int) {
        let (newer, older) = (entries[slot].newer, entries[slot].older)
        if newer >= 0 { entries[newer].older = older } else { newest = older }
        if older >= 0 { entries[older].newer = newer } else { oldest = newer }
        (entries[slot].newer, entries[slot].older) = (-1, -1)
    }

    /// Puts `slot` first in the recency order (under the lock).
    private func pushNewest(_ slot: Int) {
        entries[slot].older = newest
        if newest >= 0 { entries[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}

/// How the query embedding cache has served (`AgentGantry.queryCacheStatistics`).
public struct QueryCacheStatistics: Sendable, Equatable {
    /// Texts found cached since the gantry opened.
    public var hits: Int
    /// Texts encoded since the gantry opened (not found, or the cache is off).
    public var misses: Int
    /// Vectors held now.
    public var entries: Int
    /// Bytes of vectors held now.
    public var bytes: Int
}

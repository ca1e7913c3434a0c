/// A `LexicalIndex`'s term dictionary as a search reads it (`PreparedPostings`): a term's id
/// looked up by its UTF-8 bytes — what tokenizing a query gives (`ToolTokenizer.forEachASCIITerm`)
/// — without a `String` made of each term or the standard library's seeded hashing of it.
///
/// Open addressing with linear probing over `ToolTokenizer.termHash` (FNV-1a: cheap for terms of
/// a few bytes), at most half full. A slot holds all a probe reads before the term's bytes — its
/// hash, id, and where its bytes are and how many — so that a lookup costs about two cache
/// misses (a query's terms are rarely in cache); the bytes, kept one after another, confirm a
/// match, so the lookup is exact (terms of one hash are told apart).
struct TermTable: Sendable {
    private struct Slot {
        var hash: UInt64 = 0
        var start = 0
        /// -1: empty.
        var id: Int32 = -1
        var length: Int32 = 0
    }

    private let slots: [Slot]
    private let bytes: [UInt8]

    /// The table of `termIDs` (ids `0 ..< termIDs.count`, each once).
    init(_ termIDs: [String: Int32]) {
        var capacity = 16
        while capacity < 2 * termIDs.count { capacity *= 2 }
        var slots = [Slot](repeating: Slot(), count: capacity), bytes = [UInt8]()
        for (term, id) in termIDs.sorted(by: { $0.value < $1.value }) {
            let hash = ToolTokenizer.termHash(term)
            var slot = Self.home(hash, capacity)
            while slots[slot].id >= 0 { slot = (slot + 1) & (capacity - 1) }
            slots[slot] = Slot(hash: hash, start: bytes.count, id: id, length: Int32(term.utf8.count))
            bytes += term.utf8
        }
        (self.slots, self.bytes) = (slots, bytes)
    }

    /// The id of the term of UTF-8 bytes `term`; nil when the index holds no such term.
    func id(of term: UnsafeBufferPointer<UInt8>) -> Int32? {
        let hash = ToolTokenizer.termHash(bytes: term)
        return slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var at = Self.home(hash, slots.count)
            while slots[at].id >= 0 {
                let slot = slots[at]
                if slot.hash == hash, Int(slot.length) == term.count, matches(slot.start, term) { return slot.id }
                at = (at + 1) & mask
            }
            return nil
        }
    }

    /// Whether the bytes from `start` are `term`'s.
    private func matches(_ start: Int, _ term: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer { bytes in
            for i in 0..<term.count where bytes[start + i] != term[i] { return false }
            return true
        }
    }

    /// The first slot to probe for `hash` in a table of `capacity` (a power of two) slots: the
    /// hash's halves folded, as FNV-1a's low bits alone mix less.
    private static func home(_ hash: UInt64, _ capacity: Int) -> Int {
        Int(truncatingIfNeeded: hash ^ hash >> 32) & (capacity - 1)
    }
}

import Foundation

/// A `LexicalIndex`'s term dictionary as a search reads it (`PreparedPostings`): a term's id
/// looked up by its UTF-8 bytes — what tokenizing a query gives (`ToolTokenizer.forEachASCIITerm`)
/// — without a `String` made of each term or the standard library's seeded hashing of it.
///
/// Open addressing with linear probing over `ToolTokenizer.termHash` (FNV-1a: cheap for terms of
/// a few bytes), at most half full. A slot holds a term's hash and id; the terms' bytes, kept one
/// after another in id order, confirm a match, so the lookup is exact (terms of one hash are
/// told apart).
struct TermTable: Sendable {
    /// Per slot: the id of the term there (-1: empty) and its hash.
    private let slotIDs: [Int32]
    private let slotHashes: [UInt64]
    /// Term `id`'s bytes are `bytes[starts[id] ..< starts[id + 1]]`.
    private let starts: [Int]
    private let bytes: [UInt8]

    /// The table of `termIDs` (ids `0 ..< termIDs.count`, each once).
    init(_ termIDs: [String: Int32]) {
        var byID = [String](repeating: "", count: termIDs.count)
        for (term, id) in termIDs { byID[Int(id)] = term }
        var starts = [0], bytes = [UInt8]()
        for term in byID {
            bytes += term.utf8
            starts.append(bytes.count)
        }
        var capacity = 16
        while capacity < 2 * termIDs.count { capacity *= 2 }
        var slotIDs = [Int32](repeating: -1, count: capacity), slotHashes = [UInt64](repeating: 0, count: capacity)
        for (id, term) in byID.enumerated() {
            let hash = ToolTokenizer.termHash(term)
            var slot = Self.home(hash, capacity)
            while slotIDs[slot] >= 0 { slot = (slot + 1) & (capacity - 1) }
            (slotIDs[slot], slotHashes[slot]) = (Int32(id), hash)
        }
        (self.slotIDs, self.slotHashes, self.starts, self.bytes) = (slotIDs, slotHashes, starts, bytes)
    }

    /// The id of the term of UTF-8 bytes `term`; nil when the index holds no such term.
    func id(of term: UnsafeBufferPointer<UInt8>) -> Int32? {
        let hash = ToolTokenizer.termHash(term), mask = slotIDs.count - 1
        var slot = Self.home(hash, slotIDs.count)
        while true {
            let id = slotIDs[slot]
            guard id >= 0 else { return nil }
            if slotHashes[slot] == hash, matches(Int(id), term) { return id }
            slot = (slot + 1) & mask
        }
    }

    /// Whether term `id`'s bytes are `term`.
    private func matches(_ id: Int, _ term: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[id], end = starts[id + 1]
        guard end - start == term.count else { return false }
        return bytes.withUnsafeBufferPointer { bytes in
            term.count == 0 || memcmp(bytes.baseAddress! + start, term.baseAddress!, term.count) == 0
        }
    }

    /// The first slot to probe for `hash` in a table of `capacity` (a power of two) slots: the
    /// hash's halves folded, as FNV-1a's low bits alone mix less.
    private static func home(_ hash: UInt64, _ capacity: Int) -> Int {
        Int(truncatingIfNeeded: hash ^ hash >> 32) & (capacity - 1)
    }
}

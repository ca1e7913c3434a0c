import GantryMath

/// A `LexicalIndex`'s postings weighted for searching under its current statistics
/// (`LexicalIndex.prepareForSearch()`): each posting's saturated term frequency t̃f / (k1 + t̃f), so
/// that a query adds idf × weight per posting instead of normalising and saturating.
///
/// A term that many documents hold (at least one slot in `rowShare`: "get", "the", "api") is
/// kept as one masked row over every slot instead — a bit per slot (set where the term occurs)
/// and the weights of the set bits in order —, and a query's rows are added 16 slots at a time,
/// all in one pass (`SIMDKernels.addMaskedRows`, one expanding load per row and 16 slots): a
/// scattered add costs about as much per posting as a row costs per 16 slots, and such terms are
/// in most queries. A row reads 1/8 byte per slot and 4 per posting, against 4 per slot for a
/// row of every slot's weight (what it replaced: 3 to 4 times the memory traffic on large
/// catalogues), and takes no more memory than the postings' slots and weights it replaces.
///
/// A class (immutable): an index and every copy of it share one, and passing an index around
/// retains it once rather than each of its arrays.
final class PreparedPostings: Sendable {
    /// Per term, its postings' weights in slot order; empty for a term kept as a row.
    private let weights: [[Float]]
    /// Per term, the start of its row's masks in `masks` and of its values in `values`, or -1.
    private let maskStart: [Int]
    private let valueStart: [Int]
    /// The rows' masks, ⌈`slotCount` / 16⌉ words each, one row after another.
    private let masks: [UInt16]
    /// The rows' nonzero weights, in slot order, one row after another.
    private let values: [Float]
    /// The slots (documents and tombstones) every row covers.
    let slotCount: Int
    /// The terms, looked up by their bytes.
    let terms: TermTable
    /// Per term, its idf under the current statistics.
    let idfs: [Float]

    /// A term held by at least one slot in `rowShare` is kept as a row.
    static let rowShare = 8

    /// The postings of `slots` (per term, ascending) with `weights` (per term, per posting), the
    /// terms of `termIDs` and their `idfs` (per term id).
    init(slots: [[Int32]], weights: [[Float]], slotCount: Int, termIDs: [String: Int32], idfs: [Float]) {
        (self.slotCount, terms, self.idfs) = (slotCount, TermTable(termIDs), idfs)
        let words = (slotCount + 15) / 16
        var maskStart = [Int](repeating: -1, count: slots.count), valueStart = maskStart
        var masks = [UInt16](), values = [Float](), kept = weights
        for term in slots.indices where slots[term].count * Self.rowShare >= slotCount && !slots[term].isEmpty {
            (maskStart[term], valueStart[term]) = (masks.count, values.count)
            masks += repeatElement(0, count: words)
            // Postings of tombstones weigh 0: they are left out of the row.
            for (slot, weight) in zip(slots[term], weights[term]) where weight != 0 {
                masks[maskStart[term] + Int(slot) / 16] |= 1 << UInt16(slot % 16)
                values.append(weight)
            }
            kept[term] = []
        }
        (self.weights, self.maskStart, self.valueStart, self.masks, self.values) = (kept, maskStart, valueStart, masks, values)
    }

    /// Adds `idf` × the weight of each posting of `terms` to `scores` (`slotCount` floats): the
    /// scattered terms posting by posting (their slots: `postingSlots`), then every row term in
    /// one pass that also summarises the result (`SIMDKernels.addMaskedRows`: Σ, Σ² and the
    /// maximum of each block of `summaryBlock` slots).
    func add(_ terms: [(termID: Int, idf: Float)], postingSlots: [[Int32]], to scores: UnsafeMutableBufferPointer<Float>,
             summaryBlock: Int) -> LexicalScores.Summary {
        var rowTerms = [(term: Int, idf: Float)]()
        for (term, idf) in terms {
            if maskStart[term] >= 0 {
                rowTerms.append((term, idf))
                continue
            }
            postingSlots[term].withUnsafeBufferPointer { slots in
                weights[term].withUnsafeBufferPointer { weights in
                    for i in 0..<slots.count { scores[Int(slots[i])] += idf * weights[i] }
                }
            }
        }
        return masks.withUnsafeBufferPointer { masks in
            values.withUnsafeBufferPointer { values in
                let rows = rowTerms.map { SIMDKernels.MaskedRow(masks: masks.baseAddress! + maskStart[$0.term],
                                                                values: values.baseAddress! + valueStart[$0.term]) }
                return SIMDKernels.addMaskedRows(rows, weights: rowTerms.map(\.idf), to: scores, block: summaryBlock)
            }
        }
    }
}

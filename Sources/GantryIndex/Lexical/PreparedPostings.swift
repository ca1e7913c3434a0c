import GantryMath

/// A `LexicalIndex`'s postings weighted for searching under its current statistics
/// (`LexicalIndex.prepareForSearch()`): each posting's saturated term frequency t̃f / (k1 + t̃f), so
/// that a query adds idf × weight per posting instead of normalising and saturating.
///
/// A term that many documents hold (at least one slot in `rowShare`: "get", "the", "api") is
/// kept as one row over every slot instead, and a query's rows are added 16 slots at a time, four
/// rows per pass, the last pass also summarising (`SIMDKernels.addMaskedRows`): a scattered add
/// costs about as much per posting as a row costs per 16 slots, and such terms are in most
/// queries. Where the kernels expand 16 values with one load (AVX-512) a row is masked — a bit
/// per slot, set where the term occurs, and the weights of the set bits in order: it reads 1/8
/// byte per slot and 4 per posting, against 4 per slot for a dense row (3 to 4 times less
/// traffic on large catalogues), and takes the memory of the weights it replaces plus its mask
/// (at most a byte per posting: a row term has a posting in 8 slots). Elsewhere a row is dense —
/// every slot's weight, every bit set, 4 bytes per slot —, which those kernels read faster.
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
    /// The rows' weights (only the nonzero ones in masked rows), in slot order, one row after
    /// another.
    private let values: [Float]
    /// The terms, looked up by their bytes.
    let terms: TermTable
    /// Per term, its idf under the current statistics.
    let idfs: [Float]

    /// A term held by at least one slot in `rowShare` is kept as a row.
    static let rowShare = 8

    /// The postings of `slots` (per term, ascending) with `weights` (per term, per posting), the
    /// terms of `termIDs` and their `idfs` (per term id); rows masked (`sparseRows`) where the
    /// kernels expand 16 values with one load (AVX-512), dense elsewhere (a step per set bit
    /// costs them more than reading every slot: measured 37 against 11.5 µs per query on AVX2).
    init(slots: [[Int32]], weights: [[Float]], slotCount: Int, termIDs: [String: Int32], idfs: [Float], sparseRows: Bool) {
        (terms, self.idfs) = (TermTable(termIDs), idfs)
        let words = (slotCount + 15) / 16
        var maskStart = [Int](repeating: -1, count: slots.count), valueStart = maskStart
        var masks = [UInt16](), values = [Float](), kept = weights
        for term in slots.indices where slots[term].count * Self.rowShare >= slotCount && !slots[term].isEmpty {
            (maskStart[term], valueStart[term]) = (masks.count, values.count)
            if sparseRows {
                masks += repeatElement(0, count: words)
                // Postings of tombstones weigh 0: they are left out of the row.
                for (slot, weight) in zip(slots[term], weights[term]) where weight != 0 {
                    masks[maskStart[term] + Int(slot) / 16] |= 1 << UInt16(slot % 16)
                    values.append(weight)
                }
            } else {
                // Every slot's weight, every bit set but past the last slot.
                masks += repeatElement(0xFFFF, count: words)
                if slotCount % 16 != 0 { masks[masks.count - 1] = UInt16((1 << (slotCount % 16)) - 1) }
                let start = values.count
                values += repeatElement(0, count: slotCount)
                for (slot, weight) in zip(slots[term], weights[term]) { values[start + Int(slot)] = weight }
            }
            kept[term] = []
        }
        (self.weights, self.maskStart, self.valueStart, self.masks, self.values) = (kept, maskStart, valueStart, masks, values)
    }

    /// Adds `idf` × the weight of each posting of `terms` to `scores` (`slotCount` floats): the
    /// scattered terms posting by posting (their slots: `postingSlots`), then the row terms, four
    /// per pass, the last pass also summarising the result (`SIMDKernels.addMaskedRows`: Σ, Σ²
    /// and the maximum of each block of `summaryBlock` slots).
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

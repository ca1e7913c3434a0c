import GantryMath

/// A `LexicalIndex`'s postings weighted for searching under its current statistics
/// (`LexicalIndex.prepareForSearch()`): each posting's saturated term frequency t̃f / (k1 + t̃f), so
/// that a query adds idf × weight per posting instead of normalising and saturating.
///
/// A term that many documents hold (at least one slot in `denseShare`: "get", "the", "api") is
/// kept as one row of weights over every slot instead, and a query's rows are added 16 slots at
/// a time, all in one pass (`SIMDKernels.addRows`): a scattered add costs about as much per
/// posting as a vector add does per 8 slots, and such terms are in most queries. A row costs at most `denseShare` times the memory
/// of the postings it replaces.
struct PreparedPostings: Sendable {
    /// Per term, its postings' weights in slot order; empty for a term kept as a row.
    private let weights: [[Float]]
    /// Per term, the start of its row in `rows`, or -1.
    private let rowStart: [Int]
    /// The dense rows, `slotCount` floats each, one after another.
    private let rows: [Float]
    /// The slots (documents and tombstones) every row covers.
    let slotCount: Int

    /// A term held by at least one slot in `denseShare` is kept as a row.
    static let denseShare = 8

    /// The postings of `slots` (per term, ascending) with `weights` (per term, per posting).
    init(slots: [[Int32]], weights: [[Float]], slotCount: Int) {
        self.slotCount = slotCount
        var rowStart = [Int](repeating: -1, count: slots.count), rows = [Float](), kept = weights
        for term in slots.indices where slots[term].count * Self.denseShare >= slotCount && !slots[term].isEmpty {
            rowStart[term] = rows.count
            rows += repeatElement(0, count: slotCount)
            for (slot, weight) in zip(slots[term], weights[term]) { rows[rowStart[term] + Int(slot)] = weight }
            kept[term] = []
        }
        (self.weights, self.rowStart, self.rows) = (kept, rowStart, rows)
    }

    /// Adds `idf` × the weight of each posting of `terms` to `scores` (`slotCount` floats): the
    /// scattered terms posting by posting (their slots: `postingSlots`), then every row term in
    /// one pass that also summarises the result (`SIMDKernels.addRows`: Σ, Σ² and the maximum of
    /// each block of `summaryBlock` slots).
    func add(_ terms: [(termID: Int, idf: Float)], postingSlots: [[Int32]], to scores: UnsafeMutableBufferPointer<Float>,
             summaryBlock: Int) -> LexicalScores.Summary {
        var rowTerms = [(start: Int, idf: Float)]()
        for (term, idf) in terms {
            if rowStart[term] >= 0 {
                rowTerms.append((rowStart[term], idf))
                continue
            }
            postingSlots[term].withUnsafeBufferPointer { slots in
                weights[term].withUnsafeBufferPointer { weights in
                    for i in 0..<slots.count { scores[Int(slots[i])] += idf * weights[i] }
                }
            }
        }
        return rows.withUnsafeBufferPointer { rows in
            SIMDKernels.addRows(rowTerms.map { rows.baseAddress! + $0.start }, weights: rowTerms.map(\.idf), to: scores, block: summaryBlock)
        }
    }
}

import GantryMath

/// One query's BM25F scores over a `LexicalIndex`, computed once (`LexicalIndex.scoring(_:)`)
/// and read as often as needed: a document's score, the catalogue's statistics (for z-score
/// fusion) and the best documents. It holds what it reads of the index it scored — the ids of
/// its slots and which of them hold documents (copy-on-write values: no copy is made) —, so later
/// changes to the caller's index do not affect it; only those, so that passing it around retains
/// three buffers, not the index's twenty.
public struct LexicalScores: Sendable {
    let idMap: IDMap
    let live: [Bool]
    let liveCount: Int
    /// Per slot of the index; 0 for documents without a query term and for tombstones.
    let slotScores: [Float]
    /// Σ score and Σ score² over the slots (tombstones score 0: they add nothing).
    private let sums: (sum: Double, squares: Double)
    /// The highest score of each run of `blockSize` slots: the k-th highest of them is a floor
    /// for the best k scores (k blocks each hold a score that high), which spares a top-k
    /// selection offering every matching document of a common term.
    private let blockMaxima: [Float]

    /// Slots per entry of `blockMaxima`.
    static let blockSize = 64

    /// Σ score, Σ score² and the highest score of each block of `blockSize` slots.
    typealias Summary = (sum: Double, squares: Double, blockMaxima: [Float])

    /// The scores `slotScores` of `index`, with their sums and block maxima (`summary`).
    init(index: LexicalIndex, slotScores: [Float], summary: Summary) {
        (idMap, live, liveCount, self.slotScores) = (index.idMap, index.live, index.liveCount, slotScores)
        (sums, blockMaxima) = ((summary.sum, summary.squares), summary.blockMaxima)
    }

    /// The score of `id`; nil when `id` is not indexed.
    public func score(of id: VectorID) -> Float? {
        guard let slot = idMap.slot(of: id), live[Int(slot)] else { return nil }
        return slotScores[Int(slot)]
    }

    /// The score at `slot` (a slot `LexicalIndex.slot(of:)` or `topSlots` gave for the index
    /// scored): a read, no lookup.
    public func score(atSlot slot: Int) -> Float { slotScores[slot] }

    /// Mean and (population) standard deviation of the scores of every document held, those
    /// scoring 0 included: what `ScoreFusion.zScores` computes over the same scores. (0, 0) when
    /// no document matches.
    public var statistics: (mean: Float, deviation: Float) {
        let n = Double(liveCount)
        let (sum, squares) = sums
        guard n > 0, sum > 0 else { return (0, 0) }
        let mean = sum / n
        return (Float(mean), Float(max(0, squares / n - mean * mean).squareRoot()))
    }

    /// The `k` documents scoring highest, best first (ties: the earlier added); documents without
    /// any of the query's terms are not returned. With `filter`, only allowed documents count.
    public func top(_ k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [SearchResult] {
        try topSlots(k, filter: filter).map { SearchResult(id: idMap.ids[$0.index], score: $0.score) }
    }

    /// `top(_:filter:)` answering with slots (`LexicalIndex.slotIDs`, `score(atSlot:)`) instead of ids.
    public func topSlots(_ k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [ScoredIndex] {
        guard k >= 0 else { throw .invalidParameter("k must not be negative, got \(k)") }
        guard k > 0, liveCount > 0 else { return [] }
        // Documents without a query term score 0 (tombstones too: their postings are skipped), and
        // every match scores far above the least normal float: the selection screens the zeros out
        // (a subnormal floor would read as 0 where denormals are flushed).
        let k = min(k, liveCount)
        if let filter { return SIMDKernels.topK(masked(by: filter), k: k, atLeast: .leastNormalMagnitude) }
        // Unfiltered, the k-th highest block maximum is a floor too, and only the blocks whose
        // maximum reaches the floor are read (ties at it are still offered: the result is exact).
        let kth = k <= blockMaxima.count ? blockMaxima.withUnsafeBufferPointer { SIMDKernels.kthHighest($0, k) } : 0
        let floor = max(Float.leastNormalMagnitude, kth)
        var selection = TopKSelection(k: k, atLeast: floor)
        slotScores.withUnsafeBufferPointer { scores in
            for (block, highest) in blockMaxima.enumerated() where highest >= floor {
                let start = block * Self.blockSize
                selection.offer(scores: UnsafeBufferPointer(rebasing: scores[start ..< min(start + Self.blockSize, scores.count)]), firstIndex: start)
            }
        }
        return selection.finish()
    }

    /// The scores with every slot `filter` leaves out set to NaN (never selected), touching only
    /// what the filter needs: the excluded slots, the matching documents, the allowed ids.
    private func masked(by filter: SearchFilter) -> [Float] {
        switch filter {
        case .excluding(let excluded):
            var scores = slotScores
            for id in excluded { if let slot = idMap.slot(of: id) { scores[Int(slot)] = .nan } }
            return scores
        case .matching(let predicate):
            // The predicate is asked only about documents that match the query.
            var scores = slotScores
            for slot in scores.indices where scores[slot] > 0 && !predicate(idMap.ids[slot]) { scores[slot] = .nan }
            return scores
        case .allowing(let allowed):
            var scores = [Float](repeating: .nan, count: slotScores.count)
            for id in allowed { if let slot = idMap.slot(of: id) { scores[Int(slot)] = slotScores[Int(slot)] } }
            return scores
        }
    }
}

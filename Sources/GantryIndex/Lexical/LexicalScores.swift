import GantryMath

/// One query's BM25F scores over a `LexicalIndex`, computed once (`LexicalIndex.scoring(_:)`)
/// and read as often as needed: a document's score, the catalogue's statistics (for z-score
/// fusion) and the best documents. It holds the index it scored (a copy-on-write value: no copy
/// is made), so later changes to the caller's index do not affect it.
public struct LexicalScores: Sendable {
    let index: LexicalIndex
    /// Per slot of `index`; 0 for documents without a query term and for tombstones.
    let slotScores: [Float]

    /// The score of `id`; nil when `id` is not indexed.
    public func score(of id: VectorID) -> Float? {
        guard let slot = index.idMap.slot(of: id), index.live[Int(slot)] else { return nil }
        return slotScores[Int(slot)]
    }

    /// Mean and (population) standard deviation of the scores of every document held, those
    /// scoring 0 included: what `ScoreFusion.zScores` computes over the same scores. (0, 0) when
    /// no document matches.
    public var statistics: (mean: Float, deviation: Float) {
        let n = Double(index.liveCount)
        let (sum, squares) = sums  // tombstones score 0: they add nothing
        guard n > 0, sum > 0 else { return (0, 0) }
        let mean = sum / n
        return (Float(mean), Float(max(0, squares / n - mean * mean).squareRoot()))
    }

    /// Σ score and Σ score² over the slots, in 16 float lanes (scores are at most tens, and a
    /// lane sums a sixteenth of them), totalled in Double.
    private var sums: (sum: Double, squares: Double) {
        slotScores.withUnsafeBufferPointer { scores in
            var sum = SIMD16<Float>(), squares = SIMD16<Float>()
            let whole = scores.count / 16 * 16
            var i = 0
            while i < whole {
                let lanes = UnsafeRawPointer(scores.baseAddress! + i).loadUnaligned(as: SIMD16<Float>.self)
                sum += lanes
                squares += lanes * lanes
                i += 16
            }
            var total = (sum: Double(sum.sum()), squares: Double(squares.sum()))
            for j in whole..<scores.count {
                total.sum += Double(scores[j])
                total.squares += Double(scores[j]) * Double(scores[j])
            }
            return total
        }
    }

    /// The `k` documents scoring highest, best first (ties: the earlier added); documents without
    /// any of the query's terms are not returned. With `filter`, only allowed documents count.
    public func top(_ k: Int, filter: SearchFilter? = nil) throws(IndexError) -> [SearchResult] {
        guard k >= 0 else { throw .invalidParameter("k must not be negative, got \(k)") }
        guard k > 0, index.liveCount > 0 else { return [] }
        // Documents without a query term score 0 (tombstones too: their postings are skipped), and
        // every match scores far above the least normal float: the selection screens the zeros out
        // (a subnormal floor would read as 0 where denormals are flushed).
        let best = SIMDKernels.topK(filter.map(masked) ?? slotScores, k: min(k, index.liveCount), atLeast: .leastNormalMagnitude)
        return best.map { SearchResult(id: index.idMap.ids[$0.index], score: $0.score) }
    }

    /// The scores with every slot `filter` leaves out set to NaN (never selected), touching only
    /// what the filter needs: the excluded slots, the matching documents, the allowed ids.
    private func masked(by filter: SearchFilter) -> [Float] {
        switch filter {
        case .excluding(let excluded):
            var scores = slotScores
            for id in excluded { if let slot = index.idMap.slot(of: id) { scores[Int(slot)] = .nan } }
            return scores
        case .matching(let predicate):
            // The predicate is asked only about documents that match the query.
            var scores = slotScores
            for slot in scores.indices where scores[slot] > 0 && !predicate(index.idMap.ids[slot]) { scores[slot] = .nan }
            return scores
        case .allowing(let allowed):
            var scores = [Float](repeating: .nan, count: slotScores.count)
            for id in allowed { if let slot = index.idMap.slot(of: id) { scores[Int(slot)] = slotScores[Int(slot)] } }
            return scores
        }
    }
}

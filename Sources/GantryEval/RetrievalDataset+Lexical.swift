import GantryAdapt
import GantryIndex
import GantryMath

extension RetrievalDataset {
    /// The catalog in a `LexicalIndex` of one field, each tool's embedded text (`Tool.text`:
    /// name, description and parameter names), with BM25's usual k1 = 1.2 and b = 0.75; ids are
    /// tool rows.
    public func lexicalIndex() throws(AdaptError) -> LexicalIndex {
        do {
            var index = try LexicalIndex(fields: [LexicalField(name: "text")])
            for (row, tool) in tools.enumerated() { try index.add([tool.text], id: .number(Int64(row))) }
            return index
        } catch {
            throw .index(error)
        }
    }

    /// Metrics of lexical retrieval (`lexicalIndex()`) for the queries at `indices`.
    public func evaluateLexical(_ indices: [Int]) throws(AdaptError) -> RetrievalMetrics {
        let index = try lexicalIndex()
        var rankings = [[Int]]()
        rankings.reserveCapacity(indices.count)
        do {
            for i in indices {
                rankings.append(try index.search(queries[i].text, k: 10).map { hit in
                    guard case .number(let row) = hit.id else { preconditionFailure("numeric ids only") }
                    return Int(row)
                })
            }
        } catch {
            throw .index(error)
        }
        return RetrievalMetrics(rankings: rankings, relevant: indices.map { queries[$0].tools })
    }

    /// Metrics of hybrid retrieval for the queries at `indices`: every tool's exact dense score
    /// (cosine of the frozen or adapted vectors) fused with its lexical score (`ScoreFusion`,
    /// `weight` the lexical share), the best 10 ranked.
    public func evaluateHybrid(_ indices: [Int], adapter: LowRankAdapter? = nil, weight: Float,
                               method: ScoreFusion.Method = .zScore) throws(AdaptError) -> RetrievalMetrics {
        try evaluateHybrid(indices, adapter: adapter, weights: [weight], method: method)[0]
    }

    /// `evaluateHybrid(_:adapter:weight:method:)` at each of `weights`, sharing the scoring.
    public func evaluateHybrid(_ indices: [Int], adapter: LowRankAdapter? = nil, weights: [Float],
                               method: ScoreFusion.Method = .zScore) throws(AdaptError) -> [RetrievalMetrics] {
        let index = try lexicalIndex()
        var q: Matrix, t = toolVectors
        do { q = try queryVectors.gatherRows(indices) } catch { throw .math(error) }
        if let adapter {
            q = try adapter.adaptQueries(q)
            t = try adapter.adaptTools(t, ids: tools.map(\.id))
        }
        let dense: Matrix
        do { dense = try Matrix.product(q, t, transposeB: true) } catch { throw .math(error) }
        var rankings = [[[Int]]](repeating: [], count: weights.count)
        for (row, i) in indices.enumerated() {
            let lexical = index.scores(queries[i].text), denseRow = Array(dense.row(row))
            for (w, weight) in weights.enumerated() {
                let fused = ScoreFusion.fuse(dense: denseRow, lexical: lexical, weight: weight, method: method)
                rankings[w].append(SIMDKernels.topK(fused, k: 10).map(\.index))
            }
        }
        let relevant = indices.map { queries[$0].tools }
        return rankings.map { RetrievalMetrics(rankings: $0, relevant: relevant) }
    }
}

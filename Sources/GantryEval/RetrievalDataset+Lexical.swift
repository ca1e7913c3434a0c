import GantryAdapt
import GantryIndex
import GantryMath

/// The weights of a tool's fields in a BM25F `LexicalIndex` (`RetrievalDataset.lexicalIndex(fields:)`).
public struct LexicalFieldWeights: Sendable, Equatable, CustomStringConvertible {
    /// The tool's name.
    public var name: Float
    /// Its description.
    public var descriptionWeight: Float
    /// Its parameter names.
    public var parameters: Float

    /// Field weights (each > 0).
    public init(name: Float, description: Float, parameters: Float) {
        (self.name, self.descriptionWeight, self.parameters) = (name, description, parameters)
    }

    /// `name n, description d, parameters p`.
    public var description: String { "name \(name), description \(descriptionWeight), parameters \(parameters)" }
}

extension RetrievalDataset {
    /// The catalog in a `LexicalIndex` with BM25's usual k1 = 1.2 and b = 0.75, ids being tool
    /// rows: one field, each tool's embedded text (`Tool.text`: name, description and parameter
    /// names), or with `fields` three weighted fields (BM25F).
    public func lexicalIndex(fields: LexicalFieldWeights? = nil) throws(AdaptError) -> LexicalIndex {
        do {
            guard let fields else {
                var index = try LexicalIndex(fields: [LexicalField(name: "text")])
                for (row, tool) in tools.enumerated() { try index.add([tool.text], id: .number(Int64(row))) }
                return index
            }
            var index = try LexicalIndex(fields: [LexicalField(name: "name", weight: fields.name), LexicalField(name: "description", weight: fields.descriptionWeight),
                                                  LexicalField(name: "parameters", weight: fields.parameters)])
            for (row, tool) in tools.enumerated() {
                try index.add([tool.name, tool.description, tool.parameterNames.joined(separator: " ")], id: .number(Int64(row)))
            }
            return index
        } catch {
            throw .index(error)
        }
    }

    /// Metrics of lexical retrieval (`lexicalIndex(fields:)`) for the queries at `indices`.
    public func evaluateLexical(_ indices: [Int], fields: LexicalFieldWeights? = nil) throws(AdaptError) -> RetrievalMetrics {
        let index = try lexicalIndex(fields: fields)
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
                               method: ScoreFusion.Method = .zScore, fields: LexicalFieldWeights? = nil) throws(AdaptError) -> RetrievalMetrics {
        try evaluateHybrid(indices, adapter: adapter, weights: [weight], method: method, fields: fields)[0]
    }

    /// `evaluateHybrid(_:adapter:weight:method:fields:)` at each of `weights`, sharing the scoring.
    public func evaluateHybrid(_ indices: [Int], adapter: LowRankAdapter? = nil, weights: [Float],
                               method: ScoreFusion.Method = .zScore, fields: LexicalFieldWeights? = nil) throws(AdaptError) -> [RetrievalMetrics] {
        let index = try lexicalIndex(fields: fields)
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

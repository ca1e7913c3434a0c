import GantryAdapt
import GantryIndex

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
}

import GantryIndex

/// The lexical side of one retrieval's first stage, which needs only the query's text: the BM25F
/// score of every tool (`LexicalScores`), their catalogue statistics, and the best `pool`
/// admitted tools. `AgentGantry.retrieveTools` computes it in a child task while the query is
/// encoded, adapted and searched in the dense index, so that hybrid retrieval costs little more
/// wall time than dense retrieval (its CPU time is the same either way).
struct LexicalLeg: Sendable {
    let scores: LexicalScores
    let statistics: (mean: Float, deviation: Float)
    /// The best `pool` admitted tools by BM25F score (those matching a query word only).
    let top: [SearchResult]

    /// The leg of `text` over `index`, its top among the tools `filter` admits.
    init(text: String, index: LexicalIndex, pool: Int, filter: SearchFilter?) {
        scores = index.scoring(text)
        statistics = scores.statistics
        top = (try? scores.top(pool, filter: filter)) ?? []  // throws only for a negative k
    }
}

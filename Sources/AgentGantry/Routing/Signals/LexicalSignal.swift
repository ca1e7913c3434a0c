/// `Signal.lexical`: the candidate's BM25F score for the query's words — a part of
/// `retrieval`, reported on its own. Its scale is unbounded (a sum of idf-weighted terms), so it
/// is never weighted itself (`GantryConfiguration.validate()` refuses a weight for it); how much
/// lexical evidence counts is `GantryConfiguration.lexicalWeight`.
struct LexicalSignal: SignalProvider {
    let defaultWeight = 0.0

    func values(for candidates: [Candidate], _ input: RankingInput) -> [Double] {
        candidates.map(\.lexical)
    }
}

import GantryAdapt
import GantryIndex
import GantryMath

/// Chooses the lexical weight served with a newly trained adapter: `FusionWeightSelection` on
/// the training split's selection and gate folds, each held-out event scored by the adapter (its
/// cosine with every tool) and by the catalogue's lexical index (the BM25F score of its query's
/// terms for every tool: `queryTerms`, from the text when it was kept, else the hashes kept
/// instead, `FeedbackEvent.queryTerms`). Events with neither (stored before the hashes were) are
/// left out. The weight is never chosen below half the prior: tools registered after the
/// training have no feedback for the adapter to be strong on, and lexical evidence is what finds
/// them (the README's unseen-tools figures).
enum LexicalWeightChoice {
    /// The term hashes `choose` scores an event by: its text's, else those it kept.
    static func queryTerms(of event: FeedbackEvent) -> [UInt64]? {
        event.query.map(ToolTokenizer.termHashes) ?? event.queryTerms
    }

    /// The terms of a retrieval record's query: of its text, or its stored hashes.
    static func queryTerms(of record: RetrievalRecord) -> [UInt64]? {
        record.query.map(ToolTokenizer.termHashes) ?? record.queryTerms
    }

    /// The choice for `adapter` over `tools` (rows named `names`) on `examples` split by `split`,
    /// example i's query given by `queryTerms[i]` (`queryTerms(of:)`).
    static func choose(adapter: LowRankAdapter, tools: Matrix, names: [String], lexical: LexicalIndex, examples: TrainingExamples,
                       queryTerms: [[UInt64]?], split: RequestSplit, configuration: TrainingConfiguration)
        throws(AdaptError) -> FusionWeightSelection.Outcome {
        guard queryTerms.count == examples.queries.rows else {
            throw .invalidSetting("\(examples.queries.rows) examples but \(queryTerms.count) query term lists")
        }
        let adaptedTools = try adapter.adaptTools(tools, ids: names)
        // Positions of `names` among the lexical index's scores.
        let position = Dictionary(uniqueKeysWithValues: lexical.ids.enumerated().compactMap { i, id -> (String, Int)? in
            guard case .name(let name) = id else { return nil }
            return (name, i)
        })
        func fold(_ indices: [Int]) throws(AdaptError) -> [FusionWeightSelection.Example] {
            let kept = indices.filter { queryTerms[$0] != nil }
            guard !kept.isEmpty else { return [] }
            let frozen: Matrix, dense: Matrix
            do { frozen = try examples.queries.gatherRows(kept) } catch { throw .math(error) }
            let queries = try adapter.adaptQueries(frozen)
            do { dense = try Matrix.product(queries, adaptedTools, transposeB: true) } catch { throw .math(error) }
            let lexicalScores = lexical.scores(termHashes: kept.map { queryTerms[$0] ?? [] })
            return kept.enumerated().map { row, i in
                FusionWeightSelection.Example(dense: Array(dense.row(row)), lexical: names.map { position[$0].map { lexicalScores[row][$0] } ?? 0 },
                                              relevant: examples.positives[i], request: split.groups.requestOfExample[i])
            }
        }
        return try FusionWeightSelection.choose(selection: fold(split.selection), gate: fold(split.gate), prior: ScoreFusion.priorWeight,
                                                floor: ScoreFusion.priorWeight / 2, margin: configuration.gateMargin,
                                                confidence: configuration.gateConfidence)
    }
}

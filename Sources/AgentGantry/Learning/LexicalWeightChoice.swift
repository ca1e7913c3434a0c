import GantryAdapt
import GantryIndex
import GantryMath

/// Chooses the lexical weight served with a newly trained adapter: `FusionWeightSelection` on
/// the training split's selection and gate folds, each held-out event scored by the adapter (its
/// cosine with every tool) and by the catalogue's lexical index (its query text's BM25F score for
/// every tool). Events whose text was not kept (`keepQueryText` false) have no lexical scores and
/// are left out. The weight is never chosen below half the prior: tools registered after the
/// training have no feedback for the adapter to be strong on, and lexical evidence is what finds
/// them (the README's unseen-tools figures).
enum LexicalWeightChoice {
    /// The choice for `adapter` over `tools` (rows named `names`) on `examples` split by `split`.
    static func choose(adapter: LowRankAdapter, tools: Matrix, names: [String], lexical: LexicalIndex, examples: TrainingExamples,
                       split: RequestSplit, configuration: TrainingConfiguration) throws(AdaptError) -> FusionWeightSelection.Outcome {
        let adaptedTools = try adapter.adaptTools(tools, ids: names)
        // Positions of `names` among the lexical index's scores.
        let position = Dictionary(uniqueKeysWithValues: lexical.ids.enumerated().compactMap { i, id -> (String, Int)? in
            guard case .name(let name) = id else { return nil }
            return (name, i)
        })
        func fold(_ indices: [Int]) throws(AdaptError) -> [FusionWeightSelection.Example] {
            let kept = indices.filter { (examples.texts[$0].map { !$0.isEmpty }) ?? false }
            guard !kept.isEmpty else { return [] }
            let frozen: Matrix, dense: Matrix
            do { frozen = try examples.queries.gatherRows(kept) } catch { throw .math(error) }
            let queries = try adapter.adaptQueries(frozen)
            do { dense = try Matrix.product(queries, adaptedTools, transposeB: true) } catch { throw .math(error) }
            return kept.enumerated().map { row, i in
                let scores = lexical.scores(examples.texts[i]!)
                return FusionWeightSelection.Example(dense: Array(dense.row(row)), lexical: names.map { position[$0].map { scores[$0] } ?? 0 },
                                                     relevant: examples.positives[i], request: split.groups.requestOfExample[i])
            }
        }
        return try FusionWeightSelection.choose(selection: fold(split.selection), gate: fold(split.gate), prior: ScoreFusion.priorWeight,
                                                floor: ScoreFusion.priorWeight / 2, margin: configuration.gateMargin,
                                                confidence: configuration.gateConfidence)
    }
}

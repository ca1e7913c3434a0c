import ArgumentParser
import Foundation
import GantryAdapt
import GantryEval
import GantryIndex

/// `gantry eval`: retrieval metrics of a dataset's test split, frozen or through an adapter
/// (`EvaluationPipeline`).
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Recall@1/5/10, MRR@10, NDCG@10 and COMP@5 on a dataset's test split, frozen or through an adapter.",
        discussion: """
            Recall@k is |correct ∩ top k| / |correct| (the standard definition; the hit rate for \
            single-tool queries); NDCG uses binary relevance over all correct tools; COMP@5 asks for \
            all correct tools in the top 5. --baselines also trains and scores the learned baselines \
            on the same split: tool centroids, a full d×d adapter and a rank-32 adapter without tool \
            offsets, all with the same triplet loss.
            """)

    @OptionGroup var data: DatasetOptions
    @Option(help: "Adapter file from `gantry train`.") var adapter: String?
    @Option(help: "flat (exact) or hnsw (approximate).") var index: IndexFile.Kind = .flat
    @Option(help: ArgumentHelp("dense (the embeddings, frozen or through --adapter), lexical (BM25 over each tool's name, description "
                               + "and parameter names) or hybrid (both fused; the dense side through --adapter if given)."))
    var retrieval: EvaluationPipeline.Retrieval = .dense
    @Option(parsing: .unconditional,
            help: "Hybrid: the lexical share, in 0...1, of the fused score (z-score) or of the rank contributions (rrf).")
    var lexicalWeight: Float = ScoreFusion.priorWeight
    @Option(help: "Hybrid: z-score (per-query z-normalised scores, weighted) or rrf (reciprocal-rank fusion, k 60).")
    var fusion: Fusion = .zScore

    /// `--fusion`: how hybrid retrieval fuses the scores (`ScoreFusion.Method`).
    enum Fusion: String, ExpressibleByArgument {
        case zScore = "z-score", rrf
    }
    @Flag(help: "Print JSON with the keys recall@1, recall@5, recall@10, mrr@10, ndcg@10, comp@5, queries.") var json = false
    @Flag(help: "Also train and score the learned baselines on the same split.") var baselines = false

    func validate() throws {
        guard (0...1).contains(lexicalWeight) else { throw ValidationError("--lexical-weight must be within 0...1, not \(lexicalWeight)") }
        if retrieval == .lexical, adapter != nil { throw ValidationError("--retrieval lexical takes no --adapter (BM25 has nothing to adapt)") }
        if retrieval != .dense, baselines { throw ValidationError("--baselines compares dense methods: give it with --retrieval dense") }
    }

    func run() throws {
        // The JSON holds the routing under test only, so --json skips the baselines.
        var pipeline = EvaluationPipeline(split: data.split.choice, index: .init(index), adapter: adapter, baselines: baselines && !json)
        pipeline.retrieval = retrieval
        (pipeline.lexicalWeight, pipeline.fusion) = (lexicalWeight, fusion == .zScore ? .zScore : .reciprocalRank)
        let report = try pipeline.run(directory: data.dataset)
        let tested = report.rows[0]
        if json {
            var payload = tested.metrics.dictionary
            if let unseen = tested.unseenTools { payload["unseen_tools"] = unseen.dictionary }
            let data = try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("\(report.dataset), \(report.index) index, \(report.heldOutTools == nil ? "test split" : "test queries of seen tools") "
            + "(\(tested.metrics.queries) queries)")
        printMetricsTable(report.rows.map { ($0.method, $0.metrics) })
        if let heldOut = report.heldOutTools, let unseen = tested.unseenTools {
            print("\nqueries of the \(heldOut) held-out tools (\(unseen.queries) queries)")
            printMetricsTable(report.rows.compactMap { row in row.unseenTools.map { (row.method, $0) } })
        }
    }
}

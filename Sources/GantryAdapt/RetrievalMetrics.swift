import Foundation

/// Ranking quality over a set of queries, each with one or more correct tools (binary relevance).
///
/// Per query, with R the set of correct tools and the ranking cut at k:
/// - Recall@k = |R ∩ top k| / |R| (the standard definition; for a query with one correct tool it
///   is the hit rate);
/// - MRR@k = 1 / rank of the first correct tool, 0 if none is in the top k;
/// - NDCG@k = DCG / ideal DCG with DCG = Σ over correct tools at rank i ≤ k of 1 / log2(i + 1),
///   the ideal placing min(|R|, k) correct tools first;
/// - COMP@k = 1 if every correct tool is in the top k, else 0.
/// Each is averaged over the queries.
public struct RetrievalMetrics: Equatable, Sendable, Codable {
    /// Recall@1, in 0...1: the mean share of each query's correct tools at rank 1 (with one
    /// correct tool per query: the share of queries whose first result is right).
    public var recallAt1 = 0.0
    /// Recall@5, in 0...1: the mean share of each query's correct tools found in its top 5.
    public var recallAt5 = 0.0
    /// Recall@10, in 0...1: the mean share of each query's correct tools found in its top 10.
    public var recallAt10 = 0.0
    /// MRR@10, in 0...1: the mean of 1 / rank of the first correct tool (0 beyond rank 10).
    public var mrrAt10 = 0.0
    /// NDCG@10, in 0...1: the mean normalised discounted cumulative gain of the top 10.
    public var ndcgAt10 = 0.0
    /// COMP@5, in 0...1: the share of queries with every correct tool in their top 5.
    public var compAt5 = 0.0
    /// The number of queries averaged over (0: every metric is 0).
    public var queries = 0

    /// All metrics 0 over 0 queries.
    public init() {}

    /// Metrics of `rankings` (tool indices, best first, at least 10 long where the catalog
    /// allows) against `relevant` (the correct tool indices of each query).
    public init(rankings: [[Int]], relevant: [[Int]]) {
        precondition(rankings.count == relevant.count, "one ranking per query")
        queries = rankings.count
        guard queries > 0 else { return }
        for (ranking, correct) in zip(rankings, relevant) {
            let wanted = Set(correct)
            recallAt1 += Self.recall(ranking, wanted, k: 1)
            recallAt5 += Self.recall(ranking, wanted, k: 5)
            recallAt10 += Self.recall(ranking, wanted, k: 10)
            mrrAt10 += Self.reciprocalRank(ranking, wanted, k: 10)
            ndcgAt10 += Self.ndcg(ranking, wanted, k: 10)
            compAt5 += Self.complete(ranking, wanted, k: 5)
        }
        let n = Double(queries)
        recallAt1 /= n; recallAt5 /= n; recallAt10 /= n; mrrAt10 /= n; ndcgAt10 /= n; compAt5 /= n
    }

    /// Recall@k of one query: the share of `relevant` in the first `k` of `ranking` (0 when
    /// `relevant` is empty).
    public static func recall(_ ranking: [Int], _ relevant: Set<Int>, k: Int) -> Double {
        guard !relevant.isEmpty else { return 0 }
        return Double(ranking.prefix(k).filter(relevant.contains).count) / Double(relevant.count)
    }

    /// 1 / the 1-based rank of the first relevant entry among the first `k`, or 0 if there is none.
    public static func reciprocalRank(_ ranking: [Int], _ relevant: Set<Int>, k: Int) -> Double {
        guard let position = ranking.prefix(k).firstIndex(where: relevant.contains) else { return 0 }
        return 1 / Double(position + 1)
    }

    /// NDCG@k of one query: Σ 1 / log₂(i + 1) over the relevant entries at ranks i ≤ k, divided by
    /// that sum for `min(|relevant|, k)` relevant entries ranked first; 0 when `relevant` is empty.
    public static func ndcg(_ ranking: [Int], _ relevant: Set<Int>, k: Int) -> Double {
        let gain = ranking.prefix(k).enumerated().reduce(0.0) { $0 + (relevant.contains($1.element) ? 1 / log2(Double($1.offset + 2)) : 0) }
        let ideal = (0..<min(relevant.count, k)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
        return ideal > 0 ? gain / ideal : 0
    }

    /// 1 if every relevant entry is among the first `k` (and there is at least one), else 0.
    public static func complete(_ ranking: [Int], _ relevant: Set<Int>, k: Int) -> Double {
        relevant.isSubset(of: ranking.prefix(k)) && !relevant.isEmpty ? 1 : 0
    }

    /// The keys `gantry eval --json` prints.
    public var dictionary: [String: Any] {
        ["recall@1": recallAt1, "recall@5": recallAt5, "recall@10": recallAt10, "mrr@10": mrrAt10,
         "ndcg@10": ndcgAt10, "comp@5": compAt5, "queries": queries]
    }

    enum CodingKeys: String, CodingKey {
        case recallAt1 = "recall@1", recallAt5 = "recall@5", recallAt10 = "recall@10"
        case mrrAt10 = "mrr@10", ndcgAt10 = "ndcg@10", compAt5 = "comp@5", queries
    }
}

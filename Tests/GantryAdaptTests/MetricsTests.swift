import Foundation
import GantryAdapt
import Testing

/// Metrics on rankings worked out by hand.
@Suite("Retrieval metrics")
struct MetricsTests {
    @Test func singleCorrectTool() {
        // Correct tool 7 at rank 3.
        let ranking = [4, 2, 7, 1, 0, 3, 5, 6, 8, 9]
        #expect(RetrievalMetrics.recall(ranking, [7], k: 1) == 0)
        #expect(RetrievalMetrics.recall(ranking, [7], k: 5) == 1)
        #expect(RetrievalMetrics.reciprocalRank(ranking, [7], k: 10) == 1.0 / 3)
        #expect(abs(RetrievalMetrics.ndcg(ranking, [7], k: 10) - 0.5) < 1e-12)  // 1/log2(4) ÷ 1
        #expect(RetrievalMetrics.complete(ranking, [7], k: 5) == 1)
        #expect(RetrievalMetrics.reciprocalRank(ranking, [42], k: 10) == 0)
    }

    @Test func twoCorrectTools() {
        // Correct {3, 9}: 3 at rank 2, 9 at rank 6.
        let ranking = [0, 3, 1, 2, 4, 9, 5, 6, 7, 8]
        #expect(RetrievalMetrics.recall(ranking, [3, 9], k: 1) == 0)
        #expect(RetrievalMetrics.recall(ranking, [3, 9], k: 5) == 0.5)
        #expect(RetrievalMetrics.recall(ranking, [3, 9], k: 10) == 1)
        #expect(RetrievalMetrics.reciprocalRank(ranking, [3, 9], k: 10) == 0.5)
        let dcg = 1 / log2(3.0) + 1 / log2(7.0), ideal = 1 + 1 / log2(3.0)
        #expect(abs(RetrievalMetrics.ndcg(ranking, [3, 9], k: 10) - dcg / ideal) < 1e-12)
        #expect(RetrievalMetrics.complete(ranking, [3, 9], k: 5) == 0)
        #expect(RetrievalMetrics.complete(ranking, [3, 9], k: 10) == 1)
    }

    @Test func averagesOverQueries() {
        let m = RetrievalMetrics(rankings: [[1, 2, 3], [2, 1, 3]], relevant: [[1], [1]])
        #expect(m.queries == 2)
        #expect(m.recallAt1 == 0.5 && m.mrrAt10 == 0.75 && m.compAt5 == 1)
        #expect(abs(m.ndcgAt10 - (1 + 1 / log2(3.0)) / 2) < 1e-12)
        #expect(RetrievalMetrics(rankings: [], relevant: []).queries == 0)
        #expect(Set(m.dictionary.keys) == ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "comp@5", "queries"])
    }
}

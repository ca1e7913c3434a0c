import GantryAdapt

/// Prints a Markdown table of retrieval metrics, one row per `(name, metrics)`; `heading` is the
/// title of the name column (`eval`'s methods, `train`'s frozen vs adapted).
func printMetricsTable(_ rows: [(name: String, metrics: RetrievalMetrics)], heading: String = "method") {
    print("|" + (heading.isEmpty ? "" : " \(heading)") + " | R@1 | R@5 | R@10 | MRR@10 | NDCG@10 | COMP@5 |")
    print("|---|---|---|---|---|---|---|")
    for (name, m) in rows {
        print(String(format: "| %@ | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |", name, m.recallAt1, m.recallAt5, m.recallAt10,
                     m.mrrAt10, m.ndcgAt10, m.compAt5))
    }
}

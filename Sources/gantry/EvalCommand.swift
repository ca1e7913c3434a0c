import ArgumentParser
import Foundation
import GantryAdapt
import GantryEval
import GantryMath

/// `gantry eval`: retrieval metrics of a dataset's test split, frozen or through an adapter.
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
    @Option(help: "flat (exact) or hnsw (approximate).") var index: RetrievalEvaluator.IndexKind = .flat
    @Flag(help: "Print JSON with the keys recall@1, recall@5, recall@10, mrr@10, ndcg@10, comp@5, queries.") var json = false
    @Flag(help: "Also train and score the learned baselines on the same split.") var baselines = false

    func run() throws {
        let dataset = try RetrievalDataset.load(directory: data.dataset)
        let loaded = try adapter.map {
            try AdapterFile.load(from: $0, expectedModel: dataset.embeddingModel, expectedDimension: dataset.dimension).adapter
        }
        let split = data.unseenTools ? dataset.unseenToolSplit(seed: data.splitSeed) : nil
        let test = split?.seen ?? dataset.indices(of: .test)
        let metrics = try dataset.evaluate(test, adapter: loaded, index: index)
        let unseen = try split.map { try dataset.evaluate($0.unseen, adapter: loaded, index: index) }
        if json {
            var payload = metrics.dictionary
            if let unseen { payload["unseen_tools"] = unseen.dictionary }
            let data = try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var rows = [(loaded == nil ? "frozen" : "adapter \(URL(fileURLWithPath: adapter!).lastPathComponent)", metrics, unseen)]
        if baselines { rows += try Baselines.evaluate(dataset, split: split, test: test, index: index).map { ($0.method, $0.metrics, $0.unseenTools) } }
        print("\(dataset.name), \(index) index, \(split == nil ? "test split" : "test queries of seen tools") (\(metrics.queries) queries)")
        printTable(rows.map { ($0.0, $0.1) })
        if split != nil {
            print("\nqueries of the \(split!.heldOut.count) held-out tools (\(unseen!.queries) queries)")
            printTable(rows.compactMap { row in row.2.map { (row.0, $0) } })
        }
    }

    private func printTable(_ rows: [(String, RetrievalMetrics)]) {
        print("| method | R@1 | R@5 | R@10 | MRR@10 | NDCG@10 | COMP@5 |")
        print("|---|---|---|---|---|---|---|")
        for (name, m) in rows {
            print(String(format: "| %@ | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |", name, m.recallAt1, m.recallAt5, m.recallAt10,
                         m.mrrAt10, m.ndcgAt10, m.compAt5))
        }
    }
}

extension RetrievalEvaluator.IndexKind: ExpressibleByArgument {}

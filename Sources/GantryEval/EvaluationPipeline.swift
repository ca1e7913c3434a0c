import Foundation
import GantryAdapt
import GantryIndex

/// What `gantry eval` runs: dataset → adapter (if any) → split → metrics of the evaluated
/// queries → learned baselines (if asked) on the same split.
public struct EvaluationPipeline: Sendable {
    /// The rows of a run: the routing under test first (`frozen`, or `adapter <file name>`),
    /// then the baselines.
    public struct Report: Sendable {
        /// The dataset's name (its folder's).
        public var dataset: String
        /// The index that answered.
        public var index: RetrievalEvaluator.IndexKind
        /// Tools held out entirely with `.unseenTools`; nil with the dataset's split.
        public var heldOutTools: Int?
        /// One row per method: metrics of the evaluated queries (the test split, or the test
        /// queries of seen tools) and, with `.unseenTools`, of the held-out tools' queries.
        public var rows: [Baselines.Row]
    }

    /// Which queries train (the baselines) and which are evaluated.
    public var split: TrainingPipeline.SplitChoice
    /// The index that answers each query.
    public var index: RetrievalEvaluator.IndexKind
    /// An adapter file from `gantry train` to route through (nil: the frozen embeddings).
    public var adapter: String?
    /// Also train and score `Baselines` on the same split.
    public var baselines: Bool
    /// What ranks the tools: the (adapted) embeddings, or the lexical index.
    public var retrieval: Retrieval = .dense

    /// What ranks the tools.
    public enum Retrieval: String, Sendable, CaseIterable {
        /// The embeddings (frozen, or through the adapter), searched by `index`.
        case dense
        /// BM25 over each tool's text (`RetrievalDataset.lexicalIndex()`); no adapter.
        case lexical
        /// Dense (frozen or adapted) and lexical scores fused (`ScoreFusion`, `lexicalWeight`).
        case hybrid
    }
    /// The lexical share of hybrid retrieval.
    public var lexicalWeight = ScoreFusion.priorWeight
    /// How hybrid retrieval fuses the scores.
    public var fusion = ScoreFusion.Method.zScore

    /// A pipeline as `gantry eval` describes it; the defaults evaluate the frozen embeddings on the
    /// dataset's own test split with the exact index, without baselines.
    public init(split: TrainingPipeline.SplitChoice = .datasetSplit, index: RetrievalEvaluator.IndexKind = .flat,
                adapter: String? = nil, baselines: Bool = false) {
        self.split = split
        self.index = index
        self.adapter = adapter
        self.baselines = baselines
    }

    /// Loads the dataset folder `directory` and evaluates it (see `run(_:)`).
    public func run(directory: String) throws(AdaptError) -> Report {
        try run(try RetrievalDataset.load(directory: directory))
    }

    /// Evaluates `dataset`: the adapter (checked against the dataset's model and dimension) or
    /// the frozen embeddings, then the baselines if asked.
    public func run(_ dataset: RetrievalDataset) throws(AdaptError) -> Report {
        if retrieval == .lexical {
            guard adapter == nil, !baselines else { throw .incompatible("lexical retrieval takes no adapter and has no learned baselines") }
            let unseen = if case .unseenTools(let seed) = split { dataset.unseenToolSplit(seed: seed) } else { nil as RetrievalDataset.UnseenToolSplit? }
            let row = Baselines.Row(method: "lexical (BM25)", metrics: try dataset.evaluateLexical(unseen?.seen ?? dataset.indices(of: .test)),
                                    unseenTools: try unseen.map { (s) throws(AdaptError) in try dataset.evaluateLexical(s.unseen) })
            return Report(dataset: dataset.name, index: index, heldOutTools: unseen?.heldOut.count, rows: [row])
        }
        let loaded = try adapter.map { (path) throws(AdaptError) in
            try AdapterFile.load(from: path, expectedModel: dataset.embeddingModel, expectedDimension: dataset.dimension).adapter
        }
        let unseen = if case .unseenTools(let seed) = split { dataset.unseenToolSplit(seed: seed) } else { nil as RetrievalDataset.UnseenToolSplit? }
        let test = unseen?.seen ?? dataset.indices(of: .test)
        let method = adapter.map { "adapter \(URL(fileURLWithPath: $0).lastPathComponent)" } ?? "frozen"
        if retrieval == .hybrid {
            guard !baselines else { throw .incompatible("hybrid retrieval has no learned baselines") }
            func evaluate(_ indices: [Int]) throws(AdaptError) -> RetrievalMetrics {
                try dataset.evaluateHybrid(indices, adapter: loaded, weight: lexicalWeight, method: fusion)
            }
            let row = Baselines.Row(method: "hybrid \(method), lexical weight \(lexicalWeight)\(fusion == .reciprocalRank ? ", RRF" : "")",
                                    metrics: try evaluate(test), unseenTools: try unseen.map { (s) throws(AdaptError) in try evaluate(s.unseen) })
            return Report(dataset: dataset.name, index: index, heldOutTools: unseen?.heldOut.count, rows: [row])
        }
        var rows = [Baselines.Row(method: method, metrics: try dataset.evaluate(test, adapter: loaded, index: index),
                                  unseenTools: try unseen.map { (s) throws(AdaptError) in try dataset.evaluate(s.unseen, adapter: loaded, index: index) })]
        if baselines { rows += try Baselines.evaluate(dataset, split: unseen, test: test, index: index) }
        return Report(dataset: dataset.name, index: index, heldOutTools: unseen?.heldOut.count, rows: rows)
    }
}

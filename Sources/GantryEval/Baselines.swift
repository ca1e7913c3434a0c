import GantryAdapt
import GantryMath

/// Learned baselines to measure the adapter against.
public enum Baselines {
    /// One baseline's metrics on the evaluated queries (and on the held-out tools' queries).
    public struct Row: Sendable {
        /// The method's name as tables print it (`frozen`, `adapter tools.gadp`, `tool centroids`, …).
        public var method: String
        /// Its metrics on the evaluated queries: the test split, or the seen tools' test queries.
        public var metrics: RetrievalMetrics
        /// Its metrics on the held-out tools' queries; nil without an unseen-tools split.
        public var unseenTools: RetrievalMetrics?
    }

    /// Trains and scores the learned baselines on `dataset`: tool centroids, a full d×d adapter
    /// and a rank-32 adapter without tool offsets (both with the triplet loss), evaluated on the
    /// queries at `test` (and `split.unseen`).
    public static func evaluate(_ dataset: RetrievalDataset, split: RetrievalDataset.UnseenToolSplit?, test: [Int],
                                index: RetrievalEvaluator.IndexKind) throws(AdaptError) -> [Row] {
        let training = split?.training ?? dataset.indices(of: .train)
        var rows = [Row]()
        // Tool centroids: each tool replaced by the normalized mean of its training queries.
        var moved = dataset
        moved.toolVectors = try centroidTools(tools: dataset.toolVectors, queries: dataset.queryVectors,
                                              positives: training.map { dataset.queries[$0].tools }, rows: training, mix: 1)
        rows.append(Row(method: "tool centroids", metrics: try moved.evaluate(test, index: index),
                        unseenTools: try split.map { (s) throws(AdaptError) in try moved.evaluate(s.unseen, index: index) }))
        let trainingSet = try dataset.trainingSet(training, excludingTools: split?.heldOut ?? [])
        for (name, rank) in [("full \(dataset.dimension)×\(dataset.dimension), triplet", dataset.dimension), ("rank 32, no tool offsets, triplet", 32)] {
            var configuration = TrainingConfiguration()
            configuration.rank = rank
            configuration.toolOffsets = false
            let (trained, _) = try TripletTrainer(configuration).train(tools: trainingSet.tools, toolIDs: trainingSet.toolIDs,
                                                                       examples: trainingSet.examples)
            rows.append(Row(method: name, metrics: try dataset.evaluate(test, adapter: trained, index: index),
                            unseenTools: try split.map { (s) throws(AdaptError) in try dataset.evaluate(s.unseen, adapter: trained, index: index) }))
        }
        return rows
    }

    /// "Tool centroids": each tool's vector moved to `normalize((1 − mix)·t + mix·c)`, where c is
    /// the normalized mean of its training queries' vectors (tools without training queries keep
    /// their vector). `rows[i]` is the row in `queries` of the query labelled `positives[i]`.
    public static func centroidTools(tools: Matrix, queries: Matrix, positives: [[Int]], rows: [Int], mix: Float) throws(AdaptError) -> Matrix {
        var moved = tools
        moved.addRows(try centroidShifts(tools: tools, queries: queries, positives: positives, rows: rows, mix: mix))
        do { try moved.normalizeRows() } catch { throw .math(error) }
        return moved
    }

    private static func centroidShifts(tools: Matrix, queries: Matrix, positives: [[Int]], rows: [Int], mix: Float) throws(AdaptError) -> [[Float]?] {
        guard positives.count == rows.count, queries.cols == tools.cols else {
            throw .invalidSetting("centroids: \(rows.count) query rows for \(positives.count) label lists")
        }
        let d = tools.cols
        var sums = [[Float]?](repeating: nil, count: tools.rows)
        for (row, labels) in zip(rows, positives) {
            for tool in labels {
                if sums[tool] == nil { sums[tool] = [Float](repeating: 0, count: d) }
                for c in 0..<d { sums[tool]![c] += queries[row, c] }
            }
        }
        return sums.enumerated().map { tool, sum in
            guard let sum else { return nil }
            let norm = SIMDKernels.norm(sum)
            guard norm > 0 else { return nil }
            return (0..<d).map { mix * (sum[$0] / norm - tools[tool, $0]) }
        }
    }
}

import GantryIndex
import GantryMath

/// Chooses the lexical share `w` of hybrid retrieval (`ScoreFusion`, `(1 − w)·dense + w·lexical`)
/// from held-out feedback, so that each catalogue gets the weight its own requests favour rather
/// than one constant (the best weight was 0.2 on metatool and 0.4 on toollens).
///
/// Until `minimumRequests` distinct requests are held out for selection the prior serves. Past
/// that, the grid weight with the best MRR@10 on the selection requests is the candidate, and it
/// replaces the prior only when `TrainingGate` finds it better on the gate requests (mean gain at
/// least `margin`, conclusively): never worse than the prior on requests neither step chose on.
/// A tie with the prior keeps the prior.
public enum FusionWeightSelection {
    /// The weights tried: 0 to 0.6 in steps of 0.05 (no dataset measured favoured more).
    public static let grid: [Float] = (0...12).map { Float($0) / 20 }
    /// Fewest selection requests a weight is chosen on (below, the prior serves).
    public static let minimumRequests = 50

    /// One held-out example: every tool's dense and lexical score for its query, its correct
    /// tools (positions in those score lists) and the request it belongs to (examples of one
    /// request weigh as one).
    public struct Example: Sendable {
        /// Every tool's dense score (cosine of the frozen or adapted vectors).
        public var dense: [Float]
        /// Every tool's lexical (BM25F) score, in the same order.
        public var lexical: [Float]
        /// The positions of the correct tools.
        public var relevant: [Int]
        /// The distinct request the example belongs to (`RequestGroups`).
        public var request: Int

        /// An example; `dense` and `lexical` have one score per tool.
        public init(dense: [Float], lexical: [Float], relevant: [Int], request: Int) {
            (self.dense, self.lexical, self.relevant, self.request) = (dense, lexical, relevant, request)
        }
    }

    /// What was chosen, and on what evidence.
    public struct Outcome: Sendable, Equatable {
        /// The weight to serve.
        public var weight: Float
        /// Mean MRR@10 of the selection requests at each `grid` weight of at least the floor, in
        /// order (empty below `minimumRequests`).
        public var selectionMRR: [Double]
        /// The gate's decision between the best grid weight and the prior (nil when none was made).
        public var gate: GateDecision?
        /// Why this weight.
        public var reason: String
    }

    /// Chooses between `prior` and the grid weights of at least `floor` on `selection` and `gate`
    /// examples (folds of a `RequestSplit`, so no request is in both).
    public static func choose(selection: [Example], gate: [Example], prior: Float, floor: Float = 0, margin: Double = 0.005,
                              confidence: Double = 0.95) throws(AdaptError) -> Outcome {
        guard (0...1).contains(prior) else { throw .invalidSetting("the prior lexical weight must be within 0...1, not \(prior)") }
        guard (0...prior).contains(floor) else { throw .invalidSetting("the lowest lexical weight must be within 0...prior (\(prior)), not \(floor)") }
        let grid = grid.filter { $0 >= floor }
        func keepPrior(_ reason: String, _ mrr: [Double] = [], _ gate: GateDecision? = nil) -> Outcome {
            Outcome(weight: prior, selectionMRR: mrr, gate: gate, reason: reason)
        }
        for example in selection + gate {
            guard example.dense.count == example.lexical.count, example.relevant.allSatisfy({ example.dense.indices.contains($0) }) else {
                throw .invalidSetting("an example needs one dense and one lexical score per tool (\(example.dense.count) and "
                                      + "\(example.lexical.count)), and correct tools among them (\(example.relevant))")
            }
        }
        let (selection, gate) = (selection.filter { !$0.relevant.isEmpty }, gate.filter { !$0.relevant.isEmpty })
        let requests = Set(selection.map(\.request)).count
        guard requests >= minimumRequests else {
            return keepPrior("\(requests) distinct held-out requests; a weight is chosen on at least \(minimumRequests)")
        }
        let mrr = grid.map { weight in perRequestMean(selection.map { reciprocalRank($0, weight) }, selection.map(\.request)) }
        let best = grid.indices.max { mrr[$0] < mrr[$1] }!
        guard grid[best] != prior, !grid.indices.contains(where: { grid[$0] == prior && mrr[$0] >= mrr[best] }) else {
            return keepPrior("the prior is the best weight on the selection requests", mrr)
        }
        let decision = try TrainingGate.decide(current: gate.map { reciprocalRank($0, prior) }, candidate: gate.map { reciprocalRank($0, grid[best]) },
                                               requests: gate.map(\.request), margin: margin, confidence: confidence)
        guard decision.passed else {
            return keepPrior("weight \(grid[best]) was best on the selection requests but not conclusively better on the gate's "
                             + "(MRR@10 \(rounded(decision.currentMRR)) → \(rounded(decision.candidateMRR)) on \(decision.requests) requests)", mrr, decision)
        }
        return Outcome(weight: grid[best], selectionMRR: mrr, gate: decision,
                       reason: "weight \(grid[best]) beat the prior \(prior) on \(decision.requests) gate requests "
                           + "(MRR@10 \(rounded(decision.currentMRR)) → \(rounded(decision.candidateMRR)))")
    }

    /// `value` to 3 decimals, for reasons.
    static func rounded(_ value: Double) -> Double { (value * 1_000).rounded() / 1_000 }

    /// The reciprocal rank of `example`'s first correct tool in the top 10 at `weight` (0 below).
    static func reciprocalRank(_ example: Example, _ weight: Float) -> Double {
        let fused = ScoreFusion.fuse(dense: example.dense, lexical: example.lexical, weight: weight)
        let relevant = Set(example.relevant)
        for (rank, hit) in SIMDKernels.topK(fused, k: 10).enumerated() where relevant.contains(hit.index) { return 1 / Double(rank + 1) }
        return 0
    }

    /// The mean over requests of each request's mean value.
    static func perRequestMean(_ values: [Double], _ requests: [Int]) -> Double {
        var sums = [Int: (Double, Int)]()
        for (value, request) in zip(values, requests) { sums[request, default: (0, 0)].0 += value; sums[request, default: (0, 0)].1 += 1 }
        // In request order: the same sum, to the last bit, in every run.
        return sums.isEmpty ? 0 : sums.keys.sorted().reduce(0) { $0 + sums[$1]!.0 / Double(sums[$1]!.1) } / Double(sums.count)
    }
}

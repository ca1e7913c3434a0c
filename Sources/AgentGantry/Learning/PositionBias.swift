/// How often an agent looks at each position of a shortlist, relative to the first (its
/// propensities θᵣ, θ₀ = 1): a tool picked at rank r counts 1/θᵣ in training, so that picks from
/// positions seen less often are not outweighed by the many picks of whatever is shown first
/// (inverse propensity weighting: Joachims, Swaminathan and Schnabel, "Unbiased Learning-to-Rank
/// with Biased Feedback", WSDM 2017).
///
/// The propensities are measured, not assumed, from the retrievals that exploration reordered
/// (`GantryConfiguration.explorationRate`), by comparing them with those it left alone (the
/// "RandPair" intervention of the same paper). Where exploration swapped the tools at r and
/// r + 1, the tool that belonged at r is shown at r + 1 and the other way round; the
/// retrievals are otherwise alike, so
///
///     θᵣ₊₁ / θᵣ = (pᵉ(r+1) + pⁿ(r+1)) / (pⁿ(r) + pᵉ(r))
///
/// with pᵉ(i) the share of the swapped retrievals with a success at position i and pⁿ(i) the
/// same among the retrievals not explored (each sum holds both tools' relevance once, which
/// cancels). The
/// first position is never swapped, so θ₁ is taken as θ₀; each further ratio needs
/// `minimumSwaps` swapped retrievals, and ranks past the last measured one take its propensity.
struct PositionBias: Sendable, Equatable {
    /// θ by rank (0 first), each in [`smallest`, 1]; ranks past the end take the last.
    var propensities: [Double]

    /// No correction: every position looked at alike.
    static let uniform = PositionBias(propensities: [1])

    /// The smallest propensity kept (a weight of at most 10): a few picks at a rarely seen
    /// position must not dominate training.
    static let smallest = 0.1

    /// Swapped retrievals a pair needs before its ratio is used.
    static let minimumSwaps = 30

    /// The weight of a pick at `rank` (1/θ); 1 for a tool picked without being shown (nil).
    func weight(rank: Int?) -> Float {
        guard let rank, let last = propensities.last else { return 1 }
        return Float(1 / (rank < propensities.count ? propensities[rank] : last))
    }

    /// The propensities measured from `records` (the retrievals to compare: `train()` passes
    /// those some report names) and the `reports` naming them (uniform without enough explored
    /// retrievals). What is counted at a position is a successful call of the
    /// tool shown there: the weight applies to successes (`ReportedExample.positives`), so θᵣ
    /// is how likely a tool that does the request is found working at rank r, relative to
    /// rank 0 — everything the agent does to get there included (a retry of the next tool after
    /// a wrong one raises the next position's).
    static func estimate(records: [RetrievalRecord], reports: [RetrievalReport]) -> PositionBias {
        var picked = [RetrievalID: Set<String>]()
        for report in reports where report.signal == .success { picked[report.retrieval, default: []].insert(report.tool) }
        // Picks by shown position, and retrievals, for those not explored and for each swap.
        var plain = [Int](), plainCount = 0
        var swapped = [Int: (picks: [Int], count: Int)]()
        for record in records {
            let tools = picked[record.id] ?? []
            let positions = record.shortlist.indices.filter { tools.contains(record.shortlist[$0].tool) }
            func add(_ picks: inout [Int]) {
                for position in positions {
                    if picks.count <= position { picks += Array(repeating: 0, count: position + 1 - picks.count) }
                    picks[position] += 1
                }
            }
            if let rank = record.swappedRank {
                add(&swapped[rank, default: ([], 0)].picks)
                swapped[rank, default: ([], 0)].count += 1
            } else {
                add(&plain)
                plainCount += 1
            }
        }
        guard plainCount > 0 else { return .uniform }
        func share(_ picks: [Int], _ position: Int, of count: Int) -> Double {
            position < picks.count ? Double(picks[position]) / Double(count) : 0
        }
        var propensities = [1.0, 1.0]
        var rank = 1
        while let pair = swapped[rank], pair.count >= minimumSwaps {
            let below = share(pair.picks, rank + 1, of: pair.count) + share(plain, rank + 1, of: plainCount)
            let above = share(plain, rank, of: plainCount) + share(pair.picks, rank, of: pair.count)
            guard above > 0 else { break }
            propensities.append(max(smallest, propensities[rank] * min(1, below / above)))
            rank += 1
        }
        return propensities.count > 2 ? PositionBias(propensities: propensities) : .uniform
    }
}

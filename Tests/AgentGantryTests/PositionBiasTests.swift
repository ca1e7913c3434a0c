import Foundation
import GantryMath
import Testing
@testable import AgentGantry

/// `PositionBias` measures an agent's position bias from explored retrievals and undoes it.
@Suite("Position bias")
struct PositionBiasTests {
    /// How often the simulated agent looks at each position (the truth to recover).
    static let examination = [1.0, 0.7, 0.5, 0.35, 0.25]

    /// A click log of `count` retrievals over tools t0…t9 whose chance of doing the request is
    /// `relevance`: each retrieval shows five of them in an order that favours the relevant
    /// ones, exploration swaps a pair below the first in `explored` of them, and the agent
    /// calls (successfully) each relevant tool it looks at.
    static func clickLog(count: Int, explored: Double, seed: UInt64)
        -> (records: [RetrievalRecord], reports: [RetrievalReport], shown: [[String]]) {
        var rng = SplitMix64(seed: seed)
        let relevance = (0..<10).map { 0.9 - 0.08 * Double($0) }
        var records = [RetrievalRecord](), reports = [RetrievalReport](), shown = [[String]]()
        for n in 0..<count {
            let id = RetrievalID(rawValue: Int64(7) << 32 | Int64(n + 1))!
            // A noisy ranking: lower-numbered tools tend to come first.
            var order = (0..<10).map { ($0, Double($0) + Double.random(in: 0..<6, using: &rng)) }.sorted { $0.1 < $1.1 }.prefix(5).map(\.0)
            var swapped: Int?
            if Double.random(in: 0..<1, using: &rng) < explored {
                let rank = Int.random(in: 1...3, using: &rng)
                order.swapAt(rank, rank + 1)
                swapped = rank
            }
            let tools = order.map { "t\($0)" }
            shown.append(tools)
            records.append(RetrievalRecord(id: id, at: Date(), user: nil, team: nil, session: nil, query: "q\(n)", queryTerms: nil,
                                           queryVector: [1, 0], model: "m", shortlist: tools.map { RetrievalRecord.Shown(tool: $0, score: 0) },
                                           swappedRank: swapped))
            for (rank, tool) in order.enumerated()
            where Double.random(in: 0..<1, using: &rng) < examination[rank] && Double.random(in: 0..<1, using: &rng) < relevance[tool] {
                reports.append(RetrievalReport(id: Int64(reports.count + 1), at: Date(), retrieval: id, tool: "t\(tool)", signal: .success,
                                               user: nil, team: nil, session: nil))
            }
        }
        return (records, reports, shown)
    }

    @Test func theExaminationOfEachPositionIsMeasuredFromExploredRetrievals() {
        let log = Self.clickLog(count: 60_000, explored: 0.3, seed: 1)
        let bias = PositionBias.estimate(records: log.records, reports: log.reports)
        // θ₁ is taken as θ₀ (the first position is never swapped): the rest relative to θ₁.
        let expected = [1, 1] + Self.examination[2...].map { $0 / Self.examination[1] }
        #expect(bias.propensities.count == expected.count)
        for (measured, truth) in zip(bias.propensities, expected) { #expect(abs(measured - truth) < 0.03, "\(bias.propensities) \(expected)") }
    }

    /// The chance that a tool does the request, estimated from the log as successes per time
    /// shown: the uncorrected estimate ranks tools by where they were shown; weighted by 1/θ of
    /// the position, it recovers the truth (up to θ₁/θ₀, which exploration does not measure).
    @Test func weightingByTheMeasuredBiasRecoversTrueRelevance() throws {
        let log = Self.clickLog(count: 200_000, explored: 0.3, seed: 2)
        let bias = PositionBias.estimate(records: log.records, reports: log.reports)
        var shownCount = [String: Double](), successes = [String: Double](), weighted = [String: Double]()
        var successTools = [RetrievalID: Set<String>]()
        for report in log.reports { successTools[report.retrieval, default: []].insert(report.tool) }
        for (record, tools) in zip(log.records, log.shown) {
            for (rank, tool) in tools.enumerated() where rank >= 1 {  // below the first: where θ is measured
                shownCount[tool, default: 0] += 1
                guard successTools[record.id]?.contains(tool) == true else { continue }
                successes[tool, default: 0] += 1
                weighted[tool, default: 0] += Double(bias.weight(rank: rank))
            }
        }
        // t2 (relevance 0.74) and t6 (0.42): t2 is shown higher, so its raw rate is inflated.
        let truth = (0.9 - 0.08 * 2) / (0.9 - 0.08 * 6)
        let raw = (successes["t2"]! / shownCount["t2"]!) / (successes["t6"]! / shownCount["t6"]!)
        let corrected = (weighted["t2"]! / shownCount["t2"]!) / (weighted["t6"]! / shownCount["t6"]!)
        #expect(raw > truth * 1.15, "raw \(raw), truth \(truth)")
        #expect(abs(corrected - truth) < truth * 0.06, "corrected \(corrected), raw \(raw), truth \(truth), θ \(bias.propensities)")
    }

    @Test func withoutExplorationEveryPickCountsAlike() {
        let log = Self.clickLog(count: 5_000, explored: 0, seed: 3)
        #expect(PositionBias.estimate(records: log.records, reports: log.reports) == .uniform)
        #expect(PositionBias.uniform.weight(rank: 4) == 1 && PositionBias.uniform.weight(rank: nil) == 1)
    }

    @Test func explorationSwapsOnlyBelowTheFirstAndAsOftenAsAsked() {
        var swaps = [Int: Int]()
        for n in 1...20_000 {
            let id = RetrievalID(rawValue: Int64(3) << 32 | Int64(n))!
            if let rank = Exploration.swappedRank(for: id, count: 10, rate: 0.1, depth: 5) { swaps[rank, default: 0] += 1 }
            #expect(Exploration.swappedRank(for: id, count: 2, rate: 0.5, depth: 5) == nil)
        }
        #expect(Set(swaps.keys) == [1, 2, 3])
        #expect(abs(Double(swaps.values.reduce(0, +)) / 20_000 - 0.1) < 0.01, "\(swaps)")
        #expect(Exploration.swappedRank(for: RetrievalID(rawValue: 99)!, count: 10, rate: 0, depth: 5) == nil)
    }
}

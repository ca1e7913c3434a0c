import Foundation
import GantryAdapt
import GantryMath
import Testing
@testable import AgentGantry

/// `MemoryReachChoice`: the feedback memory reaches other queries only as far as held-out
/// feedback shows it helps them.
@Suite("Feedback memory reach")
struct MemoryReachTests {
    static let dimension = 16
    static let names = ["tool_a", "tool_b", "tool_c", "tool_d"]

    /// A topic: every query of it is `e6 + 0.5·e0` plus its own noise in dimensions 8…15, so two
    /// queries of it meet at cosine ≈ 0.9 — the dense ranking puts `tool_a` (e0) first for them.
    /// 40 examples: the first 24 trained on (feedback: `tool_b`, not `tool_a`), 8 for selection
    /// and 8 for the gate, whose correct tool is `heldOutTool`.
    static func choose(heldOutTool: String) throws -> MemoryReachChoice.Outcome? {
        var rng = SplitMix64(seed: 11)
        var tools = Matrix(rows: names.count, cols: dimension)
        for t in names.indices { tools[t, t] = 1 }
        var rows = [[Float]](), events = [FeedbackEvent](), positives = [[Int]]()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for i in 0..<40 {
            var v = [Float](repeating: 0, count: dimension)
            v[6] = 1
            v[0] = 0.5
            var noise = (8..<dimension).map { _ in rng.nextGaussian() }
            let norm = noise.reduce(0) { $0 + $1 * $1 }.squareRoot()
            noise = noise.map { 0.4 * $0 / norm }
            for (j, value) in noise.enumerated() { v[8 + j] = value }
            let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            v = v.map { $0 / length }
            rows.append(v)
            let correct = i < 24 ? "tool_b" : heldOutTool
            events.append(FeedbackEvent(id: Int64(i + 1), at: start, user: nil, team: nil, session: nil, query: "request \(i)", queryVector: v,
                                        selectedTool: correct == "tool_b" ? "tool_a" : nil, correctTool: correct, type: .toolSelectionError))
            positives.append([names.firstIndex(of: correct)!])
        }
        let examples = try TrainingExamples(queries: Matrix(rowArrays: rows), positives: positives)
        var split = try RequestSplit(examples, configuration: TrainingConfiguration(), holdingOutGate: true)
        (split.training, split.selection, split.gate) = (Array(0..<24), Array(24..<32), Array(32..<40))
        return try MemoryReachChoice.choose(adapter: .identity(dimension: dimension, rank: 2), tools: tools, names: names, events: events,
                                            examples: examples, split: split, weights: GantryConfiguration(storePath: nil).weights,
                                            settings: FeedbackMemory.Settings(), at: start)
    }

    @Test func feedbackThatWouldMisleadOtherQueriesIsKeptToItsOwn() throws {
        // The feedback says `tool_b` for its queries; the held-out queries of the same topic need
        // `tool_a`, which the dense ranking gives them: any reach that touches them lowers them.
        let outcome = try #require(try Self.choose(heldOutTool: "tool_a"))
        let far = MemoryReachChoice.candidates.firstIndex(of: 0.6)!, none = MemoryReachChoice.candidates.count - 1
        #expect(outcome.selection[far] < outcome.selection[none], "the reach 0.6 must mislead them: \(outcome.reason)")
        #expect(outcome.reach >= 0.9, "\(outcome.reason)")
        let chosen = MemoryReachChoice.candidates.firstIndex(of: outcome.reach)!
        #expect(outcome.gate[chosen] >= outcome.gate[none] && outcome.selection[chosen] >= outcome.selection[none], "\(outcome.reason)")
    }

    @Test func feedbackThatHelpsOtherQueriesReachesThem() throws {
        // The held-out queries need `tool_b` too, which the dense ranking puts second.
        let outcome = try #require(try Self.choose(heldOutTool: "tool_b"))
        let none = MemoryReachChoice.candidates.count - 1
        #expect(outcome.selection[none] < 1 && outcome.reach < MemoryReachChoice.noReach, "\(outcome.reason)")
        let chosen = MemoryReachChoice.candidates.firstIndex(of: outcome.reach)!
        #expect(outcome.selection[chosen] == 1 && outcome.gate[chosen] == 1, "\(outcome.reason)")
    }
}

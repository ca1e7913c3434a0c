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
    /// 24 examples trained on (feedback: `tool_b`, not `tool_a`), then `heldOut` for selection and
    /// `heldOut` for the gate, whose correct tool is `heldOutTool`, on the topic `heldOutAxis` (6:
    /// the same; 7: another, which no reach connects to the feedback).
    static func choose(heldOutTool: String, heldOut: Int = 60, heldOutAxis: Int = 6) throws -> MemoryReachChoice.Outcome? {
        var rng = SplitMix64(seed: 11)
        var tools = Matrix(rows: names.count, cols: dimension)
        for t in names.indices { tools[t, t] = 1 }
        var rows = [[Float]](), events = [FeedbackEvent](), positives = [[Int]]()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let count = 24 + 2 * heldOut
        for i in 0..<count {
            var v = [Float](repeating: 0, count: dimension)
            v[i < 24 ? 6 : heldOutAxis] = 1
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
        // Each example its own request (the topic's queries meet at cosine ≈ 0.9: chains of pairs
        // above the default near-duplicate cosine would merge some), dealt into the folds by hand.
        let nearDuplicate: Float = 0.9999
        let groups = try RequestGroups(texts: (0..<count).map { "request \($0)" }, vectors: examples.queries, nearDuplicateCosine: nearDuplicate)
        var split = try RequestSplit(groups: groups, selectionFraction: 0.2, gateFraction: 0.2, seed: 0)
        (split.training, split.selection, split.gate) = (Array(0..<24), Array(24..<24 + heldOut), Array(24 + heldOut..<count))
        (split.trainingRequests, split.selectionRequests, split.gateRequests) = (24, heldOut, heldOut)
        return try MemoryReachChoice.choose(adapter: .identity(dimension: dimension, rank: 2), tools: tools, names: names, events: events, reports: [],
                                            examples: examples, split: split, nearDuplicateCosine: nearDuplicate, weights: GantryConfiguration(storePath: nil).weights,
                                            settings: FeedbackMemory.Settings(), at: start)
    }

    @Test func theNearestReachIsTheNearDuplicateCosine() {
        #expect(MemoryReachChoice.candidates(nearDuplicateCosine: 0.95) == [0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
        #expect(MemoryReachChoice.candidates(nearDuplicateCosine: 0.85) == [0.5, 0.6, 0.7, 0.8, 0.85])
        #expect(MemoryReachChoice.candidates(nearDuplicateCosine: 1) == [0.5, 0.6, 0.7, 0.8, 0.9, 0.999])
        #expect(MemoryReachChoice.candidates(nearDuplicateCosine: 0.6) == nil)
    }

    @Test func feedbackThatWouldMisleadOtherQueriesIsKeptToItsOwn() throws {
        // The feedback says `tool_b` for its queries; the held-out queries of the same topic need
        // `tool_a`, which the dense ranking gives them: any reach that touches them lowers them.
        let outcome = try #require(try Self.choose(heldOutTool: "tool_a"))
        let far = MemoryReachChoice.priorIndex, none = outcome.candidates.count - 1
        #expect(outcome.selection[far] < outcome.selection[none], "the reach 0.6 must mislead them: \(outcome.reason)")
        #expect(outcome.reach >= 0.9, "\(outcome.reason)")
        let chosen = try #require(outcome.candidates.firstIndex(of: outcome.reach))
        #expect(outcome.gate[chosen] >= outcome.gate[none] && outcome.selection[chosen] >= outcome.selection[none], "\(outcome.reason)")
    }

    @Test func feedbackThatHelpsOtherQueriesReachesThem() throws {
        // The held-out queries need `tool_b` too, which the dense ranking puts second: every
        // reach up to 0.9 helps them alike, so the prior stays.
        let outcome = try #require(try Self.choose(heldOutTool: "tool_b"))
        let none = outcome.candidates.count - 1
        #expect(outcome.selection[none] < 1 && outcome.reach == FeedbackMemory.priorReach, "\(outcome.reason)")
        #expect(outcome.selection[MemoryReachChoice.priorIndex] == 1 && outcome.gate[MemoryReachChoice.priorIndex] == 1, "\(outcome.reason)")
    }

    @Test func heldOutFeedbackThatSaysNothingLeavesThePrior() throws {
        // Held-out requests of another topic: no reach touches them, every candidate scores alike.
        let outcome = try #require(try Self.choose(heldOutTool: "tool_a", heldOutAxis: 7))
        #expect(Set(outcome.selection).count == 1 && Set(outcome.gate).count == 1, "\(outcome.reason)")
        #expect(outcome.reach == FeedbackMemory.priorReach && outcome.reason.contains("no reach did better"), "\(outcome.reason)")
    }

    @Test func tooFewHeldOutRequestsLeaveThePriorUnlessItHurtsThem() throws {
        // 8 held-out requests that the memory would mislead: too few to choose another reach on,
        // but the gate's requests show the prior's reach lowering them, so the memory stays off them.
        let outcome = try #require(try Self.choose(heldOutTool: "tool_a", heldOut: 8))
        #expect(outcome.reach == outcome.candidates.last && outcome.reason.contains("reaching no other query"), "\(outcome.reason)")
        let quiet = try #require(try Self.choose(heldOutTool: "tool_b", heldOut: 8))
        #expect(quiet.reach == FeedbackMemory.priorReach && quiet.reason.contains("at least 50"), "\(quiet.reason)")
    }
}

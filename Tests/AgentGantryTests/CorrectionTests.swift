import Foundation
@_spi(StoreImplementation) @testable import AgentGantry
import Testing

/// A correction wins its own query: after `recordFeedback(query: q, …, correctTool: c, context:)`,
/// `retrieveTools(q, context:)` returns `c` first, on any embedder's score scale, unless `c` is
/// filtered out or removed or a later correction of `q` names another tool.
@Suite("Corrections win their own query")
struct CorrectionTests {
    /// Two score scales: words in 64 buckets (texts sharing no word are orthogonal) and character
    /// trigrams in 256 buckets (partial overlaps everywhere).
    static let embedders = [HashingEmbedder(dimension: 64, features: .words), HashingEmbedder(dimension: 256, features: .trigrams)]
    static let words = embedders[0]

    /// `q` nearly repeats `tool_9`'s text and shares no word with `tool_12`'s: the semantic gap
    /// is larger than any feedback weight can bridge.
    static let q = "archive the quarterly finance ledger report"
    static let tools: [Tool] = (0..<20).map { i in
        switch i {
        case 3: Tool(name: "tool_3", description: "Email the quarterly finance report.", tags: ["finance"])
        case 4: Tool(name: "tool_4", description: "Archive an old ledger.", tags: ["finance"])
        case 7: Tool(name: "tool_7", description: "Print shipping labels for parcels.", tags: ["shipping"])
        case 9: Tool(name: "tool_9", description: "Archive the quarterly finance ledger report.", tags: ["finance"])
        case 12: Tool(name: "tool_12", description: "Rotate vault encryption keys.", tags: ["security"])
        default: Tool(name: "tool_\(i)", description: "Handle widget \(i) requests.", tags: ["widgets"])
        }
    }
    static let teamA = RoutingContext(user: "ann", team: "A"), teamB = RoutingContext(user: "bob", team: "B")

    func open(_ embedder: HashingEmbedder, store: String? = nil,
              _ change: (inout GantryConfiguration) -> Void = { _ in }) async throws -> AgentGantry {
        var configuration = GantryConfiguration(storePath: store)
        change(&configuration)
        let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
        if await gantry.tools.isEmpty { try await gantry.register(Self.tools) }
        return gantry
    }

    func first(_ gantry: AgentGantry, _ query: String = q, _ context: RoutingContext = RoutingContext(),
               limit: Int = 5) async throws -> String? {
        try await gantry.retrieveTools(query, limit: limit, context: context).first?.tool.name
    }

    @Test(arguments: embedders)
    func theCorrectToolComesFirstForItsQueryAcrossARestart(embedder: HashingEmbedder) async throws {
        let path = temporaryStore()
        do {
            let gantry = try await open(embedder, store: path)
            let before = try await gantry.retrieveTools(Self.q, limit: 5, context: Self.teamA)
            #expect(before.first?.tool.name == "tool_9" && position("tool_12", in: before) > 2,
                    "the embedder must reproduce the mistake: \(names(before))")
            try await gantry.recordFeedback(query: Self.q, selectedTool: "tool_9", correctTool: "tool_12", context: Self.teamA)
            let after = try await gantry.retrieveTools(Self.q, limit: 5, context: Self.teamA)
            #expect(after.first?.tool.name == "tool_12", "\(names(after))")
            let pinned = try #require(after.first)
            #expect(pinned.pinned && after.dropFirst().allSatisfy { !$0.pinned })
            #expect(pinned.breakdown[.feedback] > 0)
            // The breakdown is honest: the score is the tool's own weighted sum, which alone would
            // not have put it first.
            let weights = GantryConfiguration(storePath: nil).weights.normalized
            #expect(abs(pinned.score - weights.weightedSum(pinned.breakdown)) < 1e-12)
            #expect(after.dropFirst().contains { $0.score > pinned.score }, "\(after.map(\.score))")
        }
        let reopened = try await open(embedder, store: path)
        #expect(try await first(reopened, Self.q, Self.teamA) == "tool_12")
        #expect(try await first(reopened, Self.q) == "tool_12")  // no team: the newest correction by anyone
        #expect(try await first(reopened, Self.q, Self.teamA, limit: 1) == "tool_12")
    }

    @Test func theScoreThresholdAndMMRDoNotDropThePinnedTool() async throws {
        let gantry = try await open(Self.words) {
            $0.mmrLambda = 0.3
            $0.scoreThreshold = 0.35
        }
        try await gantry.recordFeedback(query: Self.q, selectedTool: "tool_9", correctTool: "tool_12")
        let matches = try await gantry.retrieveTools(Self.q, limit: 5)
        #expect(matches.first?.tool.name == "tool_12", "\(names(matches))")
        #expect(matches.count > 1 && matches[0].score < 0.35 && matches.dropFirst().allSatisfy { $0.score >= 0.35 }, "\(matches.map(\.score))")
    }

    @Test func aLaterCorrectionByTheSameTeamWinsAndAConfirmationCounts() async throws {
        let gantry = try await open(Self.words)
        try await gantry.recordFeedback(query: Self.q, selectedTool: "tool_9", correctTool: "tool_12", context: Self.teamA)
        try await gantry.recordFeedback(query: Self.q, selectedTool: "tool_12", correctTool: "tool_7", context: Self.teamA)
        #expect(try await first(gantry, Self.q, Self.teamA) == "tool_7")
        try await gantry.recordFeedback(query: Self.q, selectedTool: "tool_12", correctTool: "tool_12", feedbackType: .confirmed,
                                        context: Self.teamA)
        #expect(try await first(gantry, Self.q, Self.teamA) == "tool_12")
        // A confirmation alone pins its tool too.
        let query = "print the finance ledger"
        try await gantry.recordFeedback(query: query, selectedTool: "tool_17", correctTool: "tool_17", feedbackType: .confirmed)
        #expect(try await first(gantry, query) == "tool_17")
    }

    @Test func anotherTeamGetsTheCorrectionUnlessItsOwnDisagrees() async throws {
        let gantry = try await open(Self.words)
        try await gantry.recordFeedback(query: Self.q, selectedTool: "tool_9", correctTool: "tool_12", context: Self.teamA)
        #expect(try await first(gantry, Self.q, Self.teamB) == "tool_12")
        try await gantry.recordFeedback(query: Self.q, selectedTool: "tool_12", correctTool: "tool_7", context: Self.teamB)
        #expect(try await first(gantry, Self.q, Self.teamB) == "tool_7")
        #expect(try await first(gantry, Self.q, Self.teamA) == "tool_12")  // A keeps its own
        // A caller without a team, or of a team that has not corrected q: the newest by anyone.
        #expect(try await first(gantry, Self.q) == "tool_7")
        #expect(try await first(gantry, Self.q, RoutingContext(team: "C")) == "tool_7")
        // A correction without a team is not team A's: A still gets its own.
        try await gantry.recordFeedback(query: Self.q, selectedTool: "tool_7", correctTool: "tool_4")
        #expect(try await first(gantry, Self.q, Self.teamA) == "tool_12")
        #expect(try await first(gantry, Self.q, Self.teamB) == "tool_7")
        #expect(try await first(gantry, Self.q) == "tool_4")
    }

    @Test func aFilteredOutOrRemovedToolIsNotReturned() async throws {
        let gantry = try await open(Self.words)
        try await gantry.recordFeedback(query: Self.q, selectedTool: "tool_9", correctTool: "tool_12")
        #expect(try await first(gantry) == "tool_12")
        let byTag = try await gantry.retrieveTools(Self.q, limit: 5, context: RoutingContext(tags: ["finance"]))
        #expect(!names(byTag).contains("tool_12") && byTag.allSatisfy { !$0.pinned } && !byTag.isEmpty)

        var moved = Self.tools[12]
        moved.namespace = "vault"
        try await gantry.register(moved)
        let inDefault = try await gantry.retrieveTools(Self.q, limit: 5, context: RoutingContext(namespace: "default"))
        #expect(!names(inDefault).contains("tool_12") && !inDefault.isEmpty)
        #expect(try await first(gantry, Self.q, RoutingContext(namespace: "vault")) == "tool_12")

        var deprecated = Self.tools[12]
        deprecated.deprecated = true
        try await gantry.register(deprecated)
        #expect(!names(try await gantry.retrieveTools(Self.q, limit: 20)).contains("tool_12"))
        try await gantry.register(Self.tools[12])
        #expect(try await first(gantry) == "tool_12")

        for _ in 0..<5 { try await gantry.recordExecution(tool: "tool_12", outcome: .failure) }
        #expect(try await gantry.breakerState(of: "tool_12") == .open)
        #expect(!names(try await gantry.retrieveTools(Self.q, limit: 20)).contains("tool_12"))

        let fresh = try await open(Self.words)
        try await fresh.recordFeedback(query: Self.q, selectedTool: "tool_9", correctTool: "tool_12")
        try await fresh.remove("tool_12")
        let removed = try await fresh.retrieveTools(Self.q, limit: 20)
        #expect(!names(removed).contains("tool_12") && removed.allSatisfy { !$0.pinned } && removed.count == Self.tools.count - 1)
    }

    @Test func aNearbyQueryGetsABoostSmallerThanTheIdenticalOne() async throws {
        let gantry = try await open(Self.words)
        try await gantry.recordFeedback(query: Self.q, selectedTool: "tool_9", correctTool: "tool_12")
        func feedback(_ query: String) async throws -> (Double, Bool) {
            let match = try #require(try await gantry.retrieveTools(query, limit: 20).first { $0.tool.name == "tool_12" })
            return (match.breakdown[.feedback], match.pinned)
        }
        let (identical, identicalPinned) = try await feedback(Self.q)
        let (nearby, nearbyPinned) = try await feedback(Self.q + " today")
        let (far, _) = try await feedback("handle widget requests")
        #expect(identicalPinned && !nearbyPinned)
        #expect(0 < nearby && nearby < identical, "nearby \(nearby), identical \(identical)")
        #expect(far == 0)
    }
}

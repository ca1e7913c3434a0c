import Foundation
import Testing
@_spi(StoreImplementation) @testable import AgentGantry

/// A success reported by retrieval id teaches the feedback memory: the tool is vouched for near
/// the retrieval's query, in every process of the store, until the retrieval's record ages out.
@Suite("Linked successes in the feedback memory") struct LinkedSuccessMemoryTests {
    static let query = "end my plan and stop charging me"

    /// The feedback signal `tool` gets for `query` from `gantry`.
    static func feedback(of tool: String, _ gantry: AgentGantry, _ query: String = query) async throws -> Double {
        let matches = try await gantry.retrieveTools(query, limit: catalog.count)
        return try #require(matches.first { $0.tool.name == tool }).breakdown[.feedback]
    }

    @Test func aLinkedSuccessVouchesForItsToolInEveryProcessUntilItsRecordAgesOut() async throws {
        let time = ClockTests.ManualTime(Date(timeIntervalSince1970: 1_800_000_000))
        let store = temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        let a = try await makeGantry(store: store) { $0.clock = GantryClock { time.now } }
        let b = try await makeGantry(store: store) { $0.clock = GantryClock { time.now } }
        let retrieval = try await a.retrieveTools(Self.query, limit: 5)
        let tool = try #require(retrieval.dropFirst(2).first?.tool.name)  // not the first shown
        #expect(try await Self.feedback(of: tool, b) == 0)

        try await a.recordExecution(retrieval: retrieval.id, tool: tool, outcome: .success)
        let stored = try await a.store.events().events
        #expect(stored.map(\.retrieval) == [retrieval.id])
        try await b.followStore()
        let vouched = try await Self.feedback(of: tool, b)
        #expect(abs(vouched - 0.5) < 1e-6, "the same query: half the entry's full weight for the tool (\(vouched))")
        let passedOver = retrieval[0].tool.name
        #expect(abs(try await Self.feedback(of: passedOver, b) + 0.5) < 1e-6, "a tool shown beside it: minus half")
        #expect(try await Self.feedback(of: tool, b, "please end my plan and stop charging me") > 0, "a paraphrase is vouched for too")
        // A process that opens later reads the record from the store.
        let c = try await makeGantry(store: store) { $0.clock = GantryClock { time.now } }
        #expect(try await Self.feedback(of: tool, c) == vouched)

        // Another success of the same tool on the same query moves the entry; a failure adds none.
        let again = try await a.retrieveTools(Self.query, limit: 5)
        try await a.recordExecution(retrieval: again.id, tool: tool, outcome: .success)
        try await a.recordExecution(retrieval: again.id, tool: again[0].tool.name, outcome: .failure)
        try await b.followStore()
        #expect(await b.state.memory.count == 1)

        // Past the retention of retrieval records the successes weigh nothing.
        time.advance(Double(GantryConfiguration(storePath: nil).retrievalRetentionDays) * 86_400 + 60)
        #expect(try await Self.feedback(of: tool, b) == 0)
    }

    @Test func forgettingAUserTakesTheirSuccessesOutOfTheMemory() async throws {
        let gantry = try await makeGantry()
        let context = RoutingContext(user: "mallory")
        let retrieval = try await gantry.retrieveTools(Self.query, limit: 5, context: context)
        let tool = retrieval[2].tool.name
        try await gantry.recordExecution(retrieval: retrieval.id, tool: tool, outcome: .success, context: context)
        #expect(try await Self.feedback(of: tool, gantry) > 0)
        #expect(try await gantry.forget(user: "mallory") == 1)
        #expect(try await Self.feedback(of: tool, gantry) == 0)
        #expect(await gantry.state.memory.count == 0)
    }

    /// Successes arrive with every call: once the entries reach the compaction count, the next
    /// success drops the expired ones; corrections and their verdicts stay.
    @Test func expiredSuccessesAreCompactedAwayAndCorrectionsStay() throws {
        let dimension = 16, count = FeedbackMemory.compactionMinimum
        var memory = try FeedbackMemory(dimension: dimension, settings: .init())
        let vectors = SegmentedIndexTests.unitVectors(count + 1, dimension: dimension, seed: 3)
        let start = Date(timeIntervalSince1970: 1_800_000_000), later = start.addingTimeInterval(120)
        try memory.add(id: 1, vector: vectors[0], entry: .init(correct: "kept", wrong: "other", at: start, team: nil))
        for i in 1..<count {
            try memory.addSuccess(event: Int64(i), vector: vectors[i],
                                  entry: .init(correct: "t\(i % 7)", at: start, team: nil, expires: start.addingTimeInterval(60), shown: ["t\(i % 7)", "other"]))
        }
        #expect(memory.count == count)
        #expect(try memory.signals(for: vectors[1], at: start, team: nil, reach: 0.6)["t1"] ?? 0 >= 0.5)
        try memory.addSuccess(event: Int64(count), vector: vectors[count],
                              entry: .init(correct: "fresh", at: later, team: nil, expires: later.addingTimeInterval(60), shown: ["fresh", "other"]))
        #expect(memory.count == 2)
        #expect(try memory.correction(of: vectors[0], team: nil) == "kept")
        let signals = try memory.signals(for: vectors[count], at: later, team: nil, reach: 0.6)
        #expect(signals["fresh"] == 0.5 && signals["t1"] == nil)
    }

    @Test func anUnlinkedSuccessTeachesHealthOnly() async throws {
        let gantry = try await makeGantry()
        let retrieval = try await gantry.retrieveTools(Self.query, limit: 5)
        let tool = retrieval[2].tool.name
        try await gantry.recordExecution(tool: tool, outcome: .success)
        let unknown = try #require(RetrievalID("00000000deadbeef"))
        try await gantry.recordExecution(retrieval: unknown, tool: tool, outcome: .success)  // no record: stored unlinked
        #expect(try await gantry.store.events().events.map(\.retrieval) == [nil, nil])
        #expect(try await Self.feedback(of: tool, gantry) == 0)
    }
}

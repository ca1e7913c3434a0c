import Foundation
import GantryStoreConformance
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
        #expect(abs(try await Self.feedback(of: tool, c) - vouched) < 1e-5)

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

    // Every process, whenever it opened, holds the same memory (found by an adversarial probe);
    // signals agree to float rounding (a neighbour's cosine may come from the memory's graph in
    // one process and from its exact scan in another).
    static let paraphrase = "please end my plan and stop charging me"
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let day = 86_400.0

    /// A success on an older retrieval of the same query, tool and team does not replace an entry
    /// whose record is kept longer: a follower and a process opened after the older record's end
    /// agree.
    @Test func aSuccessOnAnOlderRetrievalDoesNotShortenTheEntry() async throws {
        let time = ClockTests.ManualTime(Self.t0)
        let store = temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        let a = try await makeGantry(store: store) { $0.clock = GantryClock { time.now } }
        let b = try await makeGantry(store: store) { $0.clock = GantryClock { time.now } }
        let r1 = try await a.retrieveTools(Self.query, limit: 5)
        time.advance(5 * Self.day)
        let r2 = try await a.retrieveTools(Self.query, limit: 5)
        let tool = try #require(r2.dropFirst(2).first?.tool.name)
        #expect(r1.contains { $0.tool.name == tool })
        try await a.recordExecution(retrieval: r2.id, tool: tool, outcome: .success)
        try await a.recordExecution(retrieval: r1.id, tool: tool, outcome: .success)
        #expect(try await a.store.events().events.map(\.retrieval) == [r2.id, r1.id])
        try await b.followStore()
        #expect(try await Self.feedback(of: tool, b) > 0)
        time.advance(2.5 * Self.day)  // r1's record expired, r2's kept until day 12
        let follower = try await Self.feedback(of: tool, b)
        let c = try await makeGantry(store: store) { $0.clock = GantryClock { time.now } }
        let reopened = try await Self.feedback(of: tool, c)
        try await b.followStore()
        let followerAfter = try await Self.feedback(of: tool, b)
        #expect(abs(follower - reopened) < 1e-5, "follower \(follower) vs reopened \(reopened)")
        #expect(abs(followerAfter - reopened) < 1e-5, "follower after follow \(followerAfter) vs reopened \(reopened)")
        #expect(reopened > 0, "r2's record is still retained: its success should count (\(reopened))")
    }

    /// Expired successes take no neighbour place from a correction that counts.
    @Test func expiredSuccessesTakeNoNeighbourPlace() async throws {
        let time = ClockTests.ManualTime(Self.t0)
        let store = temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        let a = try await makeGantry(store: store) { $0.clock = GantryClock { time.now } }
        let first = try await a.retrieveTools(Self.query, limit: 5)
        let corrected = try #require(first.dropFirst(3).first?.tool.name)
        try await a.recordFeedback(query: Self.paraphrase, selectedTool: first[0].tool.name, correctTool: corrected)
        #expect(try await Self.feedback(of: corrected, a) > 0)
        for i in 0..<16 {
            let context = RoutingContext(team: "team\(i)")
            let r = try await a.retrieveTools(Self.query, limit: 5, context: context)
            try await a.recordExecution(retrieval: r.id, tool: r[0].tool.name, outcome: .success)
        }
        #expect(await a.state.memory.count == 17)
        time.advance(8 * Self.day)
        let single = try await Self.feedback(of: corrected, a)
        let c = try await makeGantry(store: store) { $0.clock = GantryClock { time.now } }
        let reopened = try await Self.feedback(of: corrected, c)
        #expect(abs(single - reopened) < 1e-5, "long-running \(single) vs reopened \(reopened)")
        #expect(single > 0, "the correction is live; expired successes weigh nothing (\(single))")
    }

    /// A record the writer gave up is gone from this process too: a success reported on it is
    /// stored unlinked, as another process sees it.
    @Test func aSuccessOnALostRecordIsUnlinked() async throws {
        let path = temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        _ = try await makeGantry(store: path)
        let store = FaultInjectingStore(try SQLiteStore(path: path))
        let a = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: sharedEncoder.get(), store: store)
        store.failWrites([.appendEvents])
        let lost = try await a.retrieveTools(Self.query, limit: 5)
        await #expect(throws: GantryError.self) { try await a.recordExecution(tool: "upload_file", outcome: .failure) }
        #expect(a.lostRetrievalRecords == 1)
        store.failWrites([])
        let tool = lost[2].tool.name
        try await a.recordExecution(retrieval: lost.id, tool: tool, outcome: .success)
        let events = try await store.events().events
        let va = try await Self.feedback(of: tool, a)
        let c = try await makeGantry(store: path)
        let vc = try await Self.feedback(of: tool, c)
        #expect(va == vc, "reporting process \(va) vs reopened \(vc)")
        #expect(events.last?.retrieval == nil, "the record was lost: the execution should be unlinked")
    }

    /// An imported success whose record ends sooner does not shorten a local one of the same
    /// query, tool and team.
    @Test func anImportedOlderSuccessDoesNotShortenALocalOne() async throws {
        let time = ClockTests.ManualTime(Self.t0)
        let source = try await makeGantry { $0.clock = GantryClock { time.now } }
        let old = try await source.retrieveTools(Self.query, limit: 5)
        let tool = old[2].tool.name
        try await source.recordExecution(retrieval: old.id, tool: tool, outcome: .success)
        let log = try await source.exportEvents(includingRetrievals: true)
        time.advance(6 * Self.day)
        let store = temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        let d = try await makeGantry(store: store) { $0.clock = GantryClock { time.now } }
        let mine = try await d.retrieveTools(Self.query, limit: 5)
        #expect(mine.contains { $0.tool.name == tool })
        try await d.recordExecution(retrieval: mine.id, tool: tool, outcome: .success)
        #expect(try await Self.feedback(of: tool, d) > 0)
        #expect(try await d.importEvents(log) == 1)
        time.advance(2 * Self.day)  // the imported record expired; d's own is kept until day 13
        let later = try await Self.feedback(of: tool, d)
        let c = try await makeGantry(store: store) { $0.clock = GantryClock { time.now } }
        let reopened = try await Self.feedback(of: tool, c)
        #expect(abs(later - reopened) < 1e-5, "d \(later) vs reopened \(reopened)")
        #expect(later > 0, "d's own success's record is kept: it should still vouch (\(later))")
    }
}

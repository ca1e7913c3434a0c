import Foundation
@_spi(StoreImplementation) @testable import AgentGantry
import GantryAdapt
import Testing

/// `forget(user:)` and retention remove a user's influence from the adapter too: every adapter
/// version trained on deleted feedback is withdrawn, the served adapter falls back to one that
/// never saw it (or the identity), and a training that read it while it was deleted is discarded.
///
/// Ranking is by the semantic signal alone, so the only learned thing that can move it is the
/// adapter (the feedback memory, preferences and intents carry no weight).
@Suite("Forgetting")
struct ForgetTests {
    static func configure(_ configuration: inout GantryConfiguration) {
        configuration.weights = SignalValues([.semantic: 1])
        configuration.training.rank = 8
        configuration.training.epochs = 15
    }

    /// Mallory's corrections: cancelling queries belong to `pause_subscription`.
    static let malloryQueries = cancellingRequests

    /// Queries of that family among none of the corrections; the frozen model ranks
    /// `cancel_subscription` first for both.
    static let probes = ["please cancel my premium subscription today", "can you end my membership for me"]

    static func recordMallory(_ gantry: AgentGantry) async throws {
        for query in malloryQueries {
            try await gantry.recordFeedback(query: query, selectedTool: "cancel_subscription", correctTool: "pause_subscription",
                                            context: RoutingContext(user: "mallory"))
        }
    }

    /// The first tool for each probe.
    static func firstTools(_ gantry: AgentGantry) async throws -> [String] {
        var first = [String]()
        for probe in probes { first.append(try await gantry.retrieveTools(probe, limit: 3).first?.tool.name ?? "") }
        return first
    }

    static let mallorysTool = Array(repeating: "pause_subscription", count: probes.count)

    /// Only Mallory's feedback puts her tool first (through the adapter trained on it);
    /// forgetting her takes it out of the adapter at once and after a restart.
    @Test func forgettingAUserTakesTheirInfluenceOutOfTheAdapter() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path, Self.configure)
        try await Self.recordMallory(gantry)
        #expect(try await Self.firstTools(gantry) == ["cancel_subscription", "cancel_subscription"])  // not yet: no adapter
        let summary = try await gantry.train()
        #expect(summary.applied && summary.events == Self.malloryQueries.count, "\(summary.reason ?? "")")
        #expect(try await Self.firstTools(gantry) == Self.mallorysTool)

        #expect(try await gantry.forget(user: "mallory") == Self.malloryQueries.count)
        #expect(await gantry.adapter == nil)
        #expect(try await Self.firstTools(gantry) == ["cancel_subscription", "cancel_subscription"])
        let reopened = try await makeGantry(store: path, Self.configure)
        #expect(await reopened.adapter == nil)
        #expect(try await Self.firstTools(reopened) == ["cancel_subscription", "cancel_subscription"])
        let retrained = try await reopened.train()
        #expect(!retrained.applied && retrained.events == 0)
    }

    /// Alice's adapter (version 1) never saw Mallory's events; version 2 did. Forgetting Mallory
    /// withdraws version 2 (its record says which events, its weights are gone) and serves version
    /// 1 again; forgetting a user whose events came after a training withdraws nothing.
    /// What was forgotten is gone from the files too: not left in free pages of the database nor
    /// in old page images of its write-ahead log.
    @Test func forgottenQueriesLeaveNoTraceOnDisk() async throws {
        let path = temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let gantry = try await makeGantry(store: path)
        let secret = "cancel the plan of account zq-secret-4417"
        try await gantry.recordFeedback(query: secret, selectedTool: "pause_subscription", correctTool: "cancel_subscription",
                                        context: RoutingContext(user: "mallory"))
        try await gantry.recordFeedback(query: "post to the team channel", selectedTool: nil, correctTool: "slack_notify",
                                        context: RoutingContext(user: "alice"))
        func onDisk() -> Bool {
            ["", "-wal"].contains { suffix in
                guard let bytes = FileManager.default.contents(atPath: path + suffix) else { return false }
                return bytes.range(of: Data("zq-secret-4417".utf8)) != nil
            }
        }
        #expect(onDisk())
        #expect(try await gantry.forget(user: "mallory") == 1)
        #expect(!onDisk())
        #expect(try await gantry.exportEvents().contains("team channel"))
    }

    @Test func forgettingFallsBackToTheNewestVersionThatNeverSawTheEvents() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path, Self.configure)
        // 48 of Alice's corrections: meeting requests belong to `email_notify`.
        for verb in ["book", "schedule", "set up", "arrange", "plan", "organise", "line up", "put in"] {
            for meeting in ["a meeting with the team", "a call with the client", "a sync with design", "a review with Ann", "an interview slot",
                            "a standup for tomorrow"] {
                try await gantry.recordFeedback(query: "\(verb) \(meeting)", selectedTool: "create_calendar_event", correctTool: "email_notify",
                                                context: RoutingContext(user: "alice"))
            }
        }
        let first = try await gantry.train()
        #expect(first.applied && first.adapterVersion == 1, "\(first.reason ?? "")")
        let alicesAdapter = try #require(await gantry.adapter)
        try await Self.recordMallory(gantry)
        let second = try await gantry.train()
        #expect(second.applied && second.adapterVersion == 2 && second.events == 48 + Self.malloryQueries.count, "\(second.reason ?? "")")
        #expect(try await Self.firstTools(gantry) == Self.mallorysTool)

        // Bob's events come after both trainings: no version saw them.
        try await gantry.recordFeedback(query: "restart the api", selectedTool: nil, correctTool: "restart_service", feedbackType: .confirmed,
                                        context: RoutingContext(user: "bob"))
        try await gantry.recordExecution(tool: "restart_service", outcome: .success, context: RoutingContext(user: "bob"))
        #expect(try await gantry.forget(user: "bob") == 2)
        #expect(try await gantry.adapterVersions().map(\.isWithdrawn) == [false, false])
        #expect(await gantry.adapterVersion == 2)

        let mallorysIDs = try SQLiteStore(path: path).feedbackEvents().filter { $0.user == "mallory" }.map(\.id)
        #expect(try await gantry.forget(user: "mallory") == Self.malloryQueries.count)
        #expect(await gantry.adapter == alicesAdapter)
        #expect(await gantry.adapterVersion == 1)
        #expect(try await Self.firstTools(gantry) == ["cancel_subscription", "cancel_subscription"])
        let versions = try await gantry.adapterVersions()
        #expect(versions.map(\.version) == [2, 1])
        #expect(versions[0].isWithdrawn && versions[0].forgottenSince == mallorysIDs && versions[0].trainedEvents == 48 + Self.malloryQueries.count)
        #expect(!versions[1].isWithdrawn && versions[1].forgottenSince.isEmpty && versions[1].trainedEvents == 48)
        #expect(try SQLiteStore(path: path).adapterVersions().map { $0.file == nil } == [true, false])  // version 2's weights are deleted

        let reopened = try await makeGantry(store: path, Self.configure)
        #expect(await reopened.adapter == alicesAdapter)
        #expect(try await Self.firstTools(reopened) == ["cancel_subscription", "cancel_subscription"])
    }

    /// `forget(user:)` while `train()` trains on the user's events: the training is discarded,
    /// nothing is stored or served.
    @Test func forgettingWhileTrainingDiscardsTheTraining() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path, Self.configure)
        try await Self.recordMallory(gantry)
        let summary = try await gantry.train { gantry in
            let removed = try await gantry.forget(user: "mallory")
            #expect(removed == Self.malloryQueries.count)
        }
        #expect(summary.events == Self.malloryQueries.count)  // it read Mallory's events before they were deleted
        #expect(!summary.applied && summary.adapterVersion == nil)
        #expect(summary.reason?.contains("deleted while it trained") == true, "\(summary.reason ?? "")")
        #expect(await gantry.adapter == nil)
        #expect(try await gantry.adapterVersions().isEmpty)
        #expect(try await Self.firstTools(gantry) == ["cancel_subscription", "cancel_subscription"])
    }

    /// The same when another process deletes the events (another connection to the store).
    @Test func deletionByAnotherProcessWhileTrainingDiscardsTheTraining() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path, Self.configure)
        try await Self.recordMallory(gantry)
        let summary = try await gantry.train { _ in
            let removed = try SQLiteStore(path: path).deleteEvents(of: "mallory")  // another connection, as another process's
            #expect(removed == Self.malloryQueries.count)
        }
        #expect(summary.events == Self.malloryQueries.count && !summary.applied)
        #expect(summary.reason?.contains("deleted while it trained") == true, "\(summary.reason ?? "")")
        #expect(try SQLiteStore(path: path).adapterVersions().isEmpty)
        let reopened = try await makeGantry(store: path, Self.configure)
        #expect(await reopened.adapter == nil)
    }

    /// An adapter trained on events that `retentionDays` later purges is withdrawn when the store
    /// next opens; `train()` purges before it reads, so it never trains on events due for purging.
    @Test func retentionWithdrawsAdaptersTrainedOnPurgedEvents() async throws {
        let path = temporaryStore()
        let encoder = try sharedEncoder.get()
        let vectors = try encoder.embed(Self.malloryQueries)
        let old = Date(timeIntervalSince1970: 1_000_000_000)  // 2001
        let log = try EventLog.encode(feedback: Self.malloryQueries.indices.map { i in
            FeedbackEvent(id: Int64(i), at: old, user: "mallory", team: nil, session: nil, query: Self.malloryQueries[i],
                          queryVector: Array(vectors.row(i)), selectedTool: "cancel_subscription", correctTool: "pause_subscription",
                          type: .toolSelectionError, model: encoder.modelIdentity)
        }, executions: [])
        let gantry = try await makeGantry(store: path, Self.configure)  // no retention
        #expect(try await gantry.importEvents(log) == Self.malloryQueries.count)
        let summary = try await gantry.train()
        #expect(summary.applied && summary.adapterVersion == 1, "\(summary.reason ?? "")")
        #expect(try await Self.firstTools(gantry) == Self.mallorysTool)
        let importedIDs = try SQLiteStore(path: path).feedbackEvents().map(\.id)

        let retained = try await makeGantry(store: path) { Self.configure(&$0); $0.retentionDays = 30 }
        #expect(try await retained.exportEvents().isEmpty)
        #expect(await retained.adapter == nil)
        #expect(try await Self.firstTools(retained) == ["cancel_subscription", "cancel_subscription"])
        let versions = try await retained.adapterVersions()
        #expect(versions.count == 1 && versions[0].isWithdrawn && versions[0].forgottenSince == importedIDs)

        #expect(try await retained.importEvents(log) == Self.malloryQueries.count)
        let purged = try await retained.train()
        #expect(!purged.applied && purged.events == 0)
        #expect(try await retained.adapterVersions().count == 1)
    }

    /// The store keeps the newest three versions; forgetting withdraws every kept one that saw
    /// the events. (Training again without new feedback leaves the gate no request the served
    /// adapter was not trained on, so it applies nothing: versions 2–4 are stored as copies of
    /// version 1's record.)
    @Test func atMostThreeVersionsAreKept() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path, Self.configure)
        try await Self.recordMallory(gantry)
        let first = try await gantry.train()
        #expect(first.adapterVersion == 1, "\(first.reason ?? "")")
        let again = try await gantry.train()  // nothing new to judge a new adapter on
        #expect(!again.applied && again.reason?.contains("no feedback since the served adapter (version 1)") == true
                && again.moreRequestsNeeded == 40, "\(again.reason ?? "")")
        let store = try SQLiteStore(path: path)
        var record = try #require(try store.servedAdapter())
        record.version = nil
        let feedbackCount = try store.feedbackEventsAndHighestID().feedbackCount
        var stored = [Int64?]()
        for _ in 0..<3 { stored.append(try store.saveAdapter(record, feedbackCount: feedbackCount, reportCount: 0)) }
        #expect(stored == [2, 3, 4])
        let reopened = try await makeGantry(store: path, Self.configure)
        #expect(try await reopened.adapterVersions().map(\.version) == [4, 3, 2])
        #expect(await reopened.adapterVersion == 4)
        #expect(try await reopened.forget(user: "mallory") == Self.malloryQueries.count)
        #expect(try await reopened.adapterVersions().allSatisfy { $0.isWithdrawn && $0.forgottenSince.count == Self.malloryQueries.count })
        #expect(await reopened.adapter == nil)
    }
}

extension AgentGantry {
    /// Runs `train()` and, while its trainer runs off the actor (after it read the log, before
    /// it stores its result), `interlude` on the actor. The training task is enqueued on this
    /// actor as it is created and `Task.yield()` queues this method behind it, so the training's
    /// synchronous part, up to the trainer, runs first.
    func train(interleaving interlude: @Sendable (isolated AgentGantry) async throws -> Void) async throws -> TrainingSummary {
        let training = Task { try await train() }
        await Task.yield()
        try await interlude(self)
        return try await training.value
    }
}

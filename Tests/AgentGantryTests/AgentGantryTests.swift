import Foundation
import GRDB
import GantryIndex
@_spi(StoreImplementation) @testable import AgentGantry
import GantryEmbed
import GantryMath
import Testing

@Suite("AgentGantry routing")
struct AgentGantryTests {
    @Test func oneCorrectionFixesTheQueryAndItsParaphraseButNotUnrelatedOnes() async throws {
        let gantry = try await makeGantry()
        let query = "cancel my subscription", paraphrase = "please cancel my subscription for me"
        let unrelated = ["post a message to the team channel", "restart the api service"]
        let before = try await gantry.retrieveTools(query, limit: 5)
        #expect(position("pause_subscription", in: before) < position("cancel_subscription", in: before),
                "the catalog must reproduce the mistake: \(names(before))")
        var unrelatedBefore = [[String]]()
        for q in unrelated { unrelatedBefore.append(names(try await gantry.retrieveTools(q, limit: 5))) }

        try await gantry.recordFeedback(query: query, selectedTool: "pause_subscription", correctTool: "cancel_subscription")

        let after = try await gantry.retrieveTools(query, limit: 5)
        #expect(after.first?.tool.name == "cancel_subscription", "\(names(after))")
        #expect(after[0].breakdown[.feedback] > 0)
        let paraphrased = try await gantry.retrieveTools(paraphrase, limit: 5)
        #expect(position("cancel_subscription", in: paraphrased) < position("pause_subscription", in: paraphrased), "\(names(paraphrased))")
        for (q, expected) in zip(unrelated, unrelatedBefore) {
            #expect(names(try await gantry.retrieveTools(q, limit: 5)) == expected)
        }
    }

    @Test func filtersAndExports() async throws {
        let gantry = try await makeGantry()
        let billing = try await gantry.retrieveTools("export my billing data", limit: 5, context: RoutingContext(tags: ["billing"]))
        #expect(!billing.isEmpty && billing.allSatisfy { $0.tool.tags.contains("billing") })
        #expect(!names(billing).contains("old_billing_export"))
        let none = try await gantry.retrieveTools("anything", limit: 3, context: RoutingContext(namespace: "other"))
        #expect(none.isEmpty)
        let tool = catalog[0]
        #expect(tool.embeddingText.contains("account_id"))
        #expect(tool.openAIFunction["function"]?["name"] == .string("cancel_subscription"))
        #expect(tool.anthropicTool["input_schema"]?["properties"]?["account_id"] != nil)
        await #expect(throws: GantryError.self) { try await gantry.register(Tool(name: "bad name!", description: "x")) }
        await #expect(throws: GantryError.self) { try await gantry.retrieveTools("x", limit: 0) }
        await #expect(throws: GantryError.self) {
            try await gantry.recordFeedback(query: "x", selectedTool: nil, correctTool: "no_such_tool")
        }
    }

    @Test func teamPreferencesStayWithinTheTeam() async throws {
        let gantry = try await makeGantry()
        let query = "notify everyone about the outage"
        let teamA = RoutingContext(user: "ann", team: "A"), teamB = RoutingContext(user: "bob", team: "B")
        let beforeB = names(try await gantry.retrieveTools(query, limit: 5, context: teamB))
        for i in 0..<6 {
            try await gantry.recordExecution(tool: "slack_notify", outcome: .success, latency: .milliseconds(80 + i), context: teamA)
        }
        let a = try await gantry.retrieveTools(query, limit: 5, context: teamA)
        #expect(position("slack_notify", in: a) < position("email_notify", in: a), "\(names(a))")
        #expect(a.first { $0.tool.name == "slack_notify" }!.breakdown[.preference] > 0)
        #expect(names(try await gantry.retrieveTools(query, limit: 5, context: teamB)) == beforeB)
    }

    @Test func teamsThatDisagreeOnARequestEachKeepTheirOwnCorrection() async throws {
        let gantry = try await makeGantry()
        let query = "send everyone a heads-up"
        let teamA = RoutingContext(user: "ann", team: "A"), teamB = RoutingContext(user: "bob", team: "B")
        for _ in 0..<3 {
            try await gantry.recordFeedback(query: query, selectedTool: "email_notify", correctTool: "slack_notify", context: teamA)
            try await gantry.recordFeedback(query: query, selectedTool: "slack_notify", correctTool: "email_notify", context: teamB)
        }
        let a = try await gantry.retrieveTools(query, limit: 5, context: teamA)
        let b = try await gantry.retrieveTools(query, limit: 5, context: teamB)
        #expect(a.first?.tool.name == "slack_notify" && b.first?.tool.name == "email_notify", "A: \(names(a)), B: \(names(b))")
        // A correction no team disputes still helps other teams, at `feedbackOtherTeamWeight`.
        try await gantry.recordFeedback(query: "cancel my subscription", selectedTool: "pause_subscription",
                                        correctTool: "cancel_subscription", context: teamA)
        let own = try await gantry.retrieveTools("cancel my subscription", limit: 3, context: teamA)
        let other = try await gantry.retrieveTools("cancel my subscription", limit: 3, context: teamB)
        let signal = { (matches: Retrieval) in matches.first { $0.tool.name == "cancel_subscription" }!.breakdown[.feedback] }
        #expect(signal(own) > 0 && abs(signal(other) - 0.5 * signal(own)) < 1e-6, "\(signal(own)) \(signal(other))")
    }

    @Test func aCorrectionLiftsAToolFromBelowTheCandidatePool() async throws {
        let gantry = try await makeGantry()
        let fillers = (0..<30).map { Tool(name: "report_\($0)", description: "Build analytics report number \($0) for the finance dashboard.") }
        try await gantry.register(fillers)
        let query = "restart the production service"
        let everything = try await gantry.retrieveTools(query, limit: 39)
        let last = everything.last!.tool.name
        #expect(position(last, in: everything) >= 20, "the pool for 5 results is 20 candidates")
        try await gantry.recordFeedback(query: query, selectedTool: everything[0].tool.name, correctTool: last)
        let after = try await gantry.retrieveTools(query, limit: 5)
        #expect(names(after).contains(last), "\(last) must compete once corrected: \(names(after))")
        #expect((after.first { $0.tool.name == last }?.breakdown[.feedback] ?? 0) > 0)
    }

    @Test func circuitBreakerOpensHalfOpensAndCloses() async throws {
        let time = ClockTests.ManualTime(Date(timeIntervalSince1970: 1_790_000_000))
        let gantry = try await makeGantry { configuration in
            configuration.breaker.coolDown = 0.2
            configuration.clock = GantryClock { time.now }
        }
        let query = "restart the production service"
        #expect(try await gantry.retrieveTools(query, limit: 3).first?.tool.name == "restart_service")
        for _ in 0..<5 { try await gantry.recordExecution(tool: "restart_service", outcome: .timeout) }
        #expect(try await gantry.breakerState(of: "restart_service") == .open)
        #expect(!names(try await gantry.retrieveTools(query, limit: 5)).contains("restart_service"))
        time.advance(0.3)
        #expect(try await gantry.breakerState(of: "restart_service") == .halfOpen)
        #expect(names(try await gantry.retrieveTools(query, limit: 5)).contains("restart_service"))  // probe 1
        #expect(names(try await gantry.retrieveTools(query, limit: 5)).contains("restart_service"))  // probe 2
        #expect(!names(try await gantry.retrieveTools(query, limit: 5)).contains("restart_service"))  // no more probes
        try await gantry.recordExecution(tool: "restart_service", outcome: .success)
        try await gantry.recordExecution(tool: "restart_service", outcome: .success)
        #expect(try await gantry.breakerState(of: "restart_service") == .closed)
        #expect(try await gantry.retrieveTools(query, limit: 3).first?.tool.name == "restart_service")
    }

    @Test func retrievalWritesNothingToTheStoreAndCountsProbesInMemory() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path) { $0.breaker.coolDown = 0 }  // open is half-open at once
        let query = "restart the production service"
        for _ in 0..<5 { try await gantry.recordExecution(tool: "restart_service", outcome: .timeout) }
        func storeContent() throws -> String {  // the breaker's state is folded from these
            try SQLiteStore(path: path).exportEvents() + "\(try SQLiteStore(path: path).summary())"
        }
        let stored = try storeContent()
        #expect(names(try await gantry.retrieveTools(query, limit: 5)).contains("restart_service"))  // probe 1
        #expect(names(try await gantry.retrieveTools(query, limit: 5)).contains("restart_service"))  // probe 2
        #expect(!names(try await gantry.retrieveTools(query, limit: 5)).contains("restart_service"))  // counted in memory
        #expect(try storeContent() == stored)  // the retrievals wrote nothing
    }

    @Test func restartKeepsToolsFeedbackBreakersAndForgetRemovesAUser() async throws {
        let path = temporaryStore()
        do {
            let gantry = try await makeGantry(store: path)
            try await gantry.recordFeedback(query: "cancel my subscription", selectedTool: "pause_subscription",
                                            correctTool: "cancel_subscription", context: RoutingContext(user: "u1", team: "A"))
            for _ in 0..<5 { try await gantry.recordExecution(tool: "upload_file", outcome: .failure) }
        }
        let reopened = try await makeGantry(store: path)
        #expect(await reopened.tools.count == catalog.count)
        #expect(try await reopened.retrieveTools("cancel my subscription", limit: 3).first?.tool.name == "cancel_subscription")
        #expect(try await reopened.breakerState(of: "upload_file") == .open)
        #expect(try await reopened.forget(user: "u1") == 1)
        let forgotten = try await reopened.retrieveTools("cancel my subscription", limit: 5)
        #expect(forgotten.allSatisfy { $0.breakdown[.feedback] == 0 })
        #expect(position("pause_subscription", in: forgotten) < position("cancel_subscription", in: forgotten))
    }

    @Test func redactionRemovesPersonalData() {
        let text = Redaction.redact("mail ann@example.com or call +1 415 555 0100, card 4111111111111111, key sk-abcdefghijklmnop123")
        #expect(!text.contains("ann@example.com") && !text.contains("4111111111111111") && !text.contains("sk-abc"))
        #expect(!text.contains("555 0100") && text.contains("[email]") && text.contains("[key]"))
    }

    /// Texts the quick check lets through unread are those the patterns leave alone: random
    /// texts built to sit near every pattern's edge (digits of several scripts and widths, `@`,
    /// key prefixes and runs, combining and format characters, phone-shaped groups).
    @Test func redactionSkipsOnlyTextsWithNothingToRemove() {
        var rng = SplitMix64(seed: 11)
        let pieces = ["1", "23", "456", "٣", "@", "a", "sk", "ghp", "AKIA", "x_", "-", " ", ".", "(", ")", "+", "é", "Zz9", "mail",
                      "pk", "rk", "xoxb", "AIza", "gho", "_", "abcdefgh", "Q", "ñ", "information",
                      "\u{301}", "\u{200D}", "１", "\u{1D7CE}", "\u{A0}", "22 333 "]
        var skipped = 0
        for _ in 0..<20_000 {
            let text = (0..<Int(rng.next() % 16)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            guard !Redaction.mayHoldSomething(text) else { continue }
            skipped += 1
            #expect(Redaction.replacingMatches(in: text) == text, "\(text)")
        }
        #expect(skipped > 2_000 && skipped < 19_000)  // both ways taken
        // Ordinary long words and short numbers are not read by the patterns.
        for text in ["recommendations for international transportation", "ask about network tasks", "top 10 skills in 2026"] {
            #expect(!Redaction.mayHoldSomething(text), "\(text)")
        }
        for text in ["use sk_live_abcdefgh please", "token=ghp_0123456789", "id a1b2c3d4e5f6g7h8i9j0k1l2"] {
            #expect(Redaction.mayHoldSomething(text) && Redaction.redact(text) != text, "\(text)")
        }
    }
}

@Suite("AgentGantry training")
struct AgentGantryTrainingTests {
    /// Feedback that only training can teach: cancelling requests belong to `pause_subscription`.
    static let corrections = cancellingRequests.map { ($0, "cancel_subscription", "pause_subscription") }

    @Test func trainFoldsFeedbackIntoTheAdapterAndSurvivesARestart() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path) { $0.training.rank = 8; $0.training.epochs = 15 }
        let early = try await gantry.train()
        #expect(!early.applied && early.events == 0 && early.reason!.contains("at least 38") && early.moreRequestsNeeded == 38)
        for (query, wrong, right) in Self.corrections {
            try await gantry.recordFeedback(query: query, selectedTool: wrong, correctTool: right)
        }
        let probe = "please cancel my premium subscription today"  // none of the corrections
        func semantic(_ matches: Retrieval, _ tool: String) -> Double { matches.first { $0.tool.name == tool }?.breakdown[.semantic] ?? 0 }
        let before = try await gantry.retrieveTools(probe, limit: 5)
        #expect(semantic(before, "cancel_subscription") > semantic(before, "pause_subscription"))
        let summary = try await gantry.train()
        // Some of the 80 are near-duplicates of others ("stop the plan", "stop the monthly plan"): one request each.
        #expect(summary.events == Self.corrections.count && (70...80).contains(summary.requests) && summary.applied,
                "\(summary.requests) \(summary.reason ?? "")")
        let gate = try #require(summary.gate)
        #expect(gate.passed && gate.requests == Int((Double(summary.requests) * 0.2).rounded()) && gate.candidateMRR > gate.currentMRR
                && summary.report?.gate == gate, "\(gate)")
        // Too few held-out requests to choose a lexical weight on: the prior keeps serving.
        #expect(summary.lexicalWeight == nil && summary.lexicalWeightReason?.contains("chosen on at least 50") == true,
                "\(summary.lexicalWeightReason ?? "no reason")")
        #expect(gantry.published.current.lexicalWeight == ScoreFusion.priorWeight)
        // The adapter alone (the semantic signal) now ranks the taught tool first for a new request.
        let after = try await gantry.retrieveTools(probe, limit: 5)
        #expect(semantic(after, "pause_subscription") > semantic(after, "cancel_subscription"), "\(names(after))")
        let reopened = try await makeGantry(store: path)
        #expect(names(try await reopened.retrieveTools("stop paying for the plan", limit: 5))
            == names(try await gantry.retrieveTools("stop paying for the plan", limit: 5)))
        #expect(await reopened.adapter == gantry.adapter)
        // The memory's reach chosen on the held-out feedback is served with the adapter, by every
        // process that serves it, unless the configuration sets one.
        let reach = try #require(summary.feedbackMemoryThreshold, "\(summary.feedbackMemoryThresholdReason ?? "no reason")")
        #expect(MemoryReachChoice.candidates(nearDuplicateCosine: 0.95)?.contains(reach) == true && summary.report?.memoryReach == reach)
        #expect(summary.feedbackMemoryThresholdReason?.contains("held-out MRR@10 by reach") == true)
        #expect(await gantry.servedFeedbackMemoryThreshold == reach)
        #expect(await reopened.servedFeedbackMemoryThreshold == reach)
        let pinned = try await makeGantry(store: path) { $0.feedbackMemoryThreshold = 0.75 }
        #expect(await pinned.servedFeedbackMemoryThreshold == 0.75)
        #expect(await pinned.adapter == gantry.adapter)
    }

    /// With too few distinct requests, or requests asked again and again, `train()` says how much
    /// more feedback it needs instead of training on a hold-out that proves nothing.
    @Test func repeatedRequestsCountOnceAndTheSummarySaysHowManyMoreAreNeeded() async throws {
        let gantry = try await makeGantry { $0.training.rank = 8; $0.training.epochs = 15 }
        // 30 requests (a few of them near-duplicates of others), each asked four times: 120 events.
        for (query, wrong, right) in Self.corrections.prefix(30) {
            for _ in 0..<4 { try await gantry.recordFeedback(query: query, selectedTool: wrong, correctTool: right) }
        }
        let summary = try await gantry.train()
        #expect(summary.events == 120 && (25...30).contains(summary.requests) && !summary.applied && summary.report == nil)
        #expect(summary.moreRequestsNeeded == 38 - summary.requests, "\(summary.moreRequestsNeeded ?? -1)")
        #expect(summary.reason!.contains("\(summary.requests) distinct requests among 120"), "\(summary.reason ?? "")")
        // With the other 50, enough distinct requests to train and decide on a fifth of them.
        for (query, wrong, right) in Self.corrections[30...] {
            try await gantry.recordFeedback(query: query, selectedTool: wrong, correctTool: right)
        }
        let next = try await gantry.train()
        #expect(next.requests >= 38 && next.report != nil && next.gate?.requests == Int((Double(next.requests) * 0.2).rounded()),
                "\(next.requests) \(next.reason ?? "")")
    }

    /// Retrievals, feedback and executions from many tasks while `train()` swaps the adapter and
    /// the index (also run under the thread sanitizer by `.ci/run`). Readers must see the swap
    /// atomically: the semantic scores of one query match either the old adapter's or the new
    /// one's, never a mix of an adapted query with a stale index.
    @Test func concurrentRetrievalsAndWritesWhileTraining() async throws {
        let gantry = try await makeGantry { $0.training.rank = 8; $0.training.epochs = 15 }
        for (query, wrong, right) in Self.corrections {
            try await gantry.recordFeedback(query: query, selectedTool: wrong, correctTool: right)
        }
        let probe = "upload the quarterly report"
        func semanticScores() async throws -> [String: Double] {
            Dictionary(uniqueKeysWithValues: try await gantry.retrieveTools(probe, limit: 8).map { ($0.tool.name, $0.breakdown[.semantic]) })
        }
        let before = try await semanticScores()
        let seen = try await withThrowingTaskGroup(of: [String: Double]?.self) { group in
            group.addTask { let summary = try await gantry.train(); #expect(summary.applied); return nil }
            for i in 0..<60 {
                group.addTask {
                    switch i % 4 {
                    case 0:
                        try await gantry.recordFeedback(query: "ping the team \(i)", selectedTool: "email_notify", correctTool: "slack_notify",
                                                        context: RoutingContext(user: "u\(i % 3)", team: "A"))
                        return nil
                    case 1:
                        // Successes only: an opened breaker would filter a tool out of the scores compared below.
                        try await gantry.recordExecution(tool: "slack_notify", outcome: .success, latency: .milliseconds(50 + i),
                                                         context: RoutingContext(session: "s\(i % 5)"))
                        return nil
                    default:
                        let matches = try await gantry.retrieveTools(i % 3 == 0 ? "cancel my subscription" : "ping the team", limit: 3)
                        #expect(matches.count == 3)
                        return try await semanticScores()
                    }
                }
            }
            var seen = [[String: Double]]()
            for try await scores in group { if let scores { seen.append(scores) } }
            return seen
        }
        let after = try await semanticScores()
        func same(_ a: [String: Double], _ b: [String: Double]) -> Bool {
            a.keys == b.keys && a.allSatisfy { abs($0.value - b[$0.key]!) < 1e-6 }
        }
        #expect(!seen.isEmpty && !same(before, after))  // the swap happened while readers read
        for scores in seen { #expect(same(scores, before) || same(scores, after), "a reader saw a half-swapped adapter and index") }
        let events = try await gantry.exportEvents().split(separator: "\n")
        #expect(events.count == Self.corrections.count + 30)  // 15 feedback + 15 executions, none lost
    }
}

/// The README's facade example (with a temporary store instead of the default location).
@Test func readmeFacadeExampleRuns() async throws {
    let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: temporaryStore()), embedder: sharedEncoder.get())
    try await gantry.register([
        Tool(name: "cancel_subscription", description: "Stop the recurring plan for good.", tags: ["billing"]),
        Tool(name: "pause_subscription", description: "Pause billing for a while; the plan resumes later.", tags: ["billing"]),
    ])
    let matches = try await gantry.retrieveTools("cancel my subscription", limit: 5,
                                                 context: RoutingContext(user: "u1", team: "A", session: "s1"))
    #expect(matches.count == 2 && matches.allSatisfy { $0.score.isFinite })
    try await gantry.recordFeedback(query: "cancel my subscription", selectedTool: "pause_subscription",
                                    correctTool: "cancel_subscription", feedbackType: .toolSelectionError)
    try await gantry.recordExecution(tool: "cancel_subscription", outcome: .success, latency: .milliseconds(120))
    let summary = try await gantry.train()
    #expect(!summary.applied && summary.events == 1)
    #expect(matches[0].tool.openAIFunction["type"] == .string("function"))
}

@Test func eventsExportAndImportIntoAnotherStore() async throws {
    let source = try await makeGantry()
    try await source.recordFeedback(query: "cancel my subscription, mail me at ann@example.com", selectedTool: "pause_subscription",
                                    correctTool: "cancel_subscription", context: RoutingContext(user: "ann", team: "A"))
    try await source.recordExecution(tool: "slack_notify", outcome: .timeout, latency: .milliseconds(900), context: RoutingContext(session: "s"))
    let exported = try await source.exportEvents()
    #expect(exported.split(separator: "\n").count == 2)
    #expect(!exported.contains("ann@example.com") && exported.contains("[email]"))

    let target = try await makeGantry()
    #expect(try await target.importEvents(exported) == 2)
    #expect(try await target.retrieveTools("cancel my subscription", limit: 3).first?.tool.name == "cancel_subscription")
    #expect(try await target.exportEvents() == exported)
    // All or nothing: one bad line and nothing is imported.
    let bad = exported + #"{"kind": "execution", "at": 1, "tool": "no_such_tool", "outcome": "success"}"# + "\n"
    await #expect(throws: GantryError.self) { try await target.importEvents(bad) }
    #expect(try await target.exportEvents() == exported)
}

/// Without query text the store keeps the embedding and the hashes of the redacted text's distinct
/// words (what choosing the lexical weight needs), and `forget(user:)` deletes those with the event.
@Test func keepingEmbeddingsOnlyStoresNoQueryText() async throws {
    let path = temporaryStore()
    let gantry = try await makeGantry(store: path) { $0.keepQueryText = false }
    let query = "cancel my subscription, mail ann@example.com"
    try await gantry.recordFeedback(query: query, selectedTool: "pause_subscription", correctTool: "cancel_subscription",
                                    context: RoutingContext(user: "ann"))
    let exported = try await gantry.exportEvents()
    #expect(!exported.contains("cancel my subscription") && exported.contains("query_vector") && exported.contains("query_terms"))
    #expect(try await gantry.retrieveTools("cancel my subscription", limit: 3).first?.tool.name == "cancel_subscription")
    let stored = try await gantry.store.feedbackEventsAndHighestID().events
    #expect(stored.map(\.queryTerms) == [ToolTokenizer.termHashes(Redaction.redact(query))])
    let kept = stored.first?.queryTerms ?? []
    #expect(kept.count == 5 && !kept.contains(ToolTokenizer.termHash("ann")), "a redacted word's hash was kept: \(kept)")
    #expect(try await DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM eventTerms") } == 1)
    // A query of no words keeps an empty list of hashes.
    try await gantry.recordFeedback(query: "???", selectedTool: nil, correctTool: "cancel_subscription", context: RoutingContext(user: "ann"))
    #expect(try await gantry.store.feedbackEventsAndHighestID().events.last?.queryTerms == [])
    #expect(try await gantry.forget(user: "ann") == 2)
    #expect(try await DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM eventTerms") } == 0)
}

/// Counts the texts it is asked to embed.
final class CountingEmbedder: Embedder, @unchecked Sendable {
    let inner: any Embedder
    private let lock = NSLock()
    private var texts = [String]()
    init(_ inner: any Embedder) { self.inner = inner }
    var dimension: Int { inner.dimension }
    var modelIdentity: String { inner.modelIdentity }
    var embedded: [String] { lock.withLock { texts } }
    func embed(_ texts: [String]) throws -> Matrix {
        lock.withLock { self.texts += texts }
        return try inner.embed(texts)
    }
}

@Test func onlyChangedToolsAreEmbeddedAgainAndThresholdsApply() async throws {
    let path = temporaryStore()
    let counting = CountingEmbedder(try sharedEncoder.get())
    let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: counting)
    try await gantry.register(catalog)
    let first = counting.embedded.count
    var changed = catalog
    changed[2].description = "Give the customer their money back on the original card."
    try await gantry.register(changed)
    #expect(counting.embedded.count == first + 1 && counting.embedded.last == changed[2].embeddingText)
    let restarted = CountingEmbedder(try sharedEncoder.get())
    let reopened = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: restarted)
    #expect(restarted.embedded.count == IntentClassifier.defaultExamples.reduce(0) { $0 + $1.1.count })  // intents only, no tools
    #expect(await reopened.tools == changed.sorted { $0.name < $1.name })

    var strict = GantryConfiguration(storePath: nil)
    strict.scoreThreshold = 0.45
    let thresholded = try await AgentGantry(configuration: strict, embedder: sharedEncoder.get())
    try await thresholded.register(catalog)
    let matches = try await thresholded.retrieveTools("cancel my subscription", limit: 8)
    #expect(!matches.isEmpty && matches.count < 8 && matches.allSatisfy { $0.score >= 0.45 })
}

@Test func retentionPurgesOldEvents() async throws {
    let path = temporaryStore()
    let gantry = try await makeGantry(store: path)
    try await gantry.recordFeedback(query: "cancel my subscription", selectedTool: "pause_subscription", correctTool: "cancel_subscription")
    // An event from 1970 imported, then a store opened with 30 days of retention drops it.
    let ancient = #"{"at":1000,"correct_tool":"refund_payment","feedback_type":"confirmed","kind":"feedback","query_vector":["#
        + Array(repeating: "0.05", count: 384).joined(separator: ",") + "]}\n"
    #expect(try await gantry.importEvents(ancient) == 1)
    #expect(try await gantry.exportEvents().split(separator: "\n").count == 2)
    let retained = try await makeGantry(store: path) { $0.retentionDays = 30 }
    #expect(try await retained.exportEvents().split(separator: "\n").count == 1)
}

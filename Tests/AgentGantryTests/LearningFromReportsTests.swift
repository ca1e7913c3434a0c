import Foundation
import GantryAdapt
@_spi(StoreImplementation) @testable import AgentGantry
import Testing

/// `train()` learns from what agents report on retrievals (`ReportedExample`): successes are
/// positives, wrong tools negatives, and a failure of a tool that is down teaches the adapter
/// nothing. Ranking is by the semantic signal alone (as in `ForgetTests`), so the only learned
/// thing that can move it is the adapter.
@Suite("Learning from reports")
struct LearningFromReportsTests {
    /// Queries of the cancelling family among none of the reports; the frozen model ranks
    /// `cancel_subscription` first for both.
    static let probes = ForgetTests.probes

    /// For each cancelling request: a retrieval, the agent trying the first tool shown (wrong
    /// for it, as the caller says) and then `pause_subscription`, which works. No feedback event.
    static func reportPausing(_ gantry: AgentGantry, user: String? = nil) async throws {
        for query in cancellingRequests {
            let context = RoutingContext(user: user)
            let retrieval = try await gantry.retrieveTools(query, limit: 5, context: context)
            let first = try #require(retrieval.first?.tool.name)
            try #require(retrieval.contains { $0.tool.name == "pause_subscription" }, "\(query): pause_subscription not shown")
            if first != "pause_subscription" {
                try await gantry.recordSelection(retrieval: retrieval.id, tool: first, context: context)
                try await gantry.recordExecution(retrieval: retrieval.id, tool: first, outcome: .wrongTool, context: context)
            }
            try await gantry.recordSelection(retrieval: retrieval.id, tool: "pause_subscription", context: context)
            try await gantry.recordExecution(retrieval: retrieval.id, tool: "pause_subscription", outcome: .success, context: context)
        }
    }

    @Test func aPreferenceIsLearnedFromSelectionsAndOutcomesAlone() async throws {
        let gantry = try await makeGantry(store: temporaryStore(), ForgetTests.configure)
        #expect(try await ForgetTests.firstTools(gantry) == ["cancel_subscription", "cancel_subscription"])
        try await Self.reportPausing(gantry)
        #expect(try await gantry.store.feedbackEventsAndHighestID().events.isEmpty)
        let summary = try await gantry.train()
        #expect(summary.applied && summary.events == 0 && summary.reportedRetrievals == cancellingRequests.count, "\(summary.reason ?? "")")
        #expect(try await ForgetTests.firstTools(gantry) == ForgetTests.mallorysTool)
    }

    @Test func forgettingAUserWithdrawsTheAdapterTrainedOnTheirReports() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path, ForgetTests.configure)
        try await Self.reportPausing(gantry, user: "mallory")
        let summary = try await gantry.train()
        #expect(summary.applied, "\(summary.reason ?? "")")
        #expect(try await ForgetTests.firstTools(gantry) == ForgetTests.mallorysTool)
        _ = try await gantry.forget(user: "mallory")
        #expect(await gantry.adapter == nil)
        #expect(try await gantry.adapterVersions().map(\.isWithdrawn) == [true])
        #expect(try await ForgetTests.firstTools(gantry) == ["cancel_subscription", "cancel_subscription"])
        let reopened = try await makeGantry(store: path, ForgetTests.configure)
        #expect(await reopened.adapter == nil)
    }

    /// The same successes with and without a tool that is down failing on other requests (no
    /// other tool of those retrievals worked; its breaker opens): the same adapter.
    @Test func failuresOfABrokenToolLeaveTheAdapterUnchanged() async throws {
        var adapters = [LowRankAdapter?](), reports = [String]()
        for broken in [false, true] {
            let gantry = try await makeGantry(store: temporaryStore(), ForgetTests.configure)
            try await Self.reportPausing(gantry)  // first: an open breaker would change the shortlists
            if broken {
                for n in 0..<40 {
                    let retrieval = try await gantry.retrieveTools("post the release notes to the team channel \(n)", limit: 5)
                    try await gantry.recordSelection(retrieval: retrieval.id, tool: "slack_notify")
                    try await gantry.recordExecution(retrieval: retrieval.id, tool: "slack_notify", outcome: n.isMultiple(of: 2) ? .failure : .timeout)
                }
            }
            let summary = try await gantry.train()
            #expect(summary.applied && summary.reportedRetrievals == cancellingRequests.count, "\(summary.reason ?? "")")
            adapters.append(await gantry.adapter)
            reports.append("\(summary.requests) requests, best epoch \(summary.report?.bestEpoch ?? -1), "
                           + "validation \(summary.report?.bestValidation.mrrAt10 ?? -1), \(summary.report?.triplets ?? -1) triplets")
        }
        // Equal up to the rounding of parallel BLAS under load (a run alone gives the same bits);
        // one failure taken as a negative moves the parameters by orders of magnitude more.
        let with = try #require(adapters[1]), without = try #require(adapters[0])
        #expect(with.toolOffsets.keys.sorted() == without.toolOffsets.keys.sorted())
        let differences = zip(with.up.values + with.down.values, without.up.values + without.down.values).map { abs($0 - $1) }
            + with.toolOffsets.flatMap { name, offset in zip(offset, without.toolOffsets[name] ?? []).map { abs($0 - $1) } }
        #expect((differences.max() ?? 0) < 1e-4, "\(reports)")
    }
}

/// The rules that turn a retrieval's reports into a training example.
@Suite("Reported examples")
struct ReportedExampleTests {
    static let id = RetrievalID(rawValue: 7 << 32 | 1)!

    static let record = RetrievalRecord(id: id, at: Date(), user: nil, team: nil, session: nil, query: "q", queryTerms: nil, queryVector: [1, 0],
                                        model: "m", shortlist: ["a", "b", "c", "d", "e"].map { RetrievalRecord.Shown(tool: $0, score: 0.5) })

    static func example(_ reports: [(String, RetrievalReport.Signal)]) -> ReportedExample? {
        ReportedExample.example(record, reports.enumerated().map { index, report in
            RetrievalReport(id: Int64(index + 1), at: Date(), retrieval: id, tool: report.0, signal: report.1, user: nil, team: nil, session: nil)
        })
    }

    @Test func aSuccessIsAPositiveAtItsRankAndToolsSkippedAboveItArePassedOver() throws {
        let example = try #require(Self.example([("c", .selection), ("c", .success)]))
        #expect(example.positives.map(\.tool) == ["c"] && example.positives.map(\.rank) == [2])
        #expect(example.negatives.isEmpty && example.passedOver == ["a", "b"])
    }

    @Test func aWrongToolAndAFailureBeforeAnotherToolsSuccessAreNegatives() throws {
        let example = try #require(Self.example([("a", .wrongTool), ("b", .failure), ("d", .success), ("e", .failure)]))
        #expect(example.positives.map(\.tool) == ["d"])
        #expect(example.negatives == ["a", "b"])  // e failed after the success: down, not wrong
        #expect(example.passedOver == ["c"])
    }

    @Test func failuresAndTimeoutsAloneTeachNothing() {
        #expect(Self.example([("a", .failure), ("b", .timeout), ("b", .selection)]) == nil)
        #expect(Self.example([("a", .wrongTool)]) == nil)  // no positive to rank above it
    }

    @Test func aToolThatSucceededIsNeverANegative() throws {
        let example = try #require(Self.example([("a", .wrongTool), ("a", .success), ("b", .success)]))
        #expect(example.positives.map(\.tool) == ["a", "b"] && example.negatives.isEmpty)
    }

    @Test func onlyRecordsWithASuccessGiveExamples() {
        let other = RetrievalRecord(id: RetrievalID(rawValue: 7 << 32 | 2)!, at: Date(), user: nil, team: nil, session: nil, query: "r",
                                    queryTerms: nil, queryVector: [0, 1], model: "m", shortlist: [RetrievalRecord.Shown(tool: "a", score: 1)])
        let reports = [RetrievalReport(id: 1, at: Date(), retrieval: other.id, tool: "a", signal: .failure, user: nil, team: nil, session: nil),
                       RetrievalReport(id: 2, at: Date(), retrieval: Self.id, tool: "b", signal: .success, user: nil, team: nil, session: nil),
                       RetrievalReport(id: 3, at: Date(), retrieval: RetrievalID(rawValue: 9)!, tool: "a", signal: .success, user: nil, team: nil,
                                       session: nil)]
        #expect(ReportedExample.examples(records: [Self.record, other], reports: reports).map(\.record.id) == [Self.id])
    }
}

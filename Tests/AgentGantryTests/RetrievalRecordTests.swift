import Foundation
import GantryIndex
import GRDB
import GantryStoreConformance
import Testing
@_spi(StoreImplementation) @testable import AgentGantry

/// Retrieval ids and records, and the reports that name them (learning from every call, part 1).
@Suite("Retrieval records") struct RetrievalRecordTests {
    /// The store's records and reports, once everything queued before is committed (a report
    /// waits for its commit, and records queued before it go in the same or an earlier one).
    static func log(_ gantry: AgentGantry) async throws -> (records: [RetrievalRecord], reports: [RetrievalReport]) {
        try await gantry.store.retrievalLog()
    }

    @Test func everyRetrievalIsRecordedWithItsShortlistContextAndRedactedQuery() async throws {
        let gantry = try await makeGantry()
        let context = RoutingContext(user: "ann", team: "support", session: "s-1")
        let first = try await gantry.retrieveTools("cancel my plan, mail me at ann@example.com", limit: 3, context: context)
        let second = try await gantry.retrieveTools("post to slack", limit: 2)
        #expect(first.id != second.id)
        try await gantry.recordSelection(retrieval: second.id, tool: "slack_notify")
        let records = try await Self.log(gantry).records
        #expect(records.map(\.id) == [first.id, second.id].sorted())
        let stored = try #require(records.first { $0.id == first.id })
        #expect(stored.shortlist.map(\.tool) == names(first))
        for (shown, match) in zip(stored.shortlist, first) { #expect(abs(Double(shown.score) - match.score) < 1e-3) }
        #expect((stored.user, stored.team, stored.session) == ("ann", "support", "s-1"))
        #expect(stored.query == "cancel my plan, mail me at [email]")
        #expect(stored.queryTerms == nil)
        let frozen = try gantry.embed("cancel my plan, mail me at ann@example.com")
        #expect(zip(stored.queryVector, frozen).allSatisfy { abs($0 - $1) < 1e-3 })
        #expect(stored.model == gantry.embedder.modelIdentity)
    }

    @Test func withoutQueryTextRecordsKeepTheTermHashesOnly() async throws {
        let gantry = try await makeGantry { $0.keepQueryText = false }
        let retrieval = try await gantry.retrieveTools("refund the payment")
        try await gantry.recordSelection(retrieval: retrieval.id, tool: "refund_payment")
        let stored = try #require(try await Self.log(gantry).records.first)
        #expect(stored.query == nil)
        #expect(stored.queryTerms == ToolTokenizer.termHashes("refund the payment"))
    }

    @Test func aQueryAskedAgainIsStoredOnce() async throws {
        let store = temporaryStore()
        let gantry = try await makeGantry(store: store)
        for _ in 0..<5 { _ = try await gantry.retrieveTools("restart the api service") }
        let last = try await gantry.retrieveTools("upload a file")
        try await gantry.recordSelection(retrieval: last.id, tool: "upload_file")
        let sqlite = try #require(await gantry.store as? SQLiteStore)
        let retrievals = try sqlite.count(sql: "SELECT count(*) FROM retrieval")
        let queries = try sqlite.count(sql: "SELECT count(*) FROM retrievalQuery")
        #expect((retrievals, queries) == (6, 2))
    }

    @Test func processesOnOneStoreNeverShareAnID() async throws {
        let store = temporaryStore()
        let a = try await makeGantry(store: store), b = try await makeGantry(store: store)
        var ids = Set<RetrievalID>()
        for i in 0..<40 {
            ids.insert(try await (i.isMultiple(of: 2) ? a : b).retrieveTools("send an email \(i)").id)
            await Task.yield()
        }
        #expect(ids.count == 40)
        try await a.recordSelection(retrieval: Array(ids)[0], tool: "email_notify")
        try await b.recordSelection(retrieval: Array(ids)[1], tool: "email_notify")
        #expect(try await a.store.retrievalLog().records.count == 40)
    }

    @Test func aSelectionIsLinkedToItsRetrievalAndTakesItsContext() async throws {
        let gantry = try await makeGantry()
        let retrieval = try await gantry.retrieveTools("stop my subscription", context: RoutingContext(user: "bo", team: "ops", session: "s-9"))
        try await gantry.recordSelection(retrieval: retrieval.id, tool: "pause_subscription")
        let report = try #require(try await Self.log(gantry).reports.first)
        #expect(report.retrieval == retrieval.id)
        #expect((report.tool, report.signal) == ("pause_subscription", .selection))
        #expect((report.user, report.team, report.session) == ("bo", "ops", "s-9"))
    }

    @Test func aReportOnAnUnknownRetrievalIsStoredUnlinked() async throws {
        let gantry = try await makeGantry()
        let unknown = try #require(RetrievalID("00000000deadbeef"))
        try await gantry.recordSelection(retrieval: unknown, tool: "upload_file", context: RoutingContext(user: "cy"))
        let (records, reports) = try await Self.log(gantry)
        #expect(records.isEmpty)
        #expect(reports.map(\.retrieval) == [unknown])
        #expect(reports.first?.user == "cy")
    }

    @Test func aWrongToolIsReportedAndLeavesHealthAlone() async throws {
        let gantry = try await makeGantry { $0.breaker.consecutiveFailures = 2 }
        let retrieval = try await gantry.retrieveTools("restart the payments deployment")
        for _ in 0..<3 { try await gantry.recordExecution(retrieval: retrieval.id, tool: "upload_file", outcome: .wrongTool) }
        #expect(try await gantry.breakerState(of: "upload_file") == .closed)
        #expect(try await gantry.store.events().events.isEmpty)
        #expect(try await Self.log(gantry).reports.map(\.signal) == [.wrongTool, .wrongTool, .wrongTool])
        // Failures of the same tool do count against it, and are reported too.
        for _ in 0..<2 { try await gantry.recordExecution(retrieval: retrieval.id, tool: "upload_file", outcome: .failure) }
        #expect(try await gantry.breakerState(of: "upload_file") == .open)
        #expect(try await gantry.store.events().events.count == 2)
        #expect(try await Self.log(gantry).reports.map(\.signal).suffix(2) == [.failure, .failure])
    }

    @Test func aWrongToolNeedsItsRetrieval() async throws {
        let gantry = try await makeGantry()
        await #expect(throws: GantryError.self) { try await gantry.recordExecution(tool: "upload_file", outcome: .wrongTool) }
        #expect(try await gantry.store.events().events.isEmpty)
    }

    @Test func feedbackOnARetrievalUsesItsQueryWithoutEmbeddingAgain() async throws {
        let gantry = try await makeGantry()
        let query = "end the plan for this month only"
        let retrieval = try await gantry.retrieveTools(query, context: RoutingContext(team: "billing"))
        let misses = gantry.queryCacheStatistics.misses
        try await gantry.recordFeedback(retrieval: retrieval.id, selectedTool: names(retrieval).first, correctTool: "refund_payment")
        #expect(gantry.queryCacheStatistics.misses == misses)
        let feedback = try await gantry.store.feedbackEventsAndHighestID().events
        #expect(feedback.map(\.query) == [query])
        #expect(feedback.first?.team == "billing")
        let again = try await gantry.retrieveTools(query, context: RoutingContext(team: "billing"))
        #expect(again.first?.tool.name == "refund_payment")
        #expect(again.first?.pinned == true)
    }

    @Test func feedbackOnAnUnknownRetrievalIsATypedError() async throws {
        let gantry = try await makeGantry()
        let unknown = try #require(RetrievalID("0000000100000001"))
        let error = await #expect(throws: GantryError.self) {
            try await gantry.recordFeedback(retrieval: unknown, selectedTool: nil, correctTool: "upload_file")
        }
        guard case .unknownRetrieval(let id)? = error else {
            Issue.record("expected unknownRetrieval, got \(String(describing: error))")
            return
        }
        #expect(id == unknown)
        #expect(try await gantry.store.events().events.isEmpty)
    }

    @Test func forgettingAUserDeletesTheirRecordsAndReportsOnly() async throws {
        let gantry = try await makeGantry()
        let mallory = try await gantry.retrieveTools("refund my card", context: RoutingContext(user: "mallory"))
        let ann = try await gantry.retrieveTools("refund my card", context: RoutingContext(user: "ann"))
        try await gantry.recordSelection(retrieval: mallory.id, tool: "refund_payment")
        try await gantry.recordSelection(retrieval: ann.id, tool: "refund_payment")
        _ = try await gantry.forget(user: "mallory")
        let (records, reports) = try await Self.log(gantry)
        #expect(records.map(\.user) == ["ann"])
        #expect(reports.map(\.user) == ["ann"])
        #expect(records.first?.query == "refund my card")
        // Not from this process's memory either: feedback on mallory's retrieval finds no record.
        await #expect(throws: GantryError.self) {
            try await gantry.recordFeedback(retrieval: mallory.id, selectedTool: nil, correctTool: "refund_payment")
        }
    }

    @Test func forgettingCatchesRecordsStillQueued() async throws {
        let gantry = try await makeGantry()
        _ = try await gantry.retrieveTools("refund eve's card please", context: RoutingContext(user: "eve"))
        _ = try await gantry.forget(user: "eve")  // the record is still queued (nothing has been committed)
        let other = try await gantry.retrieveTools("upload a file", context: RoutingContext(user: "al"))
        try await gantry.recordSelection(retrieval: other.id, tool: "upload_file")  // commits what is queued
        let (records, _) = try await Self.log(gantry)
        #expect(records.map(\.user) == ["al"])
        let sqlite = try #require(await gantry.store as? SQLiteStore)
        #expect(try sqlite.count(sql: "SELECT count(*) FROM retrievalQuery WHERE query LIKE '%eve%'") == 0)
    }

    @Test func aForgottenUsersQueriesLeaveNoTraceOnDisk() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path)
        let secret = "refund the order of zebulon-quixote"
        let retrieval = try await gantry.retrieveTools(secret, context: RoutingContext(user: "zeb"))
        try await gantry.recordSelection(retrieval: retrieval.id, tool: "refund_payment")
        _ = try await gantry.forget(user: "zeb")
        for file in [path, path + "-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data()
            #expect(bytes.range(of: Data("zebulon-quixote".utf8)) == nil, "\(file) still holds the query")
        }
    }

    @Test func aForgetInAnotherProcessDropsTheRecordsHeldInMemory() async throws {
        let store = temporaryStore()
        let a = try await makeGantry(store: store), b = try await makeGantry(store: store)
        let retrieval = try await a.retrieveTools("refund eve's card please", context: RoutingContext(user: "eve"))
        try await a.recordSelection(retrieval: retrieval.id, tool: "refund_payment")
        _ = try await b.forget(user: "eve")  // eve has no events: only her record and report go
        try await a.followStore()
        await #expect(throws: GantryError.self) {
            try await a.recordFeedback(retrieval: retrieval.id, selectedTool: nil, correctTool: "refund_payment")
        }
        #expect(try await a.store.feedbackEventsAndHighestID().events.isEmpty)
    }

    @Test func feedbackByAnotherProcessKeepsTheStoredTermsWithoutText() async throws {
        let store = temporaryStore()
        let a = try await makeGantry(store: store) { $0.keepQueryText = false }, b = try await makeGantry(store: store) { $0.keepQueryText = false }
        let retrieval = try await a.retrieveTools("refund the last payment")
        try await a.recordSelection(retrieval: retrieval.id, tool: "refund_payment")
        try await b.recordFeedback(retrieval: retrieval.id, selectedTool: nil, correctTool: "refund_payment")
        let feedback = try #require(try await b.store.feedbackEventsAndHighestID().events.first)
        #expect(feedback.query == nil)
        #expect(feedback.queryTerms == ToolTokenizer.termHashes("refund the last payment"))
    }

    @Test func importedRecordsFitHalfPrecisionAndTheTargetsQueryTextRule() async throws {
        let source = try await makeGantry()
        let retrieval = try await source.retrieveTools("restart the api", context: RoutingContext(user: "ann"))
        try await source.recordSelection(retrieval: retrieval.id, tool: "restart_service")
        let log = try await source.exportEvents(includingRetrievals: true)
        let target = try await makeGantry { $0.keepQueryText = false }
        #expect(try await target.importEvents(log) == 0)
        let imported = try #require(try await Self.log(target).records.first)
        #expect(imported.query == nil)
        #expect(imported.queryTerms == ToolTokenizer.termHashes("restart the api"))

        let vectorLine = try #require(log.split(separator: "\n").first { $0.contains(#""kind":"retrieval_query""#) })
        let recordLine = try #require(log.split(separator: "\n").first { $0.contains(#""kind":"retrieval""#) })
        func withVector(_ values: [Float]) throws -> String {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(vectorLine.utf8)) as? [String: Any])
            object["query_vector"] = values
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        func withScore(_ score: Double) throws -> String {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(recordLine.utf8)) as? [String: Any])
            object["shortlist"] = [["tool": "restart_service", "score": score]]
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let d = gantryDimension
        for (query, record) in [(try withVector([1e6] + Array(repeating: 0, count: d - 1)), String(recordLine)),
                                (try withVector(Array(repeating: 1e-9, count: d)), String(recordLine)),
                                (String(vectorLine), try withScore(1e9))] {
            let error = await #expect(throws: GantryError.self) { try await target.importEvents(query + "\n" + record + "\n") }
            #expect(error?.description.contains("half precision") == true || error?.description.contains("65504") == true)
        }
    }

    @Test func recordsOlderThanTheirRetentionArePurgedAtOpen() async throws {
        let store = temporaryStore(), start = Date(timeIntervalSince1970: 1_800_000_000)
        let early = try await makeGantry(store: store) { $0.clock = GantryClock { start } }
        let old = try await early.retrieveTools("upload a report")
        try await early.recordSelection(retrieval: old.id, tool: "upload_file")
        let later = start.addingTimeInterval(3 * 86_400)
        let reopened = try await makeGantry(store: store) { $0.clock = GantryClock { later }; $0.retrievalRetentionDays = 2 }
        let (records, reports) = try await Self.log(reopened)
        #expect(records.isEmpty && reports.isEmpty)
        let recent = try await reopened.retrieveTools("upload a report")
        try await reopened.recordSelection(retrieval: recent.id, tool: "upload_file")
        #expect(try await Self.log(reopened).records.map(\.id) == [recent.id])
    }

    @Test func recordsLostToAFailingStoreAreCountedAndNeverCostAnEvent() async throws {
        let store = FaultInjectingStore(try SQLiteStore(path: nil))
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: nil), embedder: sharedEncoder.get(), store: store)
        try await gantry.register(catalog)
        store.failWrites([.appendEvents])
        let lost = try await gantry.retrieveTools("upload the file")  // queued: the retrieval does not wait for the failing store
        await #expect(throws: GantryError.self) { try await gantry.recordSelection(retrieval: lost.id, tool: "upload_file") }
        #expect(gantry.lostRetrievalRecords == 1)
        store.failWrites([])
        let kept = try await gantry.retrieveTools("upload the file")
        try await gantry.recordExecution(retrieval: kept.id, tool: "upload_file", outcome: .success)
        #expect(try await store.retrievalLog().records.map(\.id) == [kept.id])
        #expect(try await store.events().events.count == 1)
    }

    @Test func noRecordsAreKeptWhenTurnedOff() async throws {
        let gantry = try await makeGantry { $0.recordsRetrievals = false }
        let retrieval = try await gantry.retrieveTools("upload a file")
        try await gantry.recordSelection(retrieval: retrieval.id, tool: "upload_file")
        let (records, reports) = try await Self.log(gantry)
        #expect(records.isEmpty)
        #expect(reports.map(\.retrieval) == [retrieval.id])
    }

    @Test func recordsAndReportsTravelInTheEventLogUnderNewIDs() async throws {
        let source = try await makeGantry()
        let first = try await source.retrieveTools("restart the api", context: RoutingContext(user: "ann"))
        let second = try await source.retrieveTools("restart the api", context: RoutingContext(user: "bo", session: "s"))
        try await source.recordExecution(retrieval: first.id, tool: "restart_service", outcome: .success)
        try await source.recordSelection(retrieval: second.id, tool: "upload_file")
        #expect(try await source.exportEvents().split(separator: "\n").count == 1)  // the execution only, naming its retrieval
        #expect(try await source.exportEvents().contains(#""retrieval":"\#(first.id)""#))
        let log = try await source.exportEvents(includingRetrievals: true)
        let lines = log.split(separator: "\n").count
        #expect(lines == 6)  // the execution, one query, two records, two reports

        let target = try await makeGantry()
        _ = try await target.retrieveTools("something else")  // an id of the target's own
        try await target.recordSelection(retrieval: try await target.retrieveTools("upload").id, tool: "upload_file")
        #expect(try await target.importEvents(log) == 1)
        let original = try await Self.log(source), imported = try await Self.log(target)
        let records = imported.records.filter { $0.query == "restart the api" }
        #expect(records.count == 2)
        #expect(Set(records.map(\.id)).isDisjoint(with: [first.id, second.id]))
        #expect(records.map(\.user) == original.records.map(\.user))
        #expect(records.map(\.queryVector) == original.records.map(\.queryVector))
        #expect(records.map { $0.shortlist.map(\.tool) } == original.records.map { $0.shortlist.map(\.tool) })
        let reports = imported.reports.suffix(2)
        #expect(reports.map(\.signal) == [.success, .selection])
        #expect(reports.map(\.retrieval) == records.map(\.id))  // still naming their records
        // The execution names its retrieval under the new id, and teaches the target's memory.
        let execution = try #require(try await target.store.events().events.last)
        #expect(execution.retrieval == records.first?.id)
        let vouched = try await target.retrieveTools("restart the api", limit: catalog.count).first { $0.tool.name == "restart_service" }
        #expect(vouched?.breakdown[.feedback] ?? 0 > 0)
        // Without the records, an imported execution is unlinked.
        let bare = try await makeGantry()
        #expect(try await bare.importEvents(try await source.exportEvents()) == 1)
        #expect(try await bare.store.events().events.map(\.retrieval) == [nil])
    }

    /// With exploration, some shortlists come back with two neighbours below the first swapped:
    /// the record keeps the order shown and which pair, through the store and the event log.
    @Test func exploredRetrievalsKeepWhichNeighboursTradedPlaces() async throws {
        let frozen = try await makeGantry()
        let gantry = try await makeGantry { $0.explorationRate = 0.5 }
        var explored = [RetrievalID: (rank: Int, shown: [String])]()
        for (n, query) in cancellingRequests.prefix(30).enumerated() {
            let plain = names(try await frozen.retrieveTools(query, limit: 5))
            let retrieval = try await gantry.retrieveTools(query, limit: 5)
            let rank = Exploration.swappedRank(for: retrieval.id, count: 5, rate: 0.5, depth: 5)
            var expected = plain
            if let rank { expected.swapAt(rank, rank + 1) }
            #expect(names(retrieval) == expected, "\(n): \(names(retrieval)) for \(plain), swap \(rank.map(String.init) ?? "none")")
            if let rank { explored[retrieval.id] = (rank, names(retrieval)) }
            try await gantry.recordSelection(retrieval: retrieval.id, tool: plain[0])
        }
        #expect((5...25).contains(explored.count))
        let stored = try await Self.log(gantry).records
        for record in stored {
            #expect(record.swappedRank == explored[record.id]?.rank)
            if let shown = explored[record.id]?.shown { #expect(record.shortlist.map(\.tool) == shown) }
        }
        let target = try await makeGantry()
        _ = try await target.importEvents(try await gantry.exportEvents(includingRetrievals: true))
        let imported = try await Self.log(target).records
        #expect(imported.map(\.swappedRank) == stored.map(\.swappedRank))
    }

    /// Rows damaged on disk (a value of the wrong type in any column) are left out of reads,
    /// or read without the damaged optional value, and never stop a read or `train()`.
    @Test func damagedRecordRowsAreLeftOutOfReads() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path)
        for query in ["restart the api", "upload a file", "post to slack"] {
            let retrieval = try await gantry.retrieveTools(query)
            try await gantry.recordExecution(retrieval: retrieval.id, tool: retrieval[0].tool.name, outcome: .success)
        }
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "UPDATE retrieval SET swapped = 'x' WHERE id = (SELECT MIN(id) FROM retrieval)")
            try db.execute(sql: "UPDATE retrieval SET at = 'y' WHERE id = (SELECT MAX(id) FROM retrieval)")
            try db.execute(sql: "UPDATE retrievalReport SET at = x'00' WHERE id = (SELECT MIN(id) FROM retrievalReport)")
        }
        try queue.close()
        let reported = try await gantry.store.reportedRetrievals()
        #expect(reported.records.count == 2 && reported.records.allSatisfy { $0.swappedRank == nil })
        #expect(reported.reports.count == 2 && reported.reportCount == 3)
        _ = try await gantry.train()  // too few to train; reads without stopping
        #expect(try await gantry.exportEvents(includingRetrievals: true).contains("retrieval_query"))
    }

    @Test func aBadRetrievalLineIsRefusedBeforeAnythingIsWritten() async throws {
        let gantry = try await makeGantry()
        let execution = #"{"at":1800000000,"kind":"execution","outcome":"success","tool":"upload_file"}"#
        let report = #"{"at":1800000000,"kind":"report","retrieval":"0000000100000001","signal":"clicked","tool":"upload_file"}"#
        let error = await #expect(throws: GantryError.self) { try await gantry.importEvents(execution + "\n" + report + "\n") }
        #expect(error?.description.contains("line 2") == true)
        #expect(try await gantry.store.events().events.isEmpty)
    }

    @Test func retrievalIDsReadBackFromTheirText() throws {
        let id = try #require(RetrievalID(rawValue: 5 << 32 | 17))
        #expect(id.description == "0000000500000011")
        #expect(RetrievalID(id.description) == id)
        for bad in ["", "5", "000000050000001g", "-000000500000011", "+000000500000011", "00000005000000110", "0000000000000000",
                    "000000050000001A"] { #expect(RetrievalID(bad) == nil) }
        let json = try JSONEncoder().encode([id])
        #expect(String(decoding: json, as: UTF8.self) == #"["0000000500000011"]"#)
        #expect(try JSONDecoder().decode([RetrievalID].self, from: json) == [id])
    }
}

extension SQLiteStore {
    /// The count a `SELECT count(*) …` statement reads.
    func count(sql: String) throws -> Int {
        try read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }
}

/// MiniLM's dimension, as the shared encoder embeds.
let gantryDimension = 384

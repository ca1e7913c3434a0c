import Foundation
@_spi(StoreImplementation) import AgentGantry

extension StoreConformance {
    static func record(_ id: RetrievalID, user: String?, session: String? = "s1", query: String?, vector: [Float], at: Date,
                       shortlist: [String]) -> RetrievalRecord {
        RetrievalRecord(id: id, at: at, user: user, team: "t", session: session, query: query, queryTerms: query == nil ? [7, 9] : nil,
                        queryVector: vector, model: model,
                        shortlist: shortlist.enumerated().map { RetrievalRecord.Shown(tool: $0.element, score: 0.75 - 0.125 * Float($0.offset)) })
    }

    static func describe(_ record: RetrievalRecord) -> String {
        "\(record.id) \(record.user ?? "-")/\(record.team ?? "-")/\(record.session ?? "-") \(record.query ?? "\(record.queryTerms ?? [])") "
            + "\(record.queryVector) \(record.model) \(record.shortlist.map { "\($0.tool):\($0.score)" })"
    }

    /// Records and reports go in with events in one transaction; every handle reads a record by
    /// its id, as written (vectors in half precision, absent names absent), and the log of
    /// reports in order; blocks of ids are never handed out twice; deletion by age and by user
    /// takes exactly the matching records and reports, and a query shared with a record that
    /// stays is kept for it.
    static func retrievalsAreKeptAndDeleted(_ stores: StoreFactory) async throws {
        let a = try await stores.open(), b = try await stores.open()
        let blocks = [try await a.reserveRetrievalBlock(), try await b.reserveRetrievalBlock(), try await a.reserveRetrievalBlock()]
        try check(Set(blocks).count == 3 && blocks.allSatisfy { $0 > 0 && $0 < 1 << 30 }, "blocks \(blocks) repeat or are out of range")
        let old = Date(timeIntervalSince1970: 1_700_000_000), new = Date(timeIntervalSince1970: 1_800_000_000)
        let id = { (n: UInt32) in RetrievalID(rawValue: blocks[0] << 32 | Int64(n))! }
        let vector: [Float] = [0.5, -0.25, 0.125, 1]
        let records = [
            record(id(1), user: "ann", query: "cancel my plan", vector: vector, at: old, shortlist: ["x", "y"]),
            record(id(2), user: "mallory", session: nil, query: nil, vector: vector, at: new, shortlist: ["y", "x", "z"]),
            record(id(3), user: "ann", query: "cancel my plan", vector: vector, at: new, shortlist: ["x"]),
            record(id(4), user: "mallory", query: "cancel my plan", vector: vector, at: new, shortlist: ["z"]),
        ]
        let reports = [
            RetrievalReport(id: 0, at: new, retrieval: id(3), tool: "x", signal: .selection, user: "ann", team: "t", session: "s1"),
            RetrievalReport(id: 0, at: new, retrieval: id(2), tool: "y", signal: .wrongTool, user: "mallory", team: nil, session: nil),
            RetrievalReport(id: 0, at: old, retrieval: id(1), tool: "x", signal: .success, user: "ann", team: "t", session: "s1"),
        ]
        let ids = try await a.appendEvents([execution("x")], records: records, reports: reports)
        try check(ids.count == 4 && ids[1] < ids[2] && ids[2] < ids[3], "append returned \(ids): one event id, then three increasing report ids")
        let again = try await b.appendEvents([], records: [record(id(1), user: "eve", query: "other", vector: vector, at: new, shortlist: ["z"])],
                                             reports: [])
        try check(again.isEmpty, "a records-only append returned ids \(again)")
        for (n, expected) in zip(1..., records) {
            let read = try await b.retrievalRecords([id(UInt32(n))]).first
            try check(read.map(describe) == describe(expected), "record \(n) reads back as \(read.map(describe) ?? "nil"), not \(describe(expected))")
        }
        let some = try await b.retrievalRecords([id(3), id(99), id(1)])
        try check(Set(some.map(\.id)) == [id(1), id(3)] && some.count == 2, "records 3, 99 and 1 read as \(some.map(\.id))")
        let log = try await b.retrievalLog()
        try check(log.records.map(\.id) == records.map(\.id), "the log's records are \(log.records.map(\.id))")
        try check(log.reports.map(\.signal) == reports.map(\.signal) && log.reports.map(\.id) == Array(ids.dropFirst()),
                  "the log's reports are \(log.reports.map { "\($0.id) \($0.signal)" })")
        try check(log.reports[1].team == nil && log.reports[1].session == nil, "an absent team or session came back as \(log.reports[1])")

        try check(try await b.deleteRetrievals(before: old.addingTimeInterval(1)) == 2, "deleting by age took other than record 1 and its report")
        try check(try await a.retrievalRecords([id(1)]).isEmpty, "record 1 outlived its retention")
        try check(try await a.deleteRetrievals(of: "mallory") == 3, "forgetting mallory took other than records 2 and 4 and one report")
        let left = try await a.retrievalLog()
        try check(left.records.map(\.id) == [id(3)] && left.reports.map(\.signal) == [.selection],
                  "left after deletions: \(left.records.map(\.id)), \(left.reports.map(\.signal))")
        try check(left.records.first?.query == "cancel my plan", "the query ann shares with mallory was deleted with mallory's record")
        try check(try await a.deleteRetrievals(of: "mallory") == 0, "forgetting twice deleted more")
    }

    /// An execution written with the report naming its retrieval, or alone, keeps that
    /// retrieval (`ExecutionEvent.retrieval`) for every handle: in `events()` and in
    /// `changes(after:)`; an execution without one reads without one; the record it names reads
    /// by id; an import keeps the retrievals it is given new ids for.
    static func executionsKeepTheirRetrieval(_ stores: StoreFactory) async throws {
        let a = try await stores.open(), b = try await stores.open()
        try await a.saveTools([tool("x"), tool("y")], model: model)
        let start = try await b.changePosition()
        let block = try await a.reserveRetrievalBlock()
        let first = RetrievalID(rawValue: block << 32 | 1)!, second = RetrievalID(rawValue: block << 32 | 2)!
        let at = Date(timeIntervalSince1970: 1_800_000_000), vector: [Float] = [0.5, -0.25, 0.125, 1]
        let records = [record(first, user: "ann", query: "find x", vector: vector, at: at, shortlist: ["x", "y"]),
                       record(second, user: "bo", query: "find y", vector: vector, at: at, shortlist: ["y"])]
        _ = try await a.appendEvents([execution("y"), execution("x", user: "ann", retrieval: first)], records: records,
                                     reports: [RetrievalReport(id: 0, at: at, retrieval: first, tool: "x", signal: .success, user: "ann",
                                                               team: "t", session: "s1")])
        _ = try await a.appendEvents([execution("y", user: "bo", retrieval: second)])
        let expected: [RetrievalID?] = [nil, first, second]
        let read = try await b.events().events.map(\.retrieval)
        try check(read == expected, "events() reads the executions' retrievals as \(read)")
        let followed = try await b.changes(after: start, model: model, dimension: dimension, eventLimit: 100).events.map(\.retrieval)
        try check(followed == expected, "changes(after:) reads the executions' retrievals as \(followed)")
        let named = try await b.retrievalRecords(read.compactMap { $0 })
        try check(named.map(\.id).sorted() == [first, second], "the records the executions name read as \(named.map(\.id))")
        // An import keeps a retrieval under the id it is renamed to, and drops one it is not.
        let elsewhere = RetrievalID(rawValue: block << 32 | 9)!
        let log = try EventLog.encode(feedback: [], executions: [(first, "x"), (elsewhere, "y")].map { retrieval, tool in
            ExecutionEvent(id: 0, at: at, user: "cy", team: nil, session: nil, tool: tool, outcome: .success, latencyMilliseconds: nil,
                           intent: nil, retrieval: retrieval)
        })
        _ = try await a.importEvents(log, dimension: dimension, knownTools: ["x", "y"], model: model, renamedRetrievals: [first: second])
        let imported = try await b.events().events.suffix(2).map(\.retrieval)
        try check(imported == [second, nil], "imported executions read with retrievals \(imported)")
    }

    /// Handles writing records and reports at once, over the same contexts, tools and queries in
    /// different orders (what processes sharing a store do), all succeed and lose nothing: a store
    /// that locks shared rows in an order of the caller's would deadlock some of them.
    static func concurrentRetrievalWritersAllSucceed(_ stores: StoreFactory) async throws {
        let handles = [try await stores.open(), try await stores.open(), try await stores.open()]
        let users = ["ann", "bo", "cy", "di", "ed", "flo"], tools = ["x", "y", "z", "w"]
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let (batches, perBatch) = (30, 8)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (h, handle) in handles.enumerated() {
                let block = try await handle.reserveRetrievalBlock()
                group.addTask {
                    for b in 0..<batches {
                        let records = (0..<perBatch).map { i in
                            let n = b * perBatch + i, user = users[(n * (h + 1) + h) % users.count]
                            return record(RetrievalID(rawValue: block << 32 | Int64(n + 1))!, user: user, query: "query \(n % 5)",
                                          vector: [1, Float(n % 5), 0, 0.5], at: at, shortlist: Array((h % 2 == 0 ? tools : tools.reversed()).prefix(3)))
                        }
                        let reports = records.prefix(3).map { record in
                            RetrievalReport(id: 0, at: at, retrieval: record.id, tool: record.shortlist[0].tool, signal: .selection,
                                            user: record.user, team: record.team, session: record.session)
                        }
                        _ = try await handle.appendEvents([], records: records.reversed(), reports: reports.reversed())
                    }
                }
            }
            try await group.waitForAll()
        }
        let log = try await handles[0].retrievalLog()
        try check(log.records.count == handles.count * batches * perBatch && log.reports.count == handles.count * batches * 3,
                  "\(log.records.count) records and \(log.reports.count) reports were stored")
    }

    /// `reportedRetrievals()` reads the records reports name (not the others), every report, the
    /// highest report id and the count. An adapter noted as trained on reports up to that id is
    /// withdrawn, for every handle, when a report of it is forgotten (`deleteRetrievals(of:)` of
    /// the report's user or of its retrieval's), not when a later one is, nor when reports age
    /// out; one whose reports were forgotten while it trained is refused.
    static func reportTrainedAdaptersFollowForgets(_ stores: StoreFactory) async throws {
        let a = try await stores.open(), b = try await stores.open()
        try await a.saveTools([tool("x"), tool("y")], model: model)
        let block = try await a.reserveRetrievalBlock()
        let id = { (n: UInt32) in RetrievalID(rawValue: block << 32 | Int64(n))! }
        let at = Date(timeIntervalSince1970: 1_800_000_000), old = Date(timeIntervalSince1970: 1_700_000_000)
        let vector: [Float] = [0.5, -0.25, 0.125, 1]
        let records = [record(id(1), user: "mallory", query: "cancel", vector: vector, at: at, shortlist: ["x", "y"]),
                       record(id(2), user: "ann", query: "pause", vector: vector, at: at, shortlist: ["y", "x"]),
                       record(id(3), user: "ann", query: "stop", vector: vector, at: at, shortlist: ["y"]),
                       record(id(4), user: "ann", query: "end", vector: vector, at: old, shortlist: ["x"])]
        func report(_ n: UInt32, _ tool: String, _ signal: RetrievalReport.Signal, _ user: String, at: Date = at) -> RetrievalReport {
            RetrievalReport(id: 0, at: at, retrieval: id(n), tool: tool, signal: signal, user: user, team: "t", session: "s1")
        }
        // Mallory's retrieval reported by another caller (an agent's service account).
        let ids = try await a.appendEvents([], records: records, reports: [report(1, "y", .success, "agent"), report(4, "x", .success, "ann", at: old),
                                                                           report(2, "x", .wrongTool, "ann")])
        let read = try await b.reportedRetrievals()
        try check(read.records.map(\.id) == [id(1), id(2), id(4)] && read.reports.map(\.id) == ids && read.highestReportID == ids.last
                  && read.reportCount == 3,
                  "reportedRetrievals read records \(read.records.map(\.id)), reports \(read.reports.map(\.id)), highest \(read.highestReportID), "
                  + "count \(read.reportCount); expected records 1, 2 and 4 and reports \(ids)")
        func trained(_ read: ReportedRetrievals) -> AdapterRecord {
            var adapter = AdapterRecord(file: [1, 2], trainedAt: at, highestEventID: 0, trainedEvents: 0, report: #"{"bestEpoch":3}"#)
            adapter.noteRetrievalReports(upTo: read.highestReportID)
            return adapter
        }
        let version = try await a.saveAdapter(trained(read), feedbackCount: 0, reportCount: read.reportCount)
        let noted = try await b.adapterVersions().first?.highestRetrievalReportID
        try check(version != nil && noted == read.highestReportID, "the adapter was not stored with the reports it learned from")
        _ = try await b.appendEvents([], records: [], reports: [report(3, "y", .success, "eve")])
        let eves = try await b.deleteRetrievals(of: "eve"), served = try await a.servedAdapterVersion()
        try check(eves == 1 && served == version, "forgetting a report the adapter never saw withdrew it")
        let aged = try await b.deleteRetrievals(before: at), servedAfterAging = try await a.servedAdapterVersion()
        try check(aged == 2 && servedAfterAging == version, "reports aging out withdrew the adapter that learned from them")
        let start = try await b.changePosition()
        try check(try await a.deleteRetrievals(of: "mallory") == 2, "forgetting mallory took other than her record and report")
        let stillServed = try await b.servedAdapter(), withdrawn = try await b.adapterVersions().first?.isWithdrawn
        try check(stillServed == nil && withdrawn == true, "an adapter that learned from mallory's report is still served")
        let changes = try await b.changes(after: start, model: model, dimension: dimension, eventLimit: 100)
        try check(changes.adapterChanged, "the withdrawal is not in the change log")

        let again = try await b.reportedRetrievals()  // ann's wrong-tool report
        _ = try await a.deleteRetrievals(of: "ann")  // another process forgets while b trains
        let refused = try await b.saveAdapter(trained(again), feedbackCount: 0, reportCount: again.reportCount)
        let versions = try await b.adapterVersions().count
        try check(refused == nil && versions == 1, "an adapter trained on reports forgotten meanwhile was stored")
    }
}

import Foundation
@_spi(StoreImplementation) import AgentGantry

/// Opens handles on the one store a conformance case runs on: every call gives a new handle
/// (another connection, as another process would have) on the same store.
public struct StoreFactory: Sendable {
    /// Opens a handle.
    public let open: @Sendable () async throws -> any GantryStore
    /// How long a released lease may stay held before another handle can take it: zero where a
    /// release takes effect at once (a file lock), more where the store applies it after
    /// `release()` returns (a database's advisory unlock, sent by the lock's own session).
    public let releaseDelay: Duration

    /// A factory calling `open`, whose stores free a released lease within `releaseDelay`.
    public init(releaseDelay: Duration = .zero, open: @escaping @Sendable () async throws -> any GantryStore) {
        (self.releaseDelay, self.open) = (releaseDelay, open)
    }
}

/// One promise of the ``GantryStore`` contract, checked against a store.
public struct StoreConformanceCase: Sendable, CustomStringConvertible {
    /// What it checks.
    public let name: String
    /// Runs the check on a fresh store; throws ``StoreConformanceFailure`` when the promise fails.
    public let run: @Sendable (StoreFactory) async throws -> Void

    /// The name.
    public var description: String { name }
}

/// A promise of the contract a store failed to keep.
public struct StoreConformanceFailure: Error, CustomStringConvertible {
    /// What failed.
    public let description: String
}

/// The conformance suite every ``GantryStore`` implementation runs (the SQLite store in
/// `AgentGantryTests`; a store shared by many hosts in its own tests).
public enum StoreConformance {
    /// Every case.
    public static let cases: [StoreConformanceCase] = [
        StoreConformanceCase(name: "events get ids in commit order across handles", run: eventsAreInCommitOrder),
        StoreConformanceCase(name: "concurrent appends from two handles lose nothing", run: concurrentAppendsLoseNothing),
        StoreConformanceCase(name: "tool changes reach changes(after:) and removals read as absent", run: toolChangesAreLogged),
        StoreConformanceCase(name: "the served model is the one most stored tools were embedded by, seen by every handle", run: servedModelIsTheMostCommon),
        StoreConformanceCase(name: "deleting events makes readers replay and withdraws adapters that saw them", run: deletionsReplayAndWithdraw),
        StoreConformanceCase(name: "an adapter trained on feedback deleted meanwhile is not stored", run: staleAdapterIsRefused),
        StoreConformanceCase(name: "imports are all or nothing, in line order, and other handles write meanwhile", run: importsAreAtomicAndOrdered),
        StoreConformanceCase(name: "a gantry following the store applies another's tools, corrections, forgets and removals",
                             run: gantriesFollowOneAnother),
        StoreConformanceCase(name: "a copy into the store and out of it keeps everything, ids and versions included", run: copiesKeepEverything),
        StoreConformanceCase(name: "the query terms of feedback kept without text travel with it: reads, followers, export, import, copies",
                             run: queryTermsTravelWithTheirEvents),
        StoreConformanceCase(name: "retrieval records and reports are written with events, read by id, and deleted by age and by user",
                             run: retrievalsAreKeptAndDeleted),
        StoreConformanceCase(name: "handles writing retrieval records and reports at once all succeed", run: concurrentRetrievalWritersAllSucceed),
        StoreConformanceCase(name: "an execution keeps the retrieval that offered its tool: reads, followers, records by id",
                             run: executionsKeepTheirRetrieval),
        StoreConformanceCase(name: "an adapter that learned from a user's reports is withdrawn when they are forgotten, and refused when "
                                 + "they were forgotten while it trained", run: reportTrainedAdaptersFollowForgets),
        StoreConformanceCase(name: "a lease is held by one handle at a time and taken by another once released", run: leasesAreExclusive),
    ]

    static let dimension = 4
    static let model = "conformance-4"

    static func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        guard condition else { throw StoreConformanceFailure(description: message()) }
    }

    static func tool(_ name: String, _ description: String = "a tool") -> (tool: Tool, vector: [Float]) {
        let seed = Float(name.unicodeScalars.reduce(0) { $0 + Int($1.value) } % 7 + 1)
        return (Tool(name: name, description: description), [seed, 1, 0.5, -1])
    }

    static func execution(_ tool: String, user: String? = nil, retrieval: RetrievalID? = nil) -> GantryEvent {
        .execution(ExecutionEvent(id: 0, at: Date(), user: user, team: nil, session: nil, tool: tool, outcome: .success,
                                  latencyMilliseconds: nil, intent: nil, retrieval: retrieval))
    }

    /// Feedback without text for `tool`, its vector `[query, 1, 2, 3]`, keeping `terms` (by default
    /// two hashes made from `query`, the second with the top bit set).
    static func feedback(_ tool: String, user: String?, query: Float, terms: [UInt64]? = nil) -> GantryEvent {
        .feedback(FeedbackEvent(id: 0, at: Date(), user: user, team: nil, session: nil, query: nil, queryVector: [query, 1, 2, 3],
                                selectedTool: nil, correctTool: tool, type: .toolSelectionError, model: model,
                                queryTerms: terms ?? [UInt64(query), .max - UInt64(query)]))
    }

    /// Lists of query terms in brief: each one's count and first hashes.
    static func describe(_ terms: [[UInt64]?]) -> String {
        terms.map { $0.map { "\($0.count) terms \($0.prefix(3))…" } ?? "none" }.joined(separator: "; ")
    }

    /// The query terms of the feedback among `events`, in order (nil: none kept).
    static func queryTerms(_ events: [GantryEvent]) -> [[UInt64]?] {
        events.compactMap { event -> [UInt64]?? in if case .feedback(let f) = event { .some(f.queryTerms) } else { .none } }
    }

    /// Feedback kept without its text keeps its query terms through an append, every read, a
    /// follower, an export and an import, and a copy; feedback with text keeps none (its text
    /// gives them), nor does feedback stored without any.
    static func queryTermsTravelWithTheirEvents(_ stores: StoreFactory) async throws {
        let a = try await stores.open(), b = try await stores.open()
        try await a.saveTools([tool("x"), tool("y")], model: model)
        let start = try await b.changePosition()
        let withText = FeedbackEvent(id: 0, at: Date(), user: nil, team: nil, session: nil, query: "cancel it", queryVector: [2, 1, 2, 3],
                                     selectedTool: nil, correctTool: "y", type: .confirmed, model: model, queryTerms: [7])
        var withoutTerms = feedback("y", user: nil, query: 3)
        if case .feedback(var event) = withoutTerms {
            event.queryTerms = nil
            withoutTerms = .feedback(event)
        }
        // A query of `Limits.queryBytes` may have more than 8,192 terms (`a1 b2 …`: 1.5 a byte).
        let kept: [UInt64] = ([0, 42, 0xFEDC_BA98_7654_3210, .max] + (1...9_000).map { UInt64($0) << 20 }).sorted()
        // A query of no words ("???") keeps an empty list, not none.
        let ids = try await a.appendEvents([feedback("x", user: "ann", query: 1, terms: kept), execution("x"), .feedback(withText), withoutTerms,
                                            feedback("y", user: nil, query: 4, terms: [])])
        let expected: [[UInt64]?] = [kept, nil, nil, []]
        let read = queryTerms(try await a.events().events)
        try check(read == expected, "events() read terms \(describe(read))")
        try check(try await b.feedbackEventsAndHighestID().events.map(\.queryTerms) == expected, "training reads other terms")
        let followed = try await b.changes(after: start, model: model, dimension: dimension, eventLimit: 100).events
        try check(queryTerms(followed) == expected, "a follower read terms \(describe(queryTerms(followed)))")
        let exported = try await a.exportEvents()
        try check(exported.contains("\"query_terms\":[\"0000000000000000\",\"000000000000002a\",\"0000000000100000\"")
                  && exported.contains("\"fedcba9876543210\",\"ffffffffffffffff\"]"), "the export writes the terms otherwise")
        _ = try await a.importEvents(exported, dimension: dimension, knownTools: ["x", "y"], model: model)
        let imported = try await b.changes(after: LogPosition(event: ids[4]), model: model, dimension: dimension, eventLimit: 100).events
        try check(queryTerms(imported) == expected, "an import stored terms \(describe(queryTerms(imported)))")
        let copy = try SQLiteStore(path: nil)
        try await StoreCopy.copy(from: a, to: copy)
        let copied = queryTerms(try await copy.contents().events)
        try check(copied == expected + expected, "a copy holds terms \(describe(copied))")
        for terms in [#"["2a"]"#, #"["+123456789abcdef"]"#, #"["0123456789ABCDEF"]"#, #"["0x23456789abcdef"]"#] {
            let malformed = #"{"at":1700000000,"correct_tool":"y","feedback_type":"confirmed","kind":"feedback","model":"\#(model)","query":"a query","query_terms":\#(terms),"query_vector":[1,1,2,3]}"#
            do {
                _ = try await a.importEvents(malformed, dimension: dimension, knownTools: ["x", "y"], model: model)
                try check(false, "an import with query terms \(terms) was accepted")
            } catch GantryError.invalidInput {}
        }
        let unordered = #"{"at":1700000000,"correct_tool":"y","feedback_type":"confirmed","kind":"feedback","model":"\#(model)","query_terms":["ffffffffffffffff","0000000000000001","0000000000000001"],"query_vector":[1,1,2,3]}"#
        _ = try await a.importEvents(unordered, dimension: dimension, knownTools: ["x", "y"], model: model)
        let canonical = queryTerms(try await b.changes(after: LogPosition(event: try await a.events().events.last!.id - 1), model: model,
                                                     dimension: dimension, eventLimit: 10).events)
        try check(canonical == [[1, .max]], "imported terms are not kept distinct and ascending: \(canonical)")
    }

    static func eventsAreInCommitOrder(_ stores: StoreFactory) async throws {
        let a = try await stores.open(), b = try await stores.open()
        try await a.saveTools([tool("x")], model: model)
        var ids = try await a.appendEvents([execution("x")])
        ids += try await b.appendEvents([execution("x"), execution("x")])
        ids += try await a.appendEvents([execution("x")])
        try check(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "ids not increasing in commit order: \(ids)")
        let changes = try await b.changes(after: LogPosition(), model: model, dimension: dimension, eventLimit: 10_000)
        try check(changes.events.map(\.id) == ids, "a reader sees \(changes.events.map(\.id)), committed \(ids)")
        try check(changes.position.event == ids.last, "the position \(changes.position.event) is not the last id \(ids.last ?? 0)")
        let none = try await a.changes(after: changes.position, model: model, dimension: dimension, eventLimit: 10_000)
        try check(none.events.isEmpty && none.changedTools == [] && !none.replay, "nothing new past the position, yet \(none.events.count) events")
    }

    static func concurrentAppendsLoseNothing(_ stores: StoreFactory) async throws {
        let a = try await stores.open(), b = try await stores.open()
        try await a.saveTools([tool("x")], model: model)
        let ids = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for handle in [a, b] {
                for _ in 0..<100 { group.addTask { try await handle.appendEvents([execution("x"), execution("x")]) } }
            }
            return try await group.reduce(into: [Int64]()) { $0 += $1 }
        }
        try check(Set(ids).count == 400, "\(Set(ids).count) distinct ids for 400 events")
        let stored = try await a.events().events.map(\.id)
        try check(stored == ids.sorted(), "the log holds \(stored.count) events, \(Set(stored).subtracting(ids).count) unknown")
    }

    static func toolChangesAreLogged(_ stores: StoreFactory) async throws {
        let a = try await stores.open(), b = try await stores.open()
        try await a.saveTools([tool("x"), tool("y")], model: model)
        let start = try await b.changePosition()
        try await a.removeTool("x")
        try await a.saveTools([tool("y", "changed")], model: model)
        let changes = try await b.changes(after: start, model: model, dimension: dimension, eventLimit: 10_000)
        try check(Set(changes.changedTools ?? []) == ["x", "y"], "changed tools \(changes.changedTools ?? ["(all)"])")
        try check(changes.tools.map(\.tool.description) == ["changed"], "rows read back: \(changes.tools.map(\.tool.name))")
        try check(changes.position.change > start.change, "the change position did not move")
    }

    static func servedModelIsTheMostCommon(_ stores: StoreFactory) async throws {
        let a = try await stores.open(), b = try await stores.open()
        let empty = try await b.servedModel()
        try check(empty == nil, "a store without tools serves \(empty ?? "nil")")
        try await a.saveTools([tool("x")], model: "\(model)+other")
        try await a.saveTools([tool("y"), tool("z")], model: model)
        let most = try await b.servedModel()
        try check(most == model, "two tools of \(model) and one of \(model)+other: served \(most ?? "nil")")
        try await a.saveTools([tool("y"), tool("z")], model: "\(model)+other")
        let moved = try await b.servedModel()
        try check(moved == "\(model)+other", "every tool embedded again by \(model)+other: served \(moved ?? "nil")")
    }

    static func deletionsReplayAndWithdraw(_ stores: StoreFactory) async throws {
        let a = try await stores.open(), b = try await stores.open()
        try await a.saveTools([tool("x")], model: model)
        _ = try await a.appendEvents([feedback("x", user: "mallory", query: 1), feedback("x", user: "ann", query: 2), execution("x", user: "mallory")])
        let (feedback, highest, count) = try await a.feedbackEventsAndHighestID()
        let version = try await a.saveAdapter(AdapterRecord(file: [1, 2, 3], trainedAt: Date(), highestEventID: highest, trainedEvents: feedback.count,
                                                      report: "{}"), feedbackCount: count, reportCount: 0)
        try check(version != nil, "the adapter was not stored")
        let before = try await b.changes(after: LogPosition(), model: model, dimension: dimension, eventLimit: 10_000)
        try check(try await a.deleteEvents(of: "mallory") == 2, "mallory's two events were not deleted")
        let after = try await b.changes(after: before.position, model: model, dimension: dimension, eventLimit: 10_000)
        try check(after.replay, "a reader was not told to replay after a deletion")
        try check(after.events.allSatisfy { event in
            if case .feedback(let f) = event { f.user != "mallory" } else if case .execution(let e) = event { e.user != "mallory" } else { true }
        } && after.events.count == 1, "the replayed log still holds mallory's events")
        try check(after.adapterChanged, "the withdrawal is not in the change log")
        let withdrawn = try await b.adapterVersions().first?.isWithdrawn == true, served = try await b.servedAdapter()
        try check(withdrawn && served == nil, "an adapter that saw mallory is still served")
    }

    static func staleAdapterIsRefused(_ stores: StoreFactory) async throws {
        let a = try await stores.open(), b = try await stores.open()
        try await a.saveTools([tool("x")], model: model)
        _ = try await a.appendEvents([feedback("x", user: "mallory", query: 1), feedback("x", user: "ann", query: 2)])
        let (feedback, highest, count) = try await a.feedbackEventsAndHighestID()
        _ = try await b.deleteEvents(of: "mallory")  // another process forgets while a trains
        let version = try await a.saveAdapter(AdapterRecord(file: [1], trainedAt: Date(), highestEventID: highest, trainedEvents: feedback.count,
                                                      report: "{}"), feedbackCount: count, reportCount: 0)
        let versions = try await a.adapterVersions()
        try check(version == nil && versions.isEmpty, "an adapter trained on deleted feedback was stored")
    }

    /// 5,000 events (feedback and executions interleaved) imported through one handle while
    /// another appends: stored in line order, every one once; the other handle's events land
    /// among them only if the import does not hold the store for its whole length (not required
    /// here: whether they do depends on timing). A log with one bad line writes nothing.
    static func importsAreAtomicAndOrdered(_ stores: StoreFactory) async throws {
        let a = try await stores.open(), b = try await stores.open()
        try await a.saveTools([tool("x"), tool("y")], model: model)
        let lines = (0..<5_000).map { i in
            i % 3 == 0
                ? #"{"at":1700000000,"correct_tool":"y","feedback_type":"tool_selection_error","kind":"feedback","model":"\#(model)","query_vector":[\#(i),1,2,3]}"#
                : #"{"at":1700000000,"kind":"execution","outcome":"success","tool":"x","user":"u\#(i)"}"#
        }
        let before = try await b.appendEvents([execution("y")])
        async let appended = b.appendEvents((0..<20).map { _ in execution("y") })
        let count = try await a.importEvents(lines.joined(separator: "\n"), dimension: dimension, knownTools: ["x", "y"], model: model)
        _ = try await appended
        try check(count == 5_000, "the import says \(count) events, not 5000")
        let log = try await b.changes(after: LogPosition(event: before[0]), model: model, dimension: dimension, eventLimit: 100_000).events
        let imported = log.filter { event in
            if case .execution(let e) = event { e.tool == "x" } else { true }
        }
        let expected = (0..<5_000).map { i in i % 3 == 0 ? "feedback \(i)" : "execution u\(i)" }
        let stored = imported.map { event in
            switch event {
            case .feedback(let e): "feedback \(Int(e.queryVector[0]))"
            case .execution(let e): "execution \(e.user ?? "")"
            }
        }
        try check(stored == expected, "the import was stored out of line order or incompletely (\(stored.count) of 5000)")
        try check(log.count == 5_020, "\(log.count) events after the first append, not 5020")
        let bad = lines.prefix(10).joined(separator: "\n") + "\n{\"kind\":\"execution\",\"tool\":\"nowhere\",\"at\":1}"
        do {
            _ = try await a.importEvents(bad, dimension: dimension, knownTools: ["x", "y"], model: model)
            try check(false, "a log naming an unknown tool was imported")
        } catch is GantryError {}
        let after = try await b.changes(after: LogPosition(event: log.last!.id), model: model, dimension: dimension, eventLimit: 100).events
        try check(after.isEmpty, "a refused import wrote \(after.count) events")
    }

    /// A SQLite store in memory is filled — tools of two models, events with gaps in their ids (a
    /// user forgotten, an event quarantined), a withdrawn and a served adapter version — and
    /// copied into the store under test while another handle follows it, then from there into a
    /// second store in memory. All three hold the same, ids and versions included; the follower
    /// sees the copy arrive; later writes continue past every id the source handed out (the newest
    /// event was deleted: its id is not given again) and past the copied versions; a copy into a
    /// store that holds anything, or into itself, is refused and writes nothing.
    static func copiesKeepEverything(_ stores: StoreFactory) async throws {
        let source = try SQLiteStore(path: nil)
        try await source.saveTools([tool("x"), tool("y")], model: model)
        try await source.saveTools([(Tool(name: "old", description: "embedded by an older model"), [1, 2, 3])], model: "older-3")
        _ = try await source.appendEvents([feedback("x", user: "mallory", query: 1), execution("y", user: "ann"), feedback("y", user: "ann", query: 2)])
        func adapter(_ file: [UInt8], _ read: (events: [FeedbackEvent], highestEventID: Int64, feedbackCount: Int)) async throws {
            let record = AdapterRecord(file: file, trainedAt: Date(timeIntervalSince1970: 1_700_000_000), highestEventID: read.highestEventID,
                                       trainedEvents: read.events.count, report: #"{"file":\#(file.count)}"#)
            try check(try await source.saveAdapter(record, feedbackCount: read.feedbackCount, reportCount: 0) != nil, "the source did not store an adapter")
        }
        try await adapter([1, 2, 3], try await source.feedbackEventsAndHighestID())
        _ = try await source.deleteEvents(of: "mallory")  // withdraws version 1
        let later = try await source.appendEvents([feedback("x", user: "bob", query: 3), execution("x"), execution("y")])
        try await source.quarantine([QuarantinedRow(table: "event", key: String(later[1]), reason: "set aside by the test", at: Date(), rowid: later[1])])
        try await adapter([4, 5], try await source.feedbackEventsAndHighestID())
        _ = try await source.reserveRetrievalBlock()
        let block = try await source.reserveRetrievalBlock()  // 2: the target must reserve past it
        let retrieval = RetrievalID(rawValue: block << 32 | 1)!, at = Date(timeIntervalSince1970: 1_800_000_000)
        _ = try await source.appendEvents([execution("x", user: "ann", retrieval: retrieval)],
                                          records: [record(retrieval, user: "ann", query: "find x", vector: [1, 0, 0, 0], at: at, shortlist: ["x", "y"])],
                                          reports: [RetrievalReport(id: 0, at: at, retrieval: retrieval, tool: "y", signal: .wrongTool,
                                                                    user: "ann", team: nil, session: nil)])
        _ = try await source.appendEvents([execution("x", user: "last")])
        _ = try await source.deleteEvents(of: "last")  // the newest id is gone: the sequence is past the last event
        let expected = try await source.contents()
        try check(expected.eventSequence > expected.events.last!.id, "the source's sequence \(expected.eventSequence) is not past its last event")
        try check(expected.tools.count == 3 && expected.events.count == 5 && expected.events.contains { $0.retrieval == retrieval } && expected.adapterVersions.count == 2 && expected.quarantine.count == 1,
                  "the source holds \(expected.tools.count) tools, \(expected.events.count) events, \(expected.adapterVersions.count) versions")

        let target = try await stores.open(), follower = try await stores.open()
        let start = try await follower.changePosition()
        let copied = try await StoreCopy.copy(from: source, to: target)
        try check([copied.tools, copied.events, copied.adapterVersions, copied.quarantinedRows, copied.damagedRowsLeftOut] == [3, 5, 2, 1, 0],
                  "copied \(copied)")
        let back = try SQLiteStore(path: nil)
        try await StoreCopy.copy(from: target, to: back)
        for (name, store) in [("the store", target as any GantryStore), ("the copy back", back)] {
            let held = try await store.contents()
            try check(held.tools.map(describe) == expected.tools.map(describe), "\(name) holds tools \(held.tools.map(describe))")
            try check(held.events == expected.events, "\(name) holds events \(held.events.map(\.id)), the source \(expected.events.map(\.id))")
            try check(held.adapterVersions.map(describe) == expected.adapterVersions.map(describe),
                      "\(name) holds adapter versions \(held.adapterVersions.map(describe))")
            try check(held.quarantine.map(describe) == expected.quarantine.map(describe), "\(name) holds quarantine \(held.quarantine.map(describe))")
            try check(held.retrievals.map(describe) == expected.retrievals.map(describe) && held.retrievals.count == 1,
                      "\(name) holds retrieval records \(held.retrievals.map(describe))")
            try check(held.reports.map(\.signal) == [.wrongTool] && held.reports.map(\.retrieval) == [retrieval],
                      "\(name) holds reports \(held.reports)")
        }
        let reserved = try await target.reserveRetrievalBlock()
        try check(reserved > block, "the target reserved block \(reserved), which the source had handed out")
        let seen = try await follower.changes(after: start, model: model, dimension: dimension, eventLimit: 10_000)
        try check(seen.events.map(\.id) == expected.events.map(\.id), "a follower saw events \(seen.events.map(\.id)) arrive")
        try check(Set(seen.tools.map(\.tool.name)).isSuperset(of: ["x", "y"]) && seen.adapterChanged,
                  "a follower saw tools \(seen.tools.map(\.tool.name)), adapter changed: \(seen.adapterChanged)")
        try check(try await follower.servedAdapter()?.file == Data([4, 5]), "the follower does not serve the copied adapter")

        let next = try await target.appendEvents([execution("x")])
        try check(next[0] > expected.eventSequence, "an event appended after the copy got id \(next[0]), an id the source handed out")
        let read = try await target.feedbackEventsAndHighestID()
        let version = try await target.saveAdapter(AdapterRecord(file: [6], trainedAt: Date(), highestEventID: read.highestEventID,
                                                                 trainedEvents: read.events.count, report: "{}"), feedbackCount: read.feedbackCount, reportCount: 0)
        try check((version ?? 0) > (expected.adapterVersions.last?.version ?? .max), "an adapter stored after the copy got version \(version ?? 0)")
        do {
            try await StoreCopy.copy(from: source, to: target)
            try check(false, "a copy into a store holding tools and events was not refused")
        } catch GantryError.invalidInput {}
        try check(try await target.events().events.count == expected.events.count + 1, "a refused copy wrote events")
        do {
            try await StoreCopy.copy(from: target, to: target)
            try check(false, "a copy of a store into itself was not refused")
        } catch GantryError.invalidInput {}
    }

    static func describe(_ tool: StoredTool) -> String {
        "\(tool.tool.name) \(tool.model) \(tool.vector) \(StoredTool.definition(of: tool.tool))"
    }

    static func describe(_ record: AdapterRecord) -> String {
        "\(record.version ?? 0) \(record.format) \(record.file.map { Array($0) } ?? []) \(record.trainedAt) \(record.highestEventID) "
            + "\(record.trainedEvents) \(record.forgottenSince) \(record.report)"
    }

    static func describe(_ row: QuarantinedContent) -> String {
        "\(row.row.table) \(row.row.key) \(row.row.reason) \(row.row.at.timeIntervalSince1970) \(row.content)"
    }

    /// Two `AgentGantry` instances on two handles (as two processes), following only when told
    /// (`followStore()`): what one writes, the other serves after it looks.
    static func gantriesFollowOneAnother(_ stores: StoreFactory) async throws {
        var configuration = GantryConfiguration(storePath: nil)
        configuration.followInterval = nil
        let a = try await AgentGantry(configuration: configuration, embedder: WordHashEmbedder(), store: try await stores.open())
        let b = try await AgentGantry(configuration: configuration, embedder: WordHashEmbedder(), store: try await stores.open())
        try await a.register([
            Tool(name: "cancel_subscription", description: "Cancel a subscription for good."),
            Tool(name: "pause_subscription", description: "Pause my subscription plan for a while."),
            Tool(name: "send_invoice", description: "Send an invoice to a customer."),
        ])
        try await b.followStore()
        let registered = await b.tools.map(\.name)
        try check(registered == ["cancel_subscription", "pause_subscription", "send_invoice"], "b serves \(registered) after a registered three tools")
        let query = "stop my subscription plan"
        let before = try await b.retrieveTools(query, limit: 3).map(\.tool.name)
        try check(before.first == "pause_subscription", "the frozen ranking of b is \(before); the case expects pause_subscription first")
        try await a.recordFeedback(query: query, selectedTool: "pause_subscription", correctTool: "cancel_subscription",
                                   context: RoutingContext(user: "ann"))
        try await b.followStore()
        let corrected = try await b.retrieveTools(query, limit: 3)
        try check(corrected.first?.tool.name == "cancel_subscription" && corrected.first?.pinned == true,
                  "b ranks \(corrected.map(\.tool.name)) after a's correction")
        try check(try await a.forget(user: "ann") == 1, "a forgot no event of ann")
        try await b.followStore()
        let forgotten = try await b.retrieveTools(query, limit: 3).map(\.tool.name)
        try check(forgotten == before, "b ranks \(forgotten) after a forgot the correction, not \(before)")
        try await a.remove("send_invoice")
        try await b.followStore()
        let remaining = await b.tools.map(\.name)
        try check(remaining == ["cancel_subscription", "pause_subscription"], "b serves \(remaining) after a removed send_invoice")
    }
}

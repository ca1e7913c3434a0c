import Foundation
import GRDB
import Synchronization
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

/// Imports write in short transactions that other writers get between, and an import that does
/// not finish — it failed, or its process died — leaves none of its events.
@Suite("Imports")
struct ImportTests {
    static let dimension = 384

    static func folder() -> String { NSTemporaryDirectory() + "gantry-import-\(UUID().uuidString)" }

    /// `feedback` feedback lines (query vectors of `dimension`) then `executions` execution lines.
    static func log(feedback: Int, executions: Int) -> String {
        let vector = (0..<dimension).map { "\(Float($0 % 7) + 1)" }.joined(separator: ",")
        let lines = (0..<feedback).map { i in
            #"{"at":1700000000,"correct_tool":"y","feedback_type":"tool_selection_error","kind":"feedback","model":"m","query":"q\#(i)","query_vector":[\#(vector)]}"#
        } + (0..<executions).map { i in #"{"at":1700000000,"kind":"execution","outcome":"success","tool":"x","user":"u\#(i)"}"# }
        return lines.joined(separator: "\n")
    }

    static func counts(_ store: SQLiteStore) throws -> (events: Int, imports: Int, unfinished: Int, ranges: Int) {
        try store.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event")!, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM eventImport")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM eventImport WHERE finishedAt IS NULL")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM eventImportRange")!)
        }
    }

    static func appendExecution(_ store: SQLiteStore) throws -> Int64 {
        try store.write { db in
            var record = EventRecord(ExecutionEvent(id: 0, at: Date(), user: "other", team: nil, session: nil, tool: "x", outcome: .failure,
                                                    latencyMilliseconds: nil, intent: nil))
            try record.insert(db)
            return record.id!
        }
    }

    /// 3,000 feedback events of 1.5 KB vectors and 3,000 executions: transactions of at most
    /// about 1 MB and 2,000 events, and another connection's write lands between two of them.
    @Test func importsWriteShortTransactionsThatOtherWritersGetBetween() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteStore(path: folder + "/store.sqlite"), other = try SQLiteStore(path: folder + "/store.sqlite")
        let written = Mutex([Int]()), otherID = Mutex<Int64?>(nil)
        store.importTransactionCommitted.withLock {
            $0 = { count throws(GantryError) in
                written.withLock { $0.append(count) }
                if count > 3_000, otherID.withLock({ $0 }) == nil { otherID.withLock { $0 = try? Self.appendExecution(other) } }
            }
        }
        #expect(try await store.importEvents(Self.log(feedback: 3_000, executions: 3_000), dimension: Self.dimension,
                                             knownTools: ["x", "y"], model: "m") == 6_000)
        let sizes = zip(written.withLock { $0 }, [0] + written.withLock { $0 }).map { $0 - $1 }
        #expect(sizes.reduce(0, +) == 6_000)
        #expect(sizes.allSatisfy { $0 <= ImportTransactions.events })
        let feedbackPerTransaction = ImportTransactions.bytes / (Self.dimension * 4)
        #expect(sizes.first! <= feedbackPerTransaction && sizes.count >= 3_000 / feedbackPerTransaction + 2, "\(sizes)")
        let ids = try await store.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM event WHERE user IS NOT 'other' ORDER BY id") }
        let between = try #require(otherID.withLock { $0 })
        #expect(ids.first! < between && between < ids.last!, "another writer's event is not among the import's")
        let (events, imports, unfinished, ranges) = try Self.counts(store)
        #expect((events, imports, unfinished, ranges) == (6_001, 1, 0, 0))
    }

    /// A transaction fails half-way through: the import throws and leaves none of its events.
    @Test func aFailedImportRemovesWhatItWrote() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteStore(path: folder + "/store.sqlite")
        _ = try Self.appendExecution(store)
        store.importTransactionCommitted.withLock {
            $0 = { count throws(GantryError) in if count > 2_000 { throw .store("the disk is full (injected)") } }
        }
        await #expect(throws: GantryError.self) {
            try await store.importEvents(Self.log(feedback: 1_000, executions: 3_000), dimension: Self.dimension, knownTools: ["x", "y"], model: "m")
        }
        let (events, imports, unfinished, ranges) = try Self.counts(store)
        #expect((events, imports, unfinished, ranges) == (1, 0, 0, 0))
    }

    /// What a killed import leaves (its row unfinished, two ranges of events) is removed by the
    /// next open — but not while another process imports (it holds the import lock) — and by
    /// the next import.
    @Test func anAbandonedImportIsRemovedByTheNextOpenOrImport() async throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/store.sqlite"
        func abandonImport() throws {
            let store = try SQLiteStore(path: path)
            let first = try Self.appendExecution(store), second = try Self.appendExecution(store)
            let third = try Self.appendExecution(store)
            try store.write { db in
                try db.execute(sql: "INSERT INTO eventImport (id, startedAt, events) VALUES ('dead', 0, 10)")
                try db.execute(sql: "INSERT INTO eventImportRange (importID, firstEvent, lastEvent) VALUES ('dead', ?, ?), ('dead', ?, ?)",
                               arguments: [first, second, third, third])
            }
        }
        _ = try Self.appendExecution(try SQLiteStore(path: path))
        try abandonImport()

        let importing = try #require(try StoreFileLock.taken(forStore: path, for: .import))
        #expect(try Self.counts(try SQLiteStore(path: path)) == (4, 1, 1, 2), "an open removed a running import's events")
        importing.release()
        #expect(try Self.counts(try SQLiteStore(path: path)) == (1, 0, 0, 0))

        try abandonImport()
        let store = try SQLiteStore(path: path)  // removes the import at open…
        try abandonImport()                      // …so abandon another, for the import to find
        #expect(try await store.importEvents(Self.log(feedback: 0, executions: 5), dimension: Self.dimension, knownTools: ["x"], model: "m") == 5)
        #expect(try Self.counts(store) == (6, 1, 0, 0))
    }
}

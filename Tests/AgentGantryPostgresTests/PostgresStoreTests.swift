import Foundation
import GantryEmbed
import GantryStoreConformance
import PostgresNIO
import Synchronization
import Testing

@_spi(StoreImplementation) import AgentGantry
@_spi(StoreImplementation) @testable import AgentGantryPostgres

/// The PostgreSQL store keeps the `GantryStore` contract on a real server: every case of the
/// conformance suite, each on a new database, with handles that each have their own connection
/// pool, as processes on other hosts would.
@Suite("PostgreSQL store conformance", .enabled(if: PostgresServer.isAvailable, "set GANTRY_TEST_POSTGRES_URL"))
struct PostgresStoreConformanceTests {
    @Test(arguments: StoreConformance.cases)
    func postgresStoreKeeps(_ promise: StoreConformanceCase) async throws {
        try await PostgresServer.withDatabase { url in
            try await promise.run(StoreFactory(releaseDelay: .seconds(10)) { try await PostgresStore(url: url) })
        }
    }
}

@Suite("PostgreSQL store", .enabled(if: PostgresServer.isAvailable, "set GANTRY_TEST_POSTGRES_URL"))
struct PostgresStoreTests {
    static let model = "test-4"

    static func execution(_ tool: String) -> GantryEvent {
        .execution(ExecutionEvent(id: 0, at: Date(), user: nil, team: nil, session: nil, tool: tool, outcome: .success,
                                  latencyMilliseconds: nil, intent: nil))
    }

    /// Writer 1 draws an id and holds its transaction open; writer 2 appends meanwhile. With ids
    /// from a sequence, writer 2 would commit the next id first and a follower reading past it
    /// would never see writer 1's. Here writer 2 waits for writer 1's commit (the counter row is
    /// locked), so the follower sees nothing until writer 1 commits, then both, in order.
    @Test func aWriterCommittingLateIsNotSkippedByFollowers() async throws {
        try await PostgresServer.withDatabase { url in
            let writer2 = try await PostgresStore(url: url), follower = try await PostgresStore(url: url)
            try await writer2.saveTools([(Tool(name: "x", description: "a tool"), [1, 0, 0, 0])], model: Self.model)
            let start = try await follower.changes(after: LogPosition(), model: Self.model, dimension: 4, eventLimit: 100).position
            try await PostgresServer.withConnection(to: url) { writer1 in
                try await writer1.query("BEGIN", logger: PostgresServer.logger)
                let insertion = try PostgresStore.insertion(of: [PostgresStore.row(Self.execution("x"))])
                try await writer1.query(insertion, logger: PostgresServer.logger)
                let late = Task { try await writer2.appendEvents([Self.execution("x")]) }
                // Writer 2's statement waits for writer 1's lock (seen by the server, not by a clock).
                try await Self.waitUntilBlocked(url)
                let meanwhile = try await follower.changes(after: start, model: Self.model, dimension: 4, eventLimit: 100)
                #expect(meanwhile.events.isEmpty, "a follower saw \(meanwhile.events.map(\.id)) before writer 1 committed")
                try await writer1.query("COMMIT", logger: PostgresServer.logger)
                let ids = try await late.value
                let after = try await follower.changes(after: meanwhile.position, model: Self.model, dimension: 4, eventLimit: 100)
                #expect(after.events.map(\.id) == [ids[0] - 1, ids[0]], "the follower read \(after.events.map(\.id)); writer 2 got \(ids)")
            }
        }
    }

    /// A gantry given no embedder serves a shared store at the encoder precision its tools were
    /// embedded at (`servedModel()`), as on a file, unless `GANTRY_ENCODER_PRECISION` asks for another.
    @Test func aGantryKeepsTheEncoderPrecisionOfTheStoresTools() async throws {
        try await PostgresServer.withDatabase { url in
            let bf16 = try MiniLMEncoder(precision: .bfloat16)
            try await AgentGantry(embedder: bf16, store: try await PostgresStore(url: url))
                .register([Tool(name: "refund_payment", description: "Refund a payment to the customer's card.")])
            let reopened = try await AgentGantry(store: try await PostgresStore(url: url))
            let expected = try MiniLMEncoder.requestedPrecision().map { try MiniLMEncoder(precision: $0).modelIdentity } ?? bf16.modelIdentity
            #expect(reopened.embedder.modelIdentity == expected)
        }
    }

    /// Polls the server until some session waits for a lock.
    static func waitUntilBlocked(_ url: String) async throws {
        for _ in 0..<5_000 {
            var waiting = false
            try await PostgresServer.withConnection(to: url) { connection in
                for try await count in try await connection.query(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
                    logger: PostgresServer.logger).decode(Int.self) {
                    waiting = count > 0
                }
            }
            if waiting { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("no session ever waited for the counter's lock")
    }

    /// Two writers append from many tasks while a follower reads `changes(after:)` in a loop:
    /// it reads every id exactly once, in increasing order, without gaps.
    @Test func followersReadEveryEventOnceWhileTwoWritersAppend() async throws {
        try await PostgresServer.withDatabase { url in
            let a = try await PostgresStore(url: url), b = try await PostgresStore(url: url), follower = try await PostgresStore(url: url)
            try await a.saveTools([(Tool(name: "x", description: "a tool"), [1, 0, 0, 0])], model: Self.model)
            let finished = Mutex(false)
            let writers = Task {
                defer { finished.withLock { $0 = true } }
                return try await withThrowingTaskGroup(of: [Int64].self) { group in
                    for store in [a, b] {
                        for _ in 0..<40 { group.addTask { try await store.appendEvents((0..<3).map { _ in Self.execution("x") }) } }
                    }
                    return try await group.reduce(into: [Int64]()) { $0 += $1 }
                }
            }
            var position = LogPosition(), seen = [Int64]()
            while true {
                let done = finished.withLock { $0 }
                let changes = try await follower.changes(after: position, model: Self.model, dimension: 4, eventLimit: 7)
                seen += changes.events.map(\.id)
                position = changes.position
                if done && changes.events.isEmpty { break }
                if changes.events.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
            }
            let written = try await writers.value
            #expect(seen == Array(1...Int64(written.count)), "the follower read \(seen.count) ids of \(written.count), out of order or with gaps")
            #expect(Set(written) == Set(seen))
        }
    }

    /// A commit by one handle wakes another's `changeNotifications()` stream.
    @Test func commitsWakeOtherHandles() async throws {
        try await PostgresServer.withDatabase { url in
            let writer = try await PostgresStore(url: url), follower = try await PostgresStore(url: url)
            // The listener counts its first connection as a change: wait for that before subscribing.
            while follower.listener.count == 0 { try await Task.sleep(for: .milliseconds(5)) }
            var iterator = try #require(follower.changeNotifications()).makeAsyncIterator()
            let before = try await follower.changeCounter()
            try await writer.saveTools([(Tool(name: "x", description: "a tool"), [1, 0, 0, 0])], model: Self.model)
            _ = await iterator.next()
            let after = try await follower.changeCounter()
            #expect(after != before)
        }
    }

    /// A gantry that never looks on its own (`followInterval` of an hour) applies another
    /// process's correction once the store's notification wakes it.
    @Test func notificationsWakeFollowingGantries() async throws {
        try await PostgresServer.withDatabase { url in
            var configuration = GantryConfiguration(storePath: nil)
            configuration.followInterval = .seconds(3_600)
            let a = try await AgentGantry(configuration: configuration, embedder: WordHashEmbedder(), store: try await PostgresStore(url: url))
            let b = try await AgentGantry(configuration: configuration, embedder: WordHashEmbedder(), store: try await PostgresStore(url: url))
            try await a.register([Tool(name: "cancel_subscription", description: "Cancel a subscription for good."),
                                  Tool(name: "pause_subscription", description: "Pause my subscription plan for a while.")])
            try await a.recordFeedback(query: "stop my plan", selectedTool: "pause_subscription", correctTool: "cancel_subscription")
            for _ in 0..<2_000 {
                if try await b.retrieveTools("stop my plan", limit: 1).first?.pinned == true { return }
                try await Task.sleep(for: .milliseconds(5))
            }
            Issue.record("b never applied a's correction without being told to look")
        }
    }

    /// A database written by a newer AgentGantry (a higher schema version) is refused, naming both.
    @Test func aNewerSchemaIsRefused() async throws {
        try await PostgresServer.withDatabase { url in
            _ = try await PostgresStore(url: url)
            try await PostgresServer.withConnection(to: url) { connection in
                try await connection.query("UPDATE gantry_meta SET value = 99 WHERE key = 'schema_version'", logger: PostgresServer.logger)
            }
            do {
                _ = try await PostgresStore(url: url)
                Issue.record("a store of schema version 99 opened")
            } catch let error as GantryError {
                #expect(error.description.contains("schema version 99") && error.description.contains("up to 1"), "\(error)")
            }
        }
    }

    /// A store created before query terms were kept (schema version 1 without `event.query_terms`)
    /// opens for a role that may write its rows but not alter the table — its feedback stored
    /// without word hashes — and gains the column when the table's owner opens it, its events
    /// intact; from then on the hashes are kept.
    @Test func aStoreWithoutTheQueryTermsColumnGainsIt() async throws {
        try await PostgresServer.withDatabase { url in
            let first = try await PostgresStore(url: url)
            try await first.saveTools([(Tool(name: "x", description: "a tool"), [1, 0, 0, 0])], model: Self.model)
            _ = try await first.appendEvents([Self.execution("x")])
            let role = "gantry_writer_" + UUID().uuidString.lowercased().prefix(8)
            try await PostgresServer.withConnection(to: url) { connection in
                for statement in ["ALTER TABLE event DROP COLUMN query_terms", "CREATE ROLE \(role) LOGIN",
                                  "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role)"] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: PostgresServer.logger)
                }
            }
            let terms: [UInt64] = [3, .max]
            let feedback = GantryEvent.feedback(FeedbackEvent(id: 0, at: Date(), user: nil, team: nil, session: nil, query: nil,
                                                              queryVector: [1, 2, 3, 4], selectedTool: nil, correctTool: "x",
                                                              type: .confirmed, model: Self.model, queryTerms: terms))
            func storedTerms(_ store: PostgresStore) async throws -> [[UInt64]?] {
                try await store.events().events.compactMap { if case .feedback(let f) = $0 { .some(f.queryTerms) } else { nil } }
            }
            var components = URLComponents(string: url)!
            components.user = role
            let restricted = try await PostgresStore(url: components.string!)
            #expect(!restricted.keepsQueryTerms && restricted.readOnlyReason == nil)
            _ = try await restricted.appendEvents([feedback])
            #expect(try await storedTerms(restricted) == [nil])
            let owner = try await PostgresStore(url: url)
            #expect(owner.keepsQueryTerms)
            _ = try await owner.appendEvents([feedback])
            let events = try await owner.events().events.count, kept = try await storedTerms(owner)
            #expect(events == 3 && kept == [nil, terms])
            try await PostgresServer.withConnection(to: url) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "DROP OWNED BY \(role)"), logger: PostgresServer.logger)
                try await connection.query(PostgresQuery(unsafeSQL: "DROP ROLE \(role)"), logger: PostgresServer.logger)
            }
        }
    }

    /// A server that refuses the connection for good (here: no such database) is a store error
    /// carrying the server's message once the call has waited, not a wait without end and not
    /// `storeUnavailable` (waiting longer would not help).
    @Test func aRefusedConnectionNamesTheServersReason() async throws {
        let url = PostgresServer.url(of: "gantry_test_absent_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
        do {
            _ = try await PostgresStore(url: url, unavailableTimeout: .milliseconds(200))
            Issue.record("a store opened on a database that does not exist")
        } catch {
            guard case .store(let reason) = error else { Issue.record("not a store error: \(error)"); return }
            #expect(reason.contains("refused") && reason.contains("does not exist"), "\(reason)")
        }
    }
}

/// URLs are read as libpq reads them; a parameter AgentGantry does not know is an error.
@Suite("PostgreSQL URLs")
struct PostgresURLTests {
    @Test func urlsAreReadAsLibpqReadsThem() throws {
        let full = try PostgresURL("postgresql://ann:s%40cret@db.example:6543/gantry?sslmode=verify-full&application_name=router")
        #expect(full.host == "db.example" && full.port == 6543 && full.user == "ann" && full.password == "s@cret")
        #expect(full.database == "gantry" && full.sslMode == .verifyFull && full.applicationName == "router")
        #expect(!full.redacted.contains("s%40cret") && full.redacted.contains("***"))
        let socket = try PostgresURL("postgres:///gantry?host=/run/postgresql&user=bob&options=-c%20search_path%3Dtenant_a")
        #expect(socket.socketFolder == "/run/postgresql" && socket.user == "bob" && socket.database == "gantry")
        #expect(socket.settings.map { "\($0.0)=\($0.1)" } == ["search_path=tenant_a"])
        let defaults = try PostgresURL("postgres://carol@localhost")
        #expect(defaults.port == 5432 && defaults.database == "carol" && defaults.sslMode == .prefer)
    }

    @Test(arguments: [
        "mysql://x@localhost/db",
        "postgres://x@localhost/db?sslmode=sometimes",
        "postgres://x@localhost/db?ssl_mode=require",
        "postgres://x@localhost/db?port=99999",
        "postgres:///db?host=/run/postgresql&sslmode=require",
        "postgres://x@localhost/db?options=search_path",
    ])
    func badURLsAreRefusedWithTheReason(_ url: String) {
        #expect(throws: GantryError.self) { try PostgresURL(url) }
    }
}

import Foundation
import GantryStoreConformance
import Synchronization
import Testing

@_spi(StoreImplementation) import AgentGantry
import AgentGantryPostgres

/// A server that restarts or stays away: retrieval keeps serving the last snapshot, writes wait
/// (up to `unavailableTimeout`) and then throw `storeUnavailable`, connections come back by
/// themselves, and no acknowledged event is lost or stored twice. Each test stops and starts a
/// private cluster of its own (`scripts/test-postgres`), so the other tests' server never moves;
/// one at a time, so that two clusters do not start at once on a loaded host. Every wait that
/// should succeed is 120 s long: no test depends on how fast the host is.
@Suite("PostgreSQL store faults", .serialized,
       .enabled(if: PrivateCluster.isPossible, "set GANTRY_TEST_POSTGRES_URL (and install PostgreSQL)"))
struct PostgresFaultTests {
    static func tools() -> [Tool] {
        [Tool(name: "cancel_subscription", description: "Cancel a subscription for good."),
         Tool(name: "pause_subscription", description: "Pause my subscription plan for a while.")]
    }

    /// Sessions "s<i>" of every stored execution, as a fresh handle reads them.
    static func storedSessions(_ url: String) async throws -> [String] {
        let (events, _) = try await PostgresStore(url: url, unavailableTimeout: .seconds(120)).events()
        return events.compactMap { if case .execution(let e) = $0 { e.session } else { nil } }
    }

    @Test func aRestartLosesNothingAcknowledgedAndRetrievalKeepsServing() async throws {
        let cluster = try await PrivateCluster()
        defer { cluster.remove() }
        var configuration = GantryConfiguration(storePath: nil)
        configuration.followInterval = .milliseconds(50)
        // Long enough that no write gives up while the server restarts, however slow the host.
        let gantry = try await AgentGantry(configuration: configuration, embedder: WordHashEmbedder(),
                                           store: try await PostgresStore(url: cluster.url, unavailableTimeout: .seconds(120)))
        try await gantry.register(Self.tools())
        let log = WriteLog()
        let writer = Task {
            var failures = [String](), i = 0
            while !log.stopped {
                let session = "s\(i)"
                do {
                    try await gantry.recordExecution(tool: "cancel_subscription", outcome: .success, context: RoutingContext(session: session))
                    log.acknowledge(session)
                } catch {
                    failures.append("\(error)")
                }
                i += 1
            }
            return failures
        }
        func waitForAcknowledged(atLeast count: Int) async throws {
            while log.acknowledged.count < count { try await Task.sleep(for: .milliseconds(5)) }
        }
        try await waitForAcknowledged(atLeast: 20)
        try await cluster.run("stop")
        // The server is down: retrieval answers from the published snapshot.
        let served = try await gantry.retrieveTools("stop my subscription plan", limit: 2)
        #expect(served.count == 2)
        let before = log.acknowledged.count
        try await cluster.run("start")
        try await waitForAcknowledged(atLeast: before + 20)
        log.stop()
        let failures = await writer.value
        #expect(failures.isEmpty, "writes failed across the restart: \(failures.prefix(3))")
        let stored = try await Self.storedSessions(cluster.url)
        let written = log.acknowledged
        #expect(Set(stored).count == stored.count, "\(stored.count - Set(stored).count) events were stored twice")
        #expect(Set(written).isSubset(of: Set(stored)), "\(Set(written).subtracting(stored).count) acknowledged events were lost")
    }

    @Test func aServerThatStaysAwayFailsWritesWithStoreUnavailableUntilItIsBack() async throws {
        let cluster = try await PrivateCluster()
        defer { cluster.remove() }
        var configuration = GantryConfiguration(storePath: nil)
        configuration.followInterval = .milliseconds(50)
        let store = try await PostgresStore(url: cluster.url, unavailableTimeout: .seconds(120))
        let gantry = try await AgentGantry(configuration: configuration, embedder: WordHashEmbedder(), store: store)
        try await gantry.register(Self.tools())
        store.unavailableTimeout = .milliseconds(300)
        try await cluster.run("stop")
        do {
            try await gantry.recordExecution(tool: "cancel_subscription", outcome: .success, context: RoutingContext(session: "down"))
            Issue.record("a write succeeded while the server was stopped")
        } catch {
            if case .storeUnavailable(let reason) = error {
                #expect(reason.contains("127.0.0.1"), "the error does not name the store: \(reason)")
            } else {
                Issue.record("a write while the server was stopped threw \(error), not storeUnavailable")
            }
        }
        #expect(try await gantry.retrieveTools("cancel my subscription", limit: 1).first?.tool.name == "cancel_subscription")
        store.unavailableTimeout = .seconds(120)
        try await cluster.run("start")
        try await gantry.recordExecution(tool: "cancel_subscription", outcome: .success, context: RoutingContext(session: "back"))
        #expect(try await Self.storedSessions(cluster.url) == ["back"])
    }
}

/// The sessions of the writes a writer task had acknowledged, and whether it should stop.
final class WriteLog: Sendable {
    private let state = Mutex((acknowledged: [String](), stopped: false))
    var acknowledged: [String] { state.withLock { $0.acknowledged } }
    var stopped: Bool { state.withLock { $0.stopped } }
    func acknowledge(_ session: String) { state.withLock { $0.acknowledged.append(session) } }
    func stop() { state.withLock { $0.stopped = true } }
}

/// A PostgreSQL cluster of the test's own (`scripts/test-postgres`), started on creation.
struct PrivateCluster {
    /// Whether one can be made here: the test server is configured (so PostgreSQL is installed).
    static var isPossible: Bool { PostgresServer.isAvailable && FileManager.default.fileExists(atPath: "/usr/lib/postgresql") }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/test-postgres").path

    let folder: String
    let url: String

    init() async throws {
        folder = "/tmp/gantry-test-cluster-\(UUID().uuidString)"
        try await Self.script(["start", folder])
        url = try String(contentsOfFile: folder + "/url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `scripts/test-postgres command folder`.
    func run(_ command: String) async throws {
        try await Self.script([command, folder])
    }

    /// Stops the cluster and removes its folder (from `defer`, so it blocks: the test is over).
    func remove() {
        _ = Self.runScript(["stop", folder])
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs the script on a thread of its own — `initdb` and a server's start take seconds, which
    /// must not hold one of the few threads every task (and the store's connection pool) runs on.
    private static func script(_ arguments: [String]) async throws {
        let succeeded = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Thread { continuation.resume(returning: runScript(arguments)) }.start()
        }
        guard succeeded else { throw GantryError.store("scripts/test-postgres \(arguments.joined(separator: " ")) failed") }
    }

    /// Runs the script with its output discarded (`start` leaves the URL in the folder's `url`
    /// file), through `system`: `Process.waitUntilExit` never returned here, inside an async test
    /// with NIO's threads running (the script's process stayed a zombie).
    private static func runScript(_ arguments: [String]) -> Bool {
        let command = ([script] + arguments).map { "'" + $0 + "'" }.joined(separator: " ") + " >/dev/null"
        return system(command) == 0
    }
}

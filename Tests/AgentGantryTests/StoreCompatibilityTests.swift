import Foundation
import GantryEmbed
import GantryMath
import GRDB
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

/// Files written by AgentGantry at 58323a3 (before the store moved to GRDB records and the event
/// log to `EventColumns`, schema version 2), made by `Fixtures/make_store_fixture.swift.txt` with
/// the embedder below: they must open (migrated in place), read the same, and export the same
/// events, each feedback event now naming the model that embedded its query.
@Suite("Store compatibility")
struct StoreCompatibilityTests {
    /// Unit vectors that depend only on the text; 8-d under "fixture-hash-8" is the fixture's
    /// embedder, other dimensions and identities stand for other models.
    struct TextHashEmbedder: Embedder {
        var dimension = 8
        var modelIdentity = "fixture-hash-8"
        func embed(_ texts: [String]) throws -> Matrix {
            var matrix = Matrix(rows: texts.count, cols: dimension)
            for (row, text) in texts.enumerated() {
                var rng = SplitMix64(seed: UInt64(text.unicodeScalars.reduce(7) { ($0 &* 31 &+ UInt64($1.value)) & 0xFFFF_FFFF }))
                var v = (0..<dimension).map { _ in rng.nextGaussian() }
                let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                v = v.map { $0 / n }
                for c in 0..<dimension { matrix[row, c] = v[c] }
            }
            return matrix
        }
    }

    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
    }

    @Test func aStoreWrittenBeforeTheRecordsOpensAndExportsTheSameEvents() async throws {
        let folder = NSTemporaryDirectory() + "gantry-compat-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/gantry.sqlite"
        try FileManager.default.copyItem(atPath: Self.fixture("store-58323a3.sqlite"), toPath: path)

        let stored = try SQLiteStore(path: path)
        #expect(try stored.tools(model: "fixture-hash-8", dimension: 8).tools.map(\.tool.name) == ["cancel_subscription", "old_export", "pause_subscription", "restart_service", "slack_notify"])
        #expect(try stored.feedbackEvents().count == 3 && stored.executionEvents().count == 7)
        // The stored breaker rows are dropped (expand step 1): breakers are folded from the log,
        // where restart_service timed out five times in a row at 1796170955.9.
        #expect(try stored.summary().expandSteps == [1, 2, 3, 4, 5, 6])
        #expect(try await DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM breaker") } == 0)

        var configuration = GantryConfiguration(storePath: path)
        configuration.clock = GantryClock { Date(timeIntervalSince1970: 1_796_170_960) }  // within the 30 s cool-down
        let gantry = try await AgentGantry(configuration: configuration, embedder: TextHashEmbedder())
        #expect(try await gantry.breakerState(of: "restart_service") == .open)
        let old = try String(contentsOfFile: Self.fixture("events-58323a3.jsonl"), encoding: .utf8)
        let expected = old.split(separator: "\n").map { line in
            line.replacingOccurrences(of: #""kind":"feedback","#, with: #""kind":"feedback","model":"fixture-hash-8","#)
        }
        #expect(try await gantry.exportEvents().split(separator: "\n").map(String.init) == expected)
        #expect(await gantry.tools.first { $0.name == "slack_notify" }?.namespace == "chat")
        let matches = try await gantry.retrieveTools("cancel my subscription, mail me at jo@example.com", limit: 3)
        #expect((matches.first { $0.tool.name == "cancel_subscription" }?.breakdown[.feedback] ?? 0) > 0)
        #expect(!matches.contains { $0.tool.name == "old_export" })
    }
}

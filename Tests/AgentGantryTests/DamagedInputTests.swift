import Foundation
@_spi(StoreImplementation) @testable import AgentGantry
import GantryEmbed
import GantryIO
import GantryMath
import GRDB
import Testing

/// Every truncation and seeded random byte flips of the facade's outside inputs: the event log
/// and the store file. Each must be a typed error or a load that keeps its promises, never a
/// crash, hang or huge allocation.
@Suite("Damaged inputs")
struct DamagedInputTests {
    static let tools: Set<String> = ["cancel_subscription", "pause_subscription", "slack_notify"]

    static func eventLog() throws -> String {
        var rng = SplitMix64(seed: 3)
        let vector = (0..<8).map { _ in rng.nextGaussian() }
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        return try EventLog.encode(
            feedback: [FeedbackEvent(id: 1, at: at, user: "ann", team: "A", session: "s1", query: "cancel my subscription",
                                     queryVector: vector, selectedTool: "pause_subscription", correctTool: "cancel_subscription",
                                     type: .toolSelectionError)],
            executions: [ExecutionEvent(id: 2, at: at, user: "ann", team: "A", session: "s1", tool: "slack_notify", outcome: .timeout,
                                        latencyMilliseconds: 900, intent: "notify")])
    }

    @Test func eventLogTruncationsAndFlipsAreTypedErrorsOrValidEvents() throws {
        let bytes = Array(try Self.eventLog().utf8)
        func check(_ candidate: [UInt8]) {
            do {
                let (feedback, executions) = try EventLog.decode(String(decoding: candidate, as: UTF8.self), dimension: 8, knownTools: Self.tools)
                for e in feedback { #expect(e.queryVector.count == 8 && e.queryVector.allSatisfy(\.isFinite) && Self.tools.contains(e.correctTool)) }
                for e in executions { #expect(Self.tools.contains(e.tool) && (e.latencyMilliseconds ?? 0) >= 0) }
            } catch {
                #expect(error.description.hasPrefix("events line"), "\(error)")
            }
        }
        for length in 0...bytes.count { check(Array(bytes.prefix(length))) }
        var rng = SplitMix64(seed: 9)
        for _ in 0..<2_000 {
            var flipped = bytes
            flipped[Int(rng.next() % UInt64(flipped.count))] ^= UInt8(1 + rng.next() % 255)
            check(flipped)
        }
        // Values a flip cannot produce but a hand-edited file can.
        for bad in [#"{"kind":"execution","at":1e300,"tool":"slack_notify","outcome":"success"}"#,
                    #"{"kind":"execution","at":1,"tool":"slack_notify","outcome":"success","latency_ms":-1}"#,
                    #"{"kind":"execution","at":1,"tool":"slack_notify","outcome":"success","user":"a\u0007b"}"#,
                    #"{"kind":"feedback","at":1,"correct_tool":"slack_notify","feedback_type":"confirmed","query_vector":[1,2]}"#,
                    #"{"kind":"feedback","at":1,"correct_tool":"slack_notify","feedback_type":"confirmed","query_vector":[0,0,0,0,0,0,0,0]}"#] {
            #expect(throws: GantryError.self) { try EventLog.decode(bad, dimension: 8, knownTools: Self.tools) }
        }
    }

    @Test func damagedStoreFilesAreTypedErrorsOrConsistentLoads() async throws {
        let folder = NSTemporaryDirectory() + "gantry-damaged-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/gantry.sqlite"
        do {  // a small valid store: tools, events, an adapter blob (closing it checkpoints the WAL)
            let store = try SQLiteStore(path: path)
            var rng = SplitMix64(seed: 4)
            try await store.saveTools(catalog.prefix(4).map { (tool: $0, vector: (0..<8).map { _ in rng.nextGaussian() }) }, model: "test")
            let (feedback, executions) = try EventLog.decode(try Self.eventLog(), dimension: 8, knownTools: Self.tools)
            _ = try await store.appendEvents(feedback.map(GantryEvent.feedback) + executions.map(GantryEvent.execution))
            #expect(try store.saveAdapter(AdapterRecord(file: [1, 2, 3, 4], trainedAt: Date(), highestEventID: 2, trainedEvents: 1, report: "{}"),
                                          feedbackCount: 1, reportCount: 0) != nil)
        }
        let bytes = try BinaryFile.read(path)
        let damaged = folder + "/damaged.sqlite"
        func check(_ candidate: [UInt8]) async throws {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: damaged + suffix) }
            try Data(candidate).write(to: URL(fileURLWithPath: damaged))
            do {
                let store = try SQLiteStore(path: damaged)
                let tools = try store.tools(model: "test", dimension: 8).tools
                #expect(tools.allSatisfy { $0.vector.allSatisfy(\.isFinite) })
                _ = try store.events()
                _ = try store.feedbackEvents()
                _ = try store.executionEvents()
                _ = try store.damagedAdapters()
                _ = try await store.changes(after: LogPosition(), model: "test", dimension: 8)
                _ = try store.adapterVersions()
            } catch {
                #expect(!error.description.isEmpty)  // typed: every call above throws GantryError
            }
        }
        for length in stride(from: 0, through: bytes.count, by: 509) { try await check(Array(bytes.prefix(length))) }
        // Found by 5,000 flips: a flip inside a column name in the schema made GRDB's row
        // subscript trap. The same damage, made on purpose: every read must throw instead.
        try await check(bytes)
        // A renamed column, required or optional, refuses the store when it opens: read through
        // records, an optional column that is gone would read as NULL and lose data silently.
        for (table, column) in [("event", "feedbackType"), ("event", "user"), ("event", "queryVector"), ("breaker", "openedAt")] {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: damaged + suffix) }
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
            try await DatabaseQueue(path: damaged).write { try $0.execute(sql: "ALTER TABLE \(table) RENAME COLUMN \(column) TO x\(column)") }
            #expect(throws: GantryError.self, "\(table).\(column) renamed") { try SQLiteStore(path: damaged) }
        }
        // A feedback row without its query vector is damage too: reported, not a valid event.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: damaged + suffix) }
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        try await DatabaseQueue(path: damaged).write { try $0.execute(sql: "UPDATE event SET queryVector = NULL WHERE kind = 'feedback'") }
        let nulled = try SQLiteStore(path: damaged)
        #expect(try nulled.events().damaged.map(\.key) == ["1"])
        #expect(try nulled.feedbackEvents().isEmpty)
        var rng = SplitMix64(seed: 5)
        for _ in 0..<2_000 {
            var flipped = bytes
            flipped[Int(rng.next() % UInt64(flipped.count))] ^= UInt8(1 + rng.next() % 255)
            try await check(flipped)
        }
    }
}

/// An embedder that misbehaves on request: NaN vectors for texts containing "nan", short
/// vectors for texts containing "short".
struct FaultyEmbedder: Embedder {
    var dimension = 8
    let modelIdentity = "faulty"

    func embed(_ texts: [String]) throws -> Matrix {
        var matrix = Matrix(rows: texts.count, cols: dimension)
        for (row, text) in texts.enumerated() {
            for c in 0..<dimension { matrix[row, c] = text.contains("nan") ? .nan : Float((text.count + c) % 7) + 1 }
        }
        return texts.joined().contains("short") ? Matrix(rows: texts.count, cols: max(1, dimension - 1)) : matrix
    }
}

@Suite("Input limits")
struct InputLimitTests {
    @Test func everyEntryPointEnforcesTheDocumentedLimits() async throws {
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: nil), embedder: FaultyEmbedder())
        try await gantry.register(Tool(name: "cancel_subscription", description: "Stop the plan."))
        func refused(_ what: String, _ body: () async throws -> Void) async {
            do { try await body(); Issue.record("\(what) was accepted") } catch { #expect(error is GantryError, "\(what): \(error)") }
        }
        await refused("a query over the limit") { _ = try await gantry.retrieveTools(String(repeating: "a", count: Limits.queryBytes + 1)) }
        await refused("a control character in the user") { _ = try await gantry.retrieveTools("hi", context: RoutingContext(user: "a\u{7}")) }
        await refused("an over-long team") {
            try await gantry.recordExecution(tool: "cancel_subscription", outcome: .success,
                                             context: RoutingContext(team: String(repeating: "t", count: Limits.contextBytes + 1)))
        }
        await refused("a non-positive latency budget") { _ = try await gantry.retrieveTools("hi", context: RoutingContext(latencyBudget: .zero)) }
        await refused("NaN query embedding") { _ = try await gantry.retrieveTools("nan please") }
        await refused("NaN feedback embedding") { try await gantry.recordFeedback(query: "nan", selectedTool: nil, correctTool: "cancel_subscription") }
        await refused("NaN tool embedding") { try await gantry.register(Tool(name: "nan_tool", description: "nan")) }
        await refused("wrong-length embedding") { try await gantry.register(Tool(name: "short_tool", description: "short")) }
        await refused("too many examples") {
            try await gantry.register(Tool(name: "x", description: "y", examples: Array(repeating: "e", count: Limits.examplesPerTool + 1)))
        }
        var deep = JSONValue.string("leaf")
        for _ in 0..<Limits.schemaDepth { deep = .object(["nested": deep]) }
        await refused("a schema nested too deep") { try await gantry.register(Tool(name: "deep", description: "d", parameters: deep)) }
        let wide = JSONValue.object(Dictionary(uniqueKeysWithValues: (0..<5_000).map { ("p\($0)", JSONValue.string(String(repeating: "v", count: 20))) }))
        await refused("a schema over the byte limit") { try await gantry.register(Tool(name: "wide", description: "w", parameters: wide)) }
        await refused("a name with a newline") { try await gantry.register(Tool(name: "a\nb", description: "d")) }
        // Nothing refused reached the store or the index.
        #expect(await gantry.tools.map(\.name) == ["cancel_subscription"])
        #expect(try await gantry.exportEvents().isEmpty)
        // SQL metacharacters are data: every statement binds its parameters.
        let sly = "robert');DROP_TABLE_tool;--"
        try await gantry.register(Tool(name: sly, description: "Little Bobby Tables'; DELETE FROM event; --"))
        try await gantry.recordExecution(tool: sly, outcome: .success, context: RoutingContext(user: "'; DELETE FROM event; --"))
        #expect(await gantry.tools.map(\.name).sorted() == ["cancel_subscription", sly].sorted())
        #expect(try await gantry.exportEvents().contains("DELETE FROM event"))
        // Dimensions outside 1...4096 are refused when the gantry opens.
        for dimension in [0, Limits.dimensions.upperBound + 1] {
            await refused("dimension \(dimension)") {
                _ = try await AgentGantry(configuration: GantryConfiguration(storePath: nil), embedder: FaultyEmbedder(dimension: dimension))
            }
        }
    }

    @Test func settingsOutOfRangeAreRefusedWhenTheGantryOpens() async throws {
        let changes: [(String, (inout GantryConfiguration) -> Void)] = [
            ("weights", { $0.weights[.semantic] = .nan }), ("weights", { $0.weights = .defaultWeights; $0.weights[.feedback] = -1 }),
            ("candidateMultiplier", { $0.candidateMultiplier = 0 }), ("mmrLambda", { $0.mmrLambda = 1.5 }),
            ("feedbackMemoryThreshold", { $0.feedbackMemoryThreshold = 1 }), ("feedbackHalfLife", { $0.feedbackHalfLife = 0 }),
            ("feedbackOtherTeamWeight", { $0.feedbackOtherTeamWeight = 2 }), ("retentionDays", { $0.retentionDays = 0 }),
            ("breaker", { $0.breaker.window = 0 }), ("breaker.failureRate", { $0.breaker.failureRate = 0 }),
            ("rank", { $0.training.rank = 0 }), ("gateFraction", { $0.training.gateFraction = 0 }),
            ("gateFraction", { $0.training.gateFraction = 0.95 }), ("gateFraction", { $0.training.gateFraction = 1e-300 }),
            ("gateMargin", { $0.training.gateMargin = -0.1 }), ("gateRequestsLimit", { $0.training.gateRequestsLimit = 7 }),
            ("nearDuplicateCosine", { $0.training.nearDuplicateCosine = 1.5 }),
        ]
        for (name, change) in changes {
            var configuration = GantryConfiguration(storePath: nil)
            change(&configuration)
            do {
                _ = try await AgentGantry(configuration: configuration, embedder: FaultyEmbedder())
                Issue.record("\(name) out of range was accepted")
            } catch {
                #expect("\(error)".contains(name), "\(error)")
            }
        }
        _ = try await AgentGantry(configuration: GantryConfiguration(storePath: nil), embedder: FaultyEmbedder())  // the defaults pass
    }
}

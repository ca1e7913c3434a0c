import Foundation
import GantryAdapt
import GantryEmbed
import GantryIO
import GantryMath
import GRDB
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

/// `register` is all or nothing, and no sequence of public calls, and no row damaged on disk,
/// leaves a store that cannot be opened: rows that fail validation at open are moved to the
/// quarantine table and reported.
@Suite("Quarantine")
struct QuarantineTests {
    static let tools = (0..<6).map { Tool(name: "tool_\($0)", description: "Tool number \($0) of the catalog.") }
    static let embedder = StoreCompatibilityTests.TextHashEmbedder()

    /// A store at a new temporary path where `embedder` registered `tools`, then `record` ran.
    static func storeWithTools(_ record: (AgentGantry) async throws -> Void = { _ in }) async throws -> String {
        let path = temporaryStore()
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
        try await gantry.register(tools)
        try await record(gantry)
        return path
    }

    static func removeStore(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    /// Stores `file` (adapter file bytes) as the newest adapter version of the store at `path`.
    static func storeAdapter(_ file: [UInt8], at path: String) throws {
        _ = try SQLiteStore(path: path).saveAdapter(
            AdapterRecord(file: file, trainedAt: Date(), highestEventID: 0, trainedEvents: 20, report: "{}"), feedbackCount: 0, reportCount: 0)
    }

    /// An adapter of weights all `value`, on `side`, as `embedder`'s adapter file.
    static func adapterFile(weights value: Float, side: LowRankAdapter.Side) -> [UInt8] {
        AdapterFile.encode(LowRankAdapter(dimension: 8, rank: 2, side: side, down: Matrix(rows: 2, cols: 8, repeating: value),
                                          up: Matrix(rows: 2, cols: 8, repeating: value)), modelIdentity: embedder.modelIdentity)
    }

    /// `embedder`'s vectors under another model's identity, failing on texts that start with `failing`.
    struct PickyEmbedder: Embedder {
        var failing = "tool_4"
        let dimension = 8
        let modelIdentity = "picky-8"
        func embed(_ texts: [String]) throws -> Matrix {
            if texts.contains(where: { $0.hasPrefix(failing) }) { throw GantryError.embedding("cannot embed \(failing)") }
            return try QuarantineTests.embedder.embed(texts)
        }
    }

    /// A 64-d `.npy` of the tools' texts whose row for `padded_row` is all zeros.
    static func precomputed(in folder: String, with padded: Tool) throws -> PrecomputedEmbedder {
        let texts = (tools + [padded]).map(\.embeddingText)
        var rng = SplitMix64(seed: 11)
        var matrix = Matrix(rows: texts.count, cols: 64)
        for row in 0..<texts.count - 1 { for col in 0..<64 { matrix[row, col] = rng.nextGaussian() } }
        let path = folder + "/tools.npy"
        try NPYFile.write(NPYArray(matrix), to: path)
        return try PrecomputedEmbedder(texts: texts, npyFile: path, modelIdentity: "precomputed-64")
    }

    @Test func aRegistrationWithAZeroVectorStoresNothingAndTheStoreStillOpens() async throws {
        let path = temporaryStore()
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let padded = Tool(name: "padded_row", description: "A row the export padded with zeros.")
        let embedder = try Self.precomputed(in: folder, with: padded)
        do {
            let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
            try await gantry.register(Array(Self.tools.prefix(3)))
            await #expect(throws: GantryError.self) { try await gantry.register(Array(Self.tools.suffix(3)) + [padded]) }
            #expect(await gantry.tools.map(\.name) == ["tool_0", "tool_1", "tool_2"])  // none of the failed batch
        }
        let reopened = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
        #expect(await reopened.tools.map(\.name) == ["tool_0", "tool_1", "tool_2"])
        #expect(try await reopened.quarantinedRows().isEmpty)
        #expect(try await reopened.retrieveTools(Self.tools[1].embeddingText, limit: 3).count == 3)
    }

    @Test func damagedRowsAreQuarantinedAndTheRestOpens() async throws {
        let path = try await Self.storeWithTools { gantry in
            for i in 0..<3 { try await gantry.recordFeedback(query: "query \(i)", selectedTool: "tool_1", correctTool: "tool_2") }
            try await gantry.recordExecution(tool: "tool_3", outcome: .success)
        }
        defer { Self.removeStore(path) }
        let embedder = Self.embedder
        // Damage as an older version, or a flipped value, would leave it: rows SQLite accepts
        // that the facade's validation refuses.
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE tool SET definition = '{\"name\": 5}' WHERE name = 'tool_0'")
            try db.execute(sql: "UPDATE tool SET vector = zeroblob(32) WHERE name = 'tool_4'")
            try db.execute(sql: "UPDATE tool SET definition = replace(definition, 'tool_5', 'tool 5') WHERE name = 'tool_5'")
            try db.execute(sql: "UPDATE event SET queryVector = zeroblob(32) WHERE id = 2")
            try db.execute(sql: "UPDATE event SET feedbackType = 'maybe' WHERE id = 3")
            try db.execute(sql: "UPDATE event SET outcome = NULL WHERE id = 4")
        }
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
        let report = try await gantry.quarantinedRows()
        #expect(report.map { "\($0.table) \($0.key)" } == ["tool tool_0", "tool tool_4", "tool tool_5", "event 2", "event 3", "event 4"])
        #expect(report.allSatisfy { !$0.reason.isEmpty })
        #expect(await gantry.tools.map(\.name) == ["tool_1", "tool_2", "tool_3"])
        #expect(try await gantry.exportEvents().split(separator: "\n").count == 1)
        // The quarantined rows keep their content; the next open finds nothing new.
        let contents = try await DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT content FROM quarantine ORDER BY id") }
        #expect(contents[0].contains(#"{\"name\": 5}"#) && contents[3].contains("queryVector"))
        let again = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
        #expect(try await again.quarantinedRows().count == 6)
        #expect(try await again.retrieveTools("query 0", limit: 2).count == 2)
    }

    /// An adapter file of a format version newer than this build reads was written by a newer
    /// build sharing the store: it is not damage, so it stays stored (not quarantined) while this
    /// process serves the frozen embeddings.
    @Test func anAdapterOfANewerFormatIsLeftAlone() async throws {
        let path = try await Self.storeWithTools()
        defer { Self.removeStore(path) }
        let newer = FileEnvelope(magic: "GNTRYADP", name: "adapter", versions: 1...99).encode(header: { $0.append(UInt32(8)) }, payload: [])
        try Self.storeAdapter(newer, at: path)
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: Self.embedder)
        #expect(try await gantry.quarantinedRows().isEmpty)
        #expect(await gantry.servedAdapterVersion == nil)
        #expect(try await gantry.adapterVersions().count == 1, "still stored, for the build that reads it")
    }

    @Test func aDamagedAdapterIsQuarantinedAndTheNextVersionServed() async throws {
        let path = try await Self.storeWithTools()
        defer { Self.removeStore(path) }
        let embedder = Self.embedder
        let good = AdapterFile.encode(try LowRankAdapter.identity(dimension: 8, rank: 2), modelIdentity: embedder.modelIdentity)
        for file in [good, [1, 2, 3]] { try Self.storeAdapter(file, at: path) }
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
        #expect(try await gantry.quarantinedRows().map { "\($0.table) \($0.key)" } == ["adapterVersion 2"])
        #expect(await gantry.adapterVersion == 1)
        #expect(try await gantry.adapterVersions().map(\.version) == [1])
    }

    /// Values SQLite holds that no row of ours can have, found by an outside probe: a damaged
    /// adapter record (its `forgottenSince` not a list), a tool whose name is a BLOB (it could not be moved by name and was
    /// reported again at every open).
    @Test func rowsWithImpossibleValuesAreQuarantinedOnce() async throws {
        let path = try await Self.storeWithTools { gantry in
            for tool in ["tool_1", "tool_2", "tool_3"] { try await gantry.recordExecution(tool: tool, outcome: .failure) }
        }
        defer { Self.removeStore(path) }
        let embedder = Self.embedder
        try Self.storeAdapter(AdapterFile.encode(try LowRankAdapter.identity(dimension: 8, rank: 2), modelIdentity: embedder.modelIdentity),
                              at: path)
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE adapterVersion SET forgottenSince = 'garbage'")
            try db.execute(sql: "UPDATE tool SET name = CAST('tool_0' AS BLOB) WHERE name = 'tool_0'")
        }
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
        let report = try await gantry.quarantinedRows()
        #expect(Set(report.map { "\($0.table) \($0.key)" }) == ["tool tool_0", "adapterVersion 1"])
        try await gantry.recordExecution(tool: "tool_1", outcome: .failure)
        #expect(try await gantry.breakerState(of: "tool_3") == .closed)
        #expect(await gantry.adapterVersion == nil)
        let again = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
        #expect(try await again.quarantinedRows().count == 2)
        #expect(await again.tools.map(\.name) == ["tool_1", "tool_2", "tool_3", "tool_4", "tool_5"])
    }

    /// A new model that cannot embed one tool (it fails on its text) does not refuse the store:
    /// the others are embedded again and that one is kept as it was, reported, and tried again at
    /// the next open. A new model that embeds none (a service that is down) refuses the open and
    /// changes nothing.
    @Test func aToolTheNewModelCannotEmbedIsSetAside() async throws {
        let path = try await Self.storeWithTools()
        defer { Self.removeStore(path) }
        let before = try BinaryFile.read(path)
        await #expect(throws: GantryError.self) {
            try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: PickyEmbedder(failing: "tool_"))
        }
        #expect(try BinaryFile.read(path) == before)
        do {
            let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: PickyEmbedder())
            #expect(await gantry.tools.map(\.name) == ["tool_0", "tool_1", "tool_2", "tool_3", "tool_5"])
            #expect(try await gantry.quarantinedRows().map { "\($0.table) \($0.key)" } == ["tool tool_4"])
        }
        do {  // the next open, with the tool still failing, serves the others again (a partial upgrade)
            let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: PickyEmbedder())
            #expect(await gantry.tools.count == 5)
        }
        let again = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: PickyEmbedder(failing: "none"))
        #expect(await again.tools.count == 6)
        #expect(try await again.quarantinedRows().isEmpty)
    }

    /// Rows an older version wrote that the facade now refuses on the way in: a raw vector of the
    /// largest floats (tools were not kept unit then) beside a served adapter, an adapter whose
    /// weights are finite but huge, an event whose user is a BLOB (`forget(user:)` missed it).
    /// The store opens, serves the frozen tools, and sets the adapter and the event aside.
    @Test func rowsOlderVersionsLetThroughOpen() async throws {
        let path = try await Self.storeWithTools { gantry in
            try await gantry.recordFeedback(query: "query one", selectedTool: "tool_1", correctTool: "tool_2",
                                            context: RoutingContext(user: "mallory"))
        }
        defer { Self.removeStore(path) }
        let embedder = Self.embedder
        try Self.storeAdapter(Self.adapterFile(weights: 1e20, side: .both), at: path)
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE tool SET vector = ? WHERE name = 'tool_3'",
                           arguments: [StoredVector.data([Float](repeating: .greatestFiniteMagnitude, count: 8))])
            try db.execute(sql: "UPDATE event SET user = CAST(user AS BLOB)")
        }
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
        #expect(try await gantry.quarantinedRows().map { "\($0.table) \($0.key)" } == ["event 1", "adapterVersion 1"])
        #expect(await gantry.adapterVersion == nil)
        #expect(await gantry.tools.count == 6)
        let matches = try await gantry.retrieveTools(Self.tools[3].embeddingText, limit: 3)
        #expect(matches.count == 3 && matches.allSatisfy { $0.score.isFinite })
    }

    /// A name that is not UTF-8 in a store of an older schema does not stop its migration (the
    /// NFC pass trapped on it); the row is quarantined when the store opens.
    @Test func aNameThatIsNotUTF8DoesNotStopTheMigration() async throws {
        let path = temporaryStore()
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: StoreCompatibilityTests.fixture("store-58323a3.sqlite"), toPath: path)
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: """
                INSERT INTO tool (name, definition, fingerprint, model, vector, updatedAt)
                    VALUES (x'ff61', x'ff7b', 'x', 'fixture-hash-8', zeroblob(32), 0);
                INSERT INTO breaker (tool, state, consecutiveFailures, probesInFlight, halfOpenSuccesses)
                    VALUES (x'fe', 'closed', 0, 0, 0);
                """)
        }
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path),
                                           embedder: StoreCompatibilityTests.TextHashEmbedder())
        #expect(await gantry.tools.count == 5)
        #expect(try await gantry.quarantinedRows().contains { $0.table == "tool" })
    }

    /// A tool set aside at open (its new model cannot embed it) can be removed, and then is gone.
    @Test func aSetAsideToolCanBeRemoved() async throws {
        let path = try await Self.storeWithTools()
        defer { Self.removeStore(path) }
        do {
            let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: PickyEmbedder())
            try await gantry.remove("tool_4")
            #expect(try await gantry.quarantinedRows().isEmpty)
        }
        let again = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: PickyEmbedder())
        #expect(await again.tools.count == 5)
        #expect(try await again.quarantinedRows().isEmpty)
    }

    /// Text that reads as a name but holds NUL (SQLite keeps it; reading cuts it) would escape
    /// `forget(user:)` and `remove`: such rows are quarantined. So is an adapter that adapts
    /// queries only, with weights that break every query.
    @Test func namesWithNULAndQueryAdaptersOfHugeWeightsAreSetAside() async throws {
        let path = try await Self.storeWithTools { gantry in
            try await gantry.recordExecution(tool: "tool_2", outcome: .success, context: RoutingContext(user: "u1"))
        }
        defer { Self.removeStore(path) }
        let embedder = Self.embedder
        try Self.storeAdapter(Self.adapterFile(weights: 1e20, side: .query), at: path)
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE event SET user = user || char(0)")
            try db.execute(sql: "UPDATE tool SET name = name || char(0) || 'x' WHERE name = 'tool_1'")
        }
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: embedder)
        #expect(Set(try await gantry.quarantinedRows().map { "\($0.table) \($0.key)" }) == ["event 1", "tool tool_1", "adapterVersion 1"])
        #expect(try await gantry.retrieveTools("tool number two", limit: 3).count == 3)
    }
}

import Foundation
@_spi(StoreImplementation) @testable import AgentGantry
import GantryMath
import GRDB
import Testing

/// Names typed precomposed (`café`, U+00E9) and decomposed (`cafe` + U+0301) are one name: the
/// facade keeps them in Unicode NFC, so that SQLite, which compares bytes, agrees with Swift's
/// `==`, which compares canonical equivalence. Every check below compares the scalars spelled out
/// (`escaped`) for that reason.
@Suite("Unicode names")
struct UnicodeNameTests {
    static let cafe = "caf\u{E9}_order", cafeDecomposed = "cafe\u{301}_order"
    static let jose = "Jos\u{E9}", joseDecomposed = "Jose\u{301}"
    static let creme = "cr\u{E8}me_br\u{FB}l\u{E9}e", cremeDecomposed = "cre\u{300}me_bru\u{302}le\u{301}e"

    /// `text` with every non-ASCII scalar spelled `\u{…}`: equal only for the same scalars.
    static func escaped(_ text: String?) -> String {
        (text ?? "").unicodeScalars.map { $0.isASCII ? String($0) : "\\u{\(String($0.value, radix: 16, uppercase: true))}" }.joined()
    }

    static func isNFC(_ text: String) -> Bool { Array(text.utf8) == Array(text.precomposedStringWithCanonicalMapping.utf8) }

    /// Whether `text` holds the bytes of `part` (String's own `contains` compares canonically).
    static func holds(_ text: String, _ part: String) -> Bool { Data(text.utf8).range(of: Data(part.utf8)) != nil }

    static func open(_ path: String?) async throws -> AgentGantry {
        try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: StoreCompatibilityTests.TextHashEmbedder())
    }

    @Test func aToolRegisteredPrecomposedIsRemovedByItsDecomposedSpellingForGood() async throws {
        let path = temporaryStore()
        do {
            let gantry = try await Self.open(path)
            try await gantry.register(Tool(name: Self.cafe, description: "Order a coffee."))
            try await gantry.remove(Self.cafeDecomposed)
            #expect(await gantry.tools.isEmpty)
        }
        let reopened = try await Self.open(path)
        #expect(await reopened.tools.isEmpty, "the removed tool came back after a restart")
        #expect(try SQLiteStore(path: path).tools(model: "fixture-hash-8", dimension: 8).tools.isEmpty)
    }

    @Test func everyEntryPointTakesEitherSpellingAndStoresNFC() async throws {
        let path = temporaryStore()
        let gantry = try await Self.open(path)
        try await gantry.register([Tool(name: Self.cafeDecomposed, description: "Order a coffee.", tags: ["boisson\u{301}"],
                                        namespace: "e\u{301}quipe"),
                                   Tool(name: "tea_order", description: "Order a tea.")])
        let registered = try #require(await gantry.tools.first { $0.name == Self.cafe })
        #expect(Self.escaped(registered.name) == Self.escaped(Self.cafe))
        #expect(Self.escaped(registered.namespace) == Self.escaped("\u{E9}quipe") && Self.escaped(registered.tags.first) == Self.escaped("boisson\u{301}".nfc))
        #expect(try SQLiteStore(path: path).tools(model: "fixture-hash-8", dimension: 8).tools.map { Self.escaped($0.tool.name) }.contains(Self.escaped(Self.cafe)))
        // Context filters match in either spelling.
        let filtered = try await gantry.retrieveTools("coffee", limit: 2, context: RoutingContext(namespace: "\u{E9}quipe", tags: ["boisson\u{301}"]))
        #expect(filtered.map { Self.escaped($0.tool.name) } == [Self.escaped(Self.cafe)])

        let decomposed = RoutingContext(user: Self.joseDecomposed, team: "e\u{301}quipe", session: "se\u{301}ance")
        try await gantry.recordExecution(tool: Self.cafeDecomposed, outcome: .failure, context: decomposed)
        try await gantry.recordFeedback(query: "a coffee please", selectedTool: "tea_order", correctTool: Self.cafeDecomposed, context: decomposed)
        #expect(try await gantry.breakerState(of: Self.cafeDecomposed) == .closed)
        let exported = try await gantry.exportEvents()
        #expect(Self.isNFC(exported), "the stored events hold names in other forms")
        #expect(Self.holds(exported, Self.jose) && Self.holds(exported, Self.cafe) && !Self.holds(exported, Self.joseDecomposed))

        // An import in the other spelling lands in NFC too, and forget finds the user either way.
        let imported = exported.replacingOccurrences(of: Self.jose, with: Self.joseDecomposed)  // canonical match: swaps every spelling
        let decoded = try EventLog.decode(imported, dimension: 8, knownTools: [Self.cafe, "tea_order"])
        #expect(decoded.executions.allSatisfy { Self.escaped($0.user) == Self.escaped(Self.jose) && Self.escaped($0.tool) == Self.escaped(Self.cafe) })
        #expect(decoded.feedback.allSatisfy { Self.escaped($0.user) == Self.escaped(Self.jose) && Self.escaped($0.correctTool) == Self.escaped(Self.cafe) })
        #expect(try await gantry.importEvents(imported) == 2)
        #expect(try await gantry.forget(user: Self.joseDecomposed) == 4)
        #expect(try await gantry.exportEvents().isEmpty)
    }

    /// A store written before names were normalised (the fixture of schema version 2, with rows
    /// added as the old code wrote them) is normalised in place when it opens.
    @Test func aStoreWithNamesInOtherFormsIsNormalisedWhenItOpens() async throws {
        let folder = NSTemporaryDirectory() + "gantry-nfc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/gantry.sqlite"
        try FileManager.default.copyItem(atPath: StoreCompatibilityTests.fixture("store-58323a3.sqlite"), toPath: path)
        let embedder = StoreCompatibilityTests.TextHashEmbedder()
        let longName = String(repeating: "\u{540D}", count: 100)  // 100 characters (the old limit was 128), 300 bytes
        try await DatabaseQueue(path: path).write { db in
            func insertTool(_ name: String, _ description: String, at updatedAt: Double) throws {
                let definition = #"{"deprecated":false,"description":"\#(description)","examples":[],"name":"\#(name)","namespace":"default","tags":[]}"#
                let vector = try embedder.embed(["\(name): \(description)"]).row(0)
                try db.execute(sql: "INSERT INTO tool (name, definition, fingerprint, model, vector, updatedAt) VALUES (?, ?, 'old', ?, ?, ?)",
                               arguments: [name, definition, embedder.modelIdentity, StoredVector.data(Array(vector)), updatedAt])
            }
            try insertTool(Self.cafeDecomposed, "Order a coffee.", at: 1_796_170_000)
            try insertTool(Self.creme, "the older definition", at: 1_796_170_000)
            try insertTool(Self.cremeDecomposed, "the newer definition", at: 1_796_170_500)
            try insertTool(longName, "Accepted by a character count.", at: 1_796_170_000)
            try db.execute(sql: "INSERT INTO event (kind, at, user, team, session, tool, outcome) VALUES ('execution', 1796170600, ?, 'A', ?, ?, 'success')",
                           arguments: [Self.joseDecomposed, "se\u{301}ance", Self.cafeDecomposed])
            try db.execute(sql: """
                INSERT INTO event (kind, at, user, queryVector, correctTool, feedbackType) VALUES ('feedback', 1796170601, ?, ?, ?, 'confirmed')
                """, arguments: [Self.joseDecomposed, StoredVector.data(Array(try embedder.embed(["coffee"]).row(0))), Self.cremeDecomposed])
        }

        let store = try SQLiteStore(path: path)
        let tools = try store.tools(model: "fixture-hash-8", dimension: 8).tools
        #expect(tools.map { Self.escaped($0.tool.name) }.sorted()
                == ["cancel_subscription", Self.cafe, Self.creme, "old_export", "pause_subscription", "restart_service", "slack_notify"].map(Self.escaped).sorted())
        let creme = try #require(tools.first { Self.escaped($0.tool.name) == Self.escaped(Self.creme) })
        #expect(creme.tool.description == "the newer definition")
        #expect(creme.tool.fingerprint == Tool(name: Self.creme, description: "the newer definition").fingerprint)
        let quarantined = try store.quarantinedRows()
        #expect(quarantined.count == 2)
        #expect(quarantined.contains { $0.table == "tool" && Self.escaped($0.key) == Self.escaped(Self.creme) && $0.reason.contains("second spelling") })
        #expect(quarantined.contains { $0.table == "tool" && $0.key == longName && $0.reason.contains("has 300 bytes; the limit is 256") })

        let gantry = try await Self.open(path)
        let exported = try await gantry.exportEvents()
        #expect(Self.isNFC(exported), "the migrated events hold names in other forms")
        #expect(try await gantry.forget(user: Self.jose) == 2)
        try await gantry.remove(Self.cafe)
        let reopened = try await Self.open(path)
        #expect(await !reopened.tools.contains { $0.name == Self.cafe })
        #expect(await reopened.tools.count == 6)
    }
}

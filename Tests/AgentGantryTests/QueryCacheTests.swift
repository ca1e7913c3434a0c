import Foundation
import GantryEmbed
import GantryMath
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

/// The query embedding cache: a text asked again is not encoded again, by retrievals and by the
/// feedback on them; least recently used texts go first; `forget(user:)` empties it.
@Suite("Query embedding cache")
struct QueryCacheTests {
    /// `HashingEmbedder`, recording every text it is asked to embed.
    final class CountingEmbedder: Embedder, @unchecked Sendable {
        let base = HashingEmbedder(dimension: 32, features: .words)
        private let lock = NSLock()
        private var texts = [String]()
        var dimension: Int { base.dimension }
        var modelIdentity: String { base.modelIdentity }

        func embed(_ texts: [String]) throws -> Matrix {
            lock.withLock { self.texts += texts }
            return try base.embed(texts)
        }

        /// How many times `text` (these very bytes) was embedded.
        func count(_ text: String) -> Int { lock.withLock { texts.count { $0.utf8.elementsEqual(text.utf8) } } }
    }

    static let tools = ["invoice", "weather", "calendar", "ticket", "refund"].map { Tool(name: "\($0)_tool", description: "Handles \($0) requests.") }

    func gantry(_ change: (inout GantryConfiguration) -> Void = { _ in }) async throws -> (AgentGantry, CountingEmbedder) {
        var configuration = GantryConfiguration(storePath: nil)
        change(&configuration)
        let embedder = CountingEmbedder()
        let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
        try await gantry.register(Self.tools)
        return (gantry, embedder)
    }

    /// A text asked again is served from the cache with the same results, and the feedback on a
    /// retrieval finds its query there too; a text differing in one byte (here its Unicode
    /// normalisation) is another key.
    @Test func aTextAskedAgainIsNotEncodedAgain() async throws {
        let (gantry, embedder) = try await gantry()
        let first = try await gantry.retrieveTools("where is my invoice", limit: 3)
        let second = try await gantry.retrieveTools("where is my invoice", limit: 3)
        #expect(first.map(\.tool.name) == second.map(\.tool.name) && first.map(\.score) == second.map(\.score))
        try await gantry.recordFeedback(query: "where is my invoice", selectedTool: nil, correctTool: "refund_tool")
        #expect(embedder.count("where is my invoice") == 1)
        #expect(gantry.queryCacheStatistics == QueryCacheStatistics(hits: 2, misses: 1, entries: 1, bytes: 32 * 4))
        _ = try await gantry.retrieveTools("caf\u{E9} weather", limit: 3)
        _ = try await gantry.retrieveTools("cafe\u{301} weather", limit: 3)  // canonically equal, other bytes
        #expect(embedder.count("caf\u{E9} weather") + embedder.count("cafe\u{301} weather") == 2)
        #expect(gantry.queryCacheStatistics.misses == 3)
    }

    /// Past `queryCacheEntries` the least recently used text goes first; past `queryCacheBytes`
    /// too; 0 turns the cache off; negative limits are refused.
    @Test func theLeastRecentlyUsedTextGoesFirst() async throws {
        let (gantry, embedder) = try await gantry { $0.queryCacheEntries = 2 }
        for text in ["a invoice", "b weather", "a invoice", "c calendar", "b weather", "a invoice"] {
            _ = try await gantry.retrieveTools(text, limit: 2)
        }
        // a, b cached; a used (b is now the oldest); c evicts b; b evicts a; a is encoded again.
        let counts: [Int] = [embedder.count("a invoice"), embedder.count("b weather"), embedder.count("c calendar")]
        #expect(counts == [2, 2, 1])
        #expect(gantry.queryCacheStatistics == QueryCacheStatistics(hits: 1, misses: 5, entries: 2, bytes: 2 * 32 * 4))

        let (bounded, counted) = try await self.gantry { $0.queryCacheBytes = 2 * 32 * 4 + 100 }
        for text in ["a invoice", "b weather", "c calendar", "b weather"] { _ = try await bounded.retrieveTools(text, limit: 2) }
        #expect(bounded.queryCacheStatistics.entries == 2 && counted.count("a invoice") == 1 && counted.count("b weather") == 1)

        let (off, offCounted) = try await self.gantry { $0.queryCacheEntries = 0 }
        for _ in 0..<3 { _ = try await off.retrieveTools("a invoice", limit: 2) }
        #expect(offCounted.count("a invoice") == 3 && off.queryCacheStatistics == QueryCacheStatistics(hits: 0, misses: 3, entries: 0, bytes: 0))

        for change: (inout GantryConfiguration) -> Void in [{ $0.queryCacheEntries = -1 }, { $0.queryCacheBytes = -1 }] {
            var configuration = GantryConfiguration(storePath: nil)
            change(&configuration)
            #expect(throws: GantryError.self) { try configuration.validate() }
        }
    }

    /// `forget(user:)` empties the cache of the process that forgets (also for a user with no
    /// stored events) and of another process on the same store (when it follows the deletion):
    /// it keeps no text, but the embeddings of the forgotten user's queries.
    @Test func forgettingAUserEmptiesEveryProcesssCache() async throws {
        let path = temporaryStore()
        defer { QuarantineTests.removeStore(path) }
        func open() async throws -> (AgentGantry, CountingEmbedder) {
            let embedder = CountingEmbedder()
            var configuration = GantryConfiguration(storePath: path)
            configuration.followInterval = nil
            let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
            if await gantry.tools.isEmpty { try await gantry.register(Self.tools) }
            return (gantry, embedder)
        }
        let (gantry, embedder) = try await open(), (other, otherEmbedder) = try await open()
        _ = try await gantry.retrieveTools("a question of bob's", limit: 2, context: RoutingContext(user: "bob"))
        #expect(try await gantry.forget(user: "bob") == 0 && gantry.queryCacheStatistics.entries == 0, "a user with no stored events")
        let context = RoutingContext(user: "ana")
        _ = try await gantry.retrieveTools("refund my ticket", limit: 2, context: context)
        try await gantry.recordFeedback(query: "refund my ticket", selectedTool: nil, correctTool: "refund_tool", context: context)
        _ = try await other.retrieveTools("refund my ticket", limit: 2)
        try await other.followStore()
        #expect(gantry.queryCacheStatistics.entries == 1 && other.queryCacheStatistics.entries == 1)
        #expect(try await gantry.forget(user: "ana") == 1)
        #expect(gantry.queryCacheStatistics.entries == 0)
        try await other.followStore()
        #expect(other.queryCacheStatistics.entries == 0)
        _ = try await gantry.retrieveTools("refund my ticket", limit: 2)
        #expect(embedder.count("refund my ticket") == 2 && otherEmbedder.count("refund my ticket") == 1)
    }

    /// Many retrievals at once, of few texts, from many tasks: every call is a hit or a miss,
    /// each text is cached once, and every call gets the results a fresh gantry gives.
    @Test func concurrentRetrievalsShareTheCache() async throws {
        let (cached, _) = try await gantry { $0.queryCacheEntries = 4 }
        let texts = (0..<8).map { "\(["invoice", "weather", "calendar", "ticket"][$0 % 4]) question \($0)" }
        let (reference, _) = try await gantry { $0.queryCacheEntries = 0 }
        var expected = [String: [String]]()
        for text in texts { expected[text] = try await reference.retrieveTools(text, limit: 3).map(\.tool.name) }
        try await withThrowingTaskGroup(of: (String, [String]).self) { group in
            for i in 0..<400 {
                let text = texts[(i * 7) % texts.count]
                group.addTask { (text, try await cached.retrieveTools(text, limit: 3).map(\.tool.name)) }
            }
            for try await (text, names) in group { #expect(names == expected[text], "\(text)") }
        }
        let statistics = cached.queryCacheStatistics
        #expect(statistics.hits + statistics.misses == 400 && statistics.entries <= 4 && statistics.bytes == statistics.entries * 32 * 4)
    }
}

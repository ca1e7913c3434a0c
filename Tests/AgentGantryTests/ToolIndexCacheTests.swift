import Foundation
import GantryAdapt
import GantryEmbed
import GantryIO
import GantryIndex
import GantryMath
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

/// The HNSW graphs kept beside a store file (`<store>.tool-index-<hex>`): opens load one instead of
/// building a graph, bring it up to date with the tools changed since it was saved, and never
/// use one made for another model or adapter, or damaged.
@Suite("Tool index cache")
struct ToolIndexCacheTests {
    /// Tools (both wordings of 0..<400) at seeded random unit vectors, so no two are alike.
    static let embedder: PrecomputedEmbedder = {
        let texts = (tools(0..<400) + tools(0..<400, wording: "resolves")).map(\.embeddingText)
        let vectors = SegmentedIndexTests.unitVectors(texts.count, dimension: 64, seed: 9).flatMap { $0 }
        return try! PrecomputedEmbedder(texts: texts, vectors: Matrix(rows: texts.count, cols: 64, values: vectors), modelIdentity: "random-64")
    }()

    /// The identity of the frozen embeddings of `embedder`.
    static let frozen = ToolIndexCache.identity(model: embedder.modelIdentity, adapter: nil)

    static func tools(_ range: Range<Int>, wording: String = "handles") -> [Tool] {
        range.map { Tool(name: "tool_\($0)", description: "\(wording) request kind \($0) for team \($0 % 7) in region \($0 % 11)") }
    }

    static func open(_ store: String?, caching: Bool = true) async throws -> AgentGantry {
        var configuration = GantryConfiguration(storePath: store)
        configuration.flatIndexLimit = 50  // HNSW from 51 tools
        configuration.followInterval = nil
        configuration.cachesToolIndex = caching
        return try await AgentGantry(configuration: configuration, embedder: embedder)
    }

    /// `gantry`'s index holds exactly the live tools, at the vectors an index built from the
    /// catalogue holds, and finds each of them first for its own vector.
    static func expectServes(_ gantry: AgentGantry, store: String?, live: [Tool], removed: [String]) async throws {
        let reference = try await open(store, caching: false)
        if store == nil { try await reference.register(live) }
        let (index, built) = (await gantry.index, await reference.index)
        let graph = try #require(index.graph)
        #expect(Set(graph.ids) == Set(live.map { VectorID.name($0.name) }))
        for tool in live {
            let vector = try #require(index.vector(of: tool.name))
            let expected = try #require(built.vector(of: tool.name))
            #expect(zip(vector, expected).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(tool.name)'s vector")
            #expect(try index.nearest(to: vector) == .name(tool.name))
        }
        for name in removed { #expect(index.vector(of: name) == nil) }
        #expect(!(try await gantry.retrieveTools(live[0].embeddingText, limit: 10)).contains { removed.contains($0.tool.name) })
    }

    @Test func reopensLoadTheGraphAndInsertOnlyWhatChanged() async throws {
        let store = temporaryStore()
        let cache = ToolIndexCache(store: store)
        let first = try await Self.open(store)
        try await first.register(Self.tools(0..<300))
        #expect(await first.indexOrigin == .built)
        await first.indexSave?.value
        #expect(cache.graphFiles() == [cache.path(for: Self.frozen)])

        let second = try await Self.open(store)
        #expect(await second.indexOrigin == .loaded(changes: 0))
        try await Self.expectServes(second, store: store, live: Self.tools(0..<300), removed: [])
        // Changed by another process after the file was saved: 10 removed, 5 added, 5 reworded.
        for i in 0..<10 { try await second.remove("tool_\(i)") }
        try await second.register(Self.tools(300..<305) + Self.tools(100..<105, wording: "resolves"))

        let third = try await Self.open(store)
        #expect(await third.indexOrigin == .loaded(changes: 20))
        let live = Self.tools(10..<100) + Self.tools(100..<105, wording: "resolves") + Self.tools(105..<305)
        try await Self.expectServes(third, store: store, live: live, removed: (0..<10).map { "tool_\($0)" })
        await third.indexSave?.value
        let fourth = try await Self.open(store)
        #expect(await fourth.indexOrigin == .loaded(changes: 0), "the reconciled graph was saved")
        try await Self.expectServes(fourth, store: store, live: live, removed: (0..<10).map { "tool_\($0)" })
    }

    /// A graph saved for a catalogue mostly unlike this one (another store that was at this
    /// path) is not reconciled tool by tool: the open builds.
    @Test func aGraphOfAnotherCatalogueIsBuiltAgain() async throws {
        let store = temporaryStore()
        let first = try await Self.open(store)
        try await first.register(Self.tools(0..<300))
        await first.indexSave?.value
        let bytes = try BinaryFile.read(ToolIndexCache(store: store).path(for: Self.frozen))
        let other = temporaryStore()
        let second = try await Self.open(other)
        try await second.register(Self.tools(300..<400))
        await second.indexSave?.value
        try BinaryFile.writeAtomically(bytes, to: ToolIndexCache(store: other).path(for: Self.frozen))  // the first store's graph
        let reopened = try await Self.open(other)
        #expect(await reopened.indexOrigin == .built)
        try await Self.expectServes(reopened, store: other, live: Self.tools(300..<400), removed: (0..<300).map { "tool_\($0)" })
    }

    @Test func aDamagedFileOrOneOfAnotherAdapterIsBuiltAgain() async throws {
        let store = temporaryStore()
        let cache = ToolIndexCache(store: store)
        let first = try await Self.open(store)
        try await first.register(Self.tools(0..<120))
        await first.indexSave?.value

        // One byte flipped in the payload: the checksum refuses it, the open builds and replaces it.
        let frozen = Self.frozen
        var bytes = try BinaryFile.read(cache.path(for: frozen))
        bytes[bytes.count / 2] ^= 0x40
        try BinaryFile.writeAtomically(bytes, to: cache.path(for: frozen))
        let second = try await Self.open(store)
        #expect(await second.indexOrigin == .built)
        try await Self.expectServes(second, store: store, live: Self.tools(0..<120), removed: [])
        await second.indexSave?.value
        #expect(try await Self.open(store).indexOrigin == .loaded(changes: 0))

        // The same graph saved as another adapter's, in the frozen graph's file (as a checksum of
        // two identities that collide would put it): not used.
        let graph = try #require(await second.index.graph)
        let other = ToolIndexCache.identity(model: Self.embedder.modelIdentity, adapter: try LowRankAdapter.identity(dimension: 64, rank: 4))
        await cache.saveInBackground(graph, identity: other)?.value
        try BinaryFile.writeAtomically(BinaryFile.read(cache.path(for: other)), to: cache.path(for: frozen))
        #expect(try await Self.open(store).indexOrigin == .built)
    }

    /// Each identity has its file, the newest `kept` stay: a withdrawal back to the frozen
    /// embeddings loads their graph instead of building it, and older files go.
    @Test func aWithdrawalLoadsTheGraphItGoesBackTo() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path) {
            $0.flatIndexLimit = 4  // the support-desk catalogue's 9 tools in an HNSW graph
            $0.followInterval = nil
            $0.training.rank = 8
            $0.training.epochs = 15
        }
        await gantry.indexSave?.value
        let cache = ToolIndexCache(store: path)
        let frozen = ToolIndexCache.identity(model: try sharedEncoder.get().modelIdentity, adapter: nil)
        #expect(cache.graphFiles() == [cache.path(for: frozen)])
        for (query, wrong, right) in AgentGantryTrainingTests.corrections {
            try await gantry.recordFeedback(query: query, selectedTool: wrong, correctTool: right, context: RoutingContext(user: "ada"))
        }
        let summary = try await gantry.train()
        try #require(summary.applied, "\(summary.reason ?? "")")
        #expect(cache.graphFiles().count == 2, "the trained adapter's graph beside the frozen one")
        #expect(try await gantry.forget(user: "ada") > 0)
        #expect(await gantry.servedAdapterVersion == nil)
        #expect(await gantry.indexOrigin == .loaded(changes: 0))
        #expect(cache.graphFiles().first == cache.path(for: frozen), "the graph used last is the newest")

        // Saving more graphs than `kept` deletes the oldest.
        let graph = try #require(await gantry.index.graph)
        for rank in 1...ToolIndexCache.kept {
            let adapter = try LowRankAdapter.identity(dimension: graph.dimension, rank: rank)
            cache.save(graph, identity: ToolIndexCache.identity(model: "another model", adapter: adapter))
        }
        #expect(cache.graphFiles().count == ToolIndexCache.kept)
        #expect(!cache.graphFiles().contains(cache.path(for: frozen)))
    }

    /// A trainer saves the graph of its new adapter before publishing the version, so a process
    /// that follows the store swaps to it by loading the graph, not by building one.
    @Test func followersLoadTheGraphOfATrainedAdapter() async throws {
        let path = temporaryStore()
        let settings: (inout GantryConfiguration) -> Void = {
            $0.flatIndexLimit = 4  // the support-desk catalogue's 9 tools in an HNSW graph
            $0.followInterval = nil
            $0.training.rank = 8
            $0.training.epochs = 15
        }
        let trainer = try await makeGantry(store: path, settings)
        let follower = try await makeGantry(store: path, settings)
        for (query, wrong, right) in AgentGantryTrainingTests.corrections {
            try await trainer.recordFeedback(query: query, selectedTool: wrong, correctTool: right)
        }
        let summary = try await trainer.train()
        try #require(summary.applied, "\(summary.reason ?? "")")
        #expect(await trainer.indexOrigin == .built)
        try await follower.followStore()
        #expect(await follower.servedAdapterVersion == summary.adapterVersion)
        #expect(await follower.indexOrigin == .loaded(changes: 0))
        let probe = "stop paying for the plan"
        #expect(names(try await follower.retrieveTools(probe, limit: 5)) == names(try await trainer.retrieveTools(probe, limit: 5)))
    }

    /// A read-only store (a replica on a read-only mount) loads the graph saved beside it, and
    /// one without a graph builds it and writes nothing.
    @Test func readOnlyStoresLoadTheGraphAndWriteNone() async throws {
        let (store, bare) = (temporaryStore(), temporaryStore())
        for path in [store, bare] {
            let gantry = try await Self.open(path)
            try await gantry.register(Self.tools(0..<120))
            await gantry.indexSave?.value
        }
        try FileManager.default.removeItem(atPath: ToolIndexCache(store: bare).path(for: Self.frozen))
        for path in [store, bare] {
            let undo = try StoreOpeningTests.makeReadOnly(path)
            defer { undo() }
            let gantry = try await Self.open(path)
            #expect(await gantry.indexOrigin == (path == store ? .loaded(changes: 0) : .built))
            #expect(await gantry.indexSave == nil)
            try await Self.expectServes(gantry, store: path, live: Self.tools(0..<120), removed: [])
        }
        #expect(ToolIndexCache(store: bare).graphFiles().isEmpty)
    }

    @Test func identitiesNameTheModelAndTheAdapterWeights() throws {
        let adapter = try LowRankAdapter.identity(dimension: 64, rank: 4)
        var trained = adapter
        var up = adapter.up.values
        up[3] = 0.25
        trained.up = try Matrix(rows: adapter.up.rows, cols: adapter.up.cols, values: up)
        var offset = adapter
        offset.toolOffsets = ["tool_1": [Float](repeating: 0.01, count: 64)]
        let identities = [ToolIndexCache.identity(model: "m", adapter: nil), ToolIndexCache.identity(model: "n", adapter: nil),
                          ToolIndexCache.identity(model: "m", adapter: adapter), ToolIndexCache.identity(model: "m", adapter: trained),
                          ToolIndexCache.identity(model: "m", adapter: offset)]
        #expect(Set(identities).count == identities.count, "\(identities)")
        #expect(ToolIndexCache.identity(model: "m", adapter: trained) == ToolIndexCache.identity(model: "m", adapter: trained))
    }

    @Test func storesWithoutAFileKeepNoCache() async throws {
        let gantry = try await Self.open(nil)
        try await gantry.register(Self.tools(0..<80))
        #expect(await gantry.indexCache == nil)
        #expect(await gantry.indexSave == nil)
        try await Self.expectServes(gantry, store: nil, live: Self.tools(0..<80), removed: [])
    }
}

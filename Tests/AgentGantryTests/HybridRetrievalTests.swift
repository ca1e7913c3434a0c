import Foundation
import GantryAdapt
import GantryEmbed
import GantryIndex
import GantryMath
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

/// The facade's hybrid first stage (`Ranker`): the dense and lexical indexes' best tools, each
/// with its exact score on both sides, fused by the served lexical weight.
@Suite("Hybrid retrieval")
struct HybridRetrievalTests {
    /// An embedder whose vectors say nothing about the text: a seeded Gaussian vector per text
    /// (from its FNV-1a hash), so that only the words can find a tool.
    struct OpaqueEmbedder: Embedder {
        var dimension: Int { 16 }
        var modelIdentity: String { "opaque-16" }

        func embed(_ texts: [String]) throws -> Matrix {
            try Matrix(rows: texts.count, cols: dimension, values: texts.flatMap { text in
                var rng = SplitMix64(seed: text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 })
                return (0..<dimension).map { _ in rng.nextGaussian() }
            })
        }
    }

    static let words = ["otter", "falcon", "badger", "heron", "lynx", "marmot", "osprey", "walrus", "bison", "ferret",
                        "gecko", "ibis", "jackal", "koala", "lemur", "magpie", "narwhal", "ocelot", "pelican", "quail",
                        "raven", "sloth", "tapir", "urchin", "vole", "wombat", "yak", "zebra", "alpaca", "beaver",
                        "condor", "dingo", "egret", "finch", "gibbon", "hyena", "impala", "jaguar", "kestrel", "llama"]

    /// One tool per word, the first half in namespace `a`, the rest in `b`.
    static let tools = words.enumerated().map { i, word in
        Tool(name: "service_\(i)", description: "Handles \(word) requests.", namespace: i < words.count / 2 ? "a" : "b")
    }

    func opaqueGantry(lexicalWeight: Float?) async throws -> AgentGantry {
        var configuration = GantryConfiguration(storePath: nil)
        configuration.lexicalWeight = lexicalWeight
        let gantry = try await AgentGantry(configuration: configuration, embedder: OpaqueEmbedder())
        try await gantry.register(Self.tools)
        return gantry
    }

    /// With embeddings that carry no meaning, lexical weight 1 finds every tool by its word —
    /// also the many outside the dense index's candidate pool, since candidates are the union of
    /// both indexes' best — and its cosine is still the exact one; weight 0 is dense retrieval
    /// exactly (no lexical scores, the retrieval signal is the cosine, the order the cosine's) and
    /// mostly wrong here; the default serves the prior.
    @Test func theWordsFindWhatTheEmbeddingCannot() async throws {
        let lexical = try await opaqueGantry(lexicalWeight: 1)
        let embedder = OpaqueEmbedder()
        for (i, word) in Self.words.enumerated() {
            let query = "\(word) please"
            let first = try #require(try await lexical.retrieveTools(query, limit: 5).first)
            #expect(first.tool.name == "service_\(i)" && first.breakdown[.lexical] > 0, "\(query): \(first.tool.name)")
            var q = Array(try embedder.embed([query]).row(0)), t = Array(try embedder.embed([Self.tools[i].embeddingText]).row(0))
            try SIMDKernels.normalize(&q)
            try SIMDKernels.normalize(&t)
            #expect(abs(first.breakdown[.semantic] - Double(try SIMDKernels.dot(q, t))) < 1e-5, "the exact cosine")
        }
        // A query none of whose words match any tool is ranked by the cosine alone, even at weight 1.
        let unmatched = try await lexical.retrieveTools("zyzzyva quokka", limit: 5)
        #expect(!unmatched.isEmpty && unmatched.allSatisfy { $0.breakdown[.lexical] == 0 && $0.breakdown[.retrieval] == $0.breakdown[.semantic] })
        #expect(unmatched.map(\.breakdown[.semantic]) == unmatched.map(\.breakdown[.semantic]).sorted(by: >))
        let dense = try await opaqueGantry(lexicalWeight: 0)
        var denseHits = 0
        for (i, word) in Self.words.enumerated() {
            let matches = try await dense.retrieveTools("\(word) please", limit: 5)
            #expect(matches.allSatisfy { $0.breakdown[.lexical] == 0 && $0.breakdown[.retrieval] == $0.breakdown[.semantic] })
            #expect(matches.map(\.breakdown[.semantic]) == matches.map(\.breakdown[.semantic]).sorted(by: >))
            if matches.first?.tool.name == "service_\(i)" { denseHits += 1 }
        }
        #expect(denseHits <= Self.words.count / 4, "\(denseHits) of \(Self.words.count) found by meaningless vectors")
        #expect(try await opaqueGantry(lexicalWeight: nil).published.current.lexicalWeight == ScoreFusion.priorWeight)
    }

    /// The fused score stays on the cosine's range without ties: itself up to ±0.9, squashed
    /// beyond, in order (strong lexical matches in a large catalogue stand many deviations up).
    @Test func theRetrievalSignalKeepsTheOrderWithinTheCosinesRange() {
        let inputs: [Double] = [-50, -3, -1, -0.95, -0.9, -0.5, 0, 0.3, 0.9, 0.91, 1, 1.5, 3, 10, 100, 1e6]
        let mapped = inputs.map { FirstStage.withinCosineRange($0) }
        #expect(zip(mapped, mapped.dropFirst()).allSatisfy { $0 < $1 }, "\(mapped)")
        #expect(mapped.allSatisfy { abs($0) < 1 })
        for x in [-0.9, -0.5, 0, 0.3, 0.9] { #expect(FirstStage.withinCosineRange(x) == x) }
        #expect(FirstStage.withinCosineRange(.nan) == 0 && FirstStage.withinCosineRange(.infinity) == 1)
    }

    /// Lexical candidates pass the same filters as dense ones: a tool of another namespace never
    /// comes back, however well its words match.
    @Test func lexicalCandidatesAreFiltered() async throws {
        let gantry = try await opaqueGantry(lexicalWeight: 1)
        let matches = try await gantry.retrieveTools("\(Self.words.last!) please", limit: 5, context: RoutingContext(namespace: "a"))
        #expect(!matches.isEmpty && matches.allSatisfy { $0.tool.namespace == "a" && $0.breakdown[.lexical] == 0 })
    }

    /// The lexical index follows the catalogue: a removal, a registration with new words and
    /// another process's changes (read back with `followStore()`), with the real encoder.
    @Test func theLexicalIndexFollowsTheCatalogueAcrossProcesses() async throws {
        let path = temporaryStore()
        let gantry = try await makeGantry(store: path)
        func lexical(_ query: String, _ tool: String, in gantry: AgentGantry) async throws -> Double? {
            try await gantry.retrieveTools(query, limit: 10).first { $0.tool.name == tool }?.breakdown[.lexical]
        }
        try await gantry.register(Tool(name: "sync_kx9_cluster", description: "Synchronise a cluster."))
        #expect(try await lexical("kx9", "sync_kx9_cluster", in: gantry) ?? 0 > 0)

        let other = try await makeGantry(store: path)
        try await other.remove("sync_kx9_cluster")
        try await gantry.followStore()
        #expect(try await gantry.retrieveTools("kx9", limit: 10).allSatisfy { $0.tool.name != "sync_kx9_cluster" && $0.breakdown[.lexical] == 0 })

        try await other.register(Tool(name: "sync_kx9_cluster", description: "Rebuild the quorum shard."))
        try await gantry.followStore()
        #expect(try await lexical("quorum shard", "sync_kx9_cluster", in: gantry) ?? 0 > 0)
        #expect(try await lexical("synchronise", "sync_kx9_cluster", in: gantry) ?? 0 == 0, "the old description's words are gone")

        try await gantry.register(Tool(name: "sync_kx9_cluster", description: "Compact the ledger."))
        #expect(try await lexical("quorum", "sync_kx9_cluster", in: gantry) ?? 0 == 0)
        #expect(try await lexical("ledger", "sync_kx9_cluster", in: gantry) ?? 0 > 0)
    }

    /// Every match carries its own scores while the indexes' slots move under it: removals
    /// shift a flat index's rows and leave tombstones in a graph and in the lexical index, and
    /// re-registrations move tools to new slots; after each change each match's BM25F score
    /// equals a lexical index built afresh from the tools left, and its cosine the exact one (the
    /// first stage meets the two indexes by slot: `SlotLinks`).
    @Test(arguments: [false, true])
    func scoresStayEachToolsOwnAsSlotsMove(hnsw: Bool) async throws {
        var configuration = GantryConfiguration(storePath: nil)
        configuration.lexicalWeight = 0.5
        configuration.flatIndexLimit = hnsw ? 0 : 10_000
        let gantry = try await AgentGantry(configuration: configuration, embedder: OpaqueEmbedder())
        var tools = Self.tools
        try await gantry.register(tools)
        #expect(await gantry.published.current.index.isHNSW == hnsw)
        let embedder = OpaqueEmbedder()
        func expectOwnScores(_ round: String) async throws {
            var reference = try LexicalIndex(fields: [LexicalField(name: "text")])
            for tool in tools { try reference.add([tool.lexicalText], id: .name(tool.name)) }
            for word in Self.words {
                let query = "\(word) requests please", bm25 = Dictionary(uniqueKeysWithValues: zip(reference.ids, reference.scores(query)))
                var q = Array(try embedder.embed([query]).row(0))
                try SIMDKernels.normalize(&q)
                let matches = try await gantry.retrieveTools(query, limit: 10)
                #expect(matches.contains { $0.breakdown[.lexical] > 0 }, "\(round) \(query): no lexical match")
                for match in matches {
                    var t = Array(try embedder.embed([match.tool.embeddingText]).row(0))
                    try SIMDKernels.normalize(&t)
                    let want = Double(bm25[.name(match.tool.name)] ?? -1)
                    #expect(abs(match.breakdown[.lexical] - want) <= 1e-4 * max(1, want), "\(round) \(query): \(match.tool.name) BM25F")
                    #expect(abs(match.breakdown[.semantic] - Double(try SIMDKernels.dot(q, t))) < 1e-5, "\(round) \(query): \(match.tool.name) cosine")
                }
            }
        }
        try await expectOwnScores("registered")
        for i in stride(from: 0, to: tools.count, by: 3).reversed() {
            try await gantry.remove(tools[i].name)
            tools.remove(at: i)
        }
        try await expectOwnScores("after removals")
        for i in stride(from: 0, to: tools.count, by: 4) {
            tools[i].description += " Also \(Self.words[(i * 7) % Self.words.count]) audits."  // new text: new slots on both sides
        }
        try await gantry.register(tools)
        try await expectOwnScores("after re-registrations")
    }

    /// The weight `train()` learned is read from the report stored with the adapter version (so
    /// every process serving the adapter serves it, and earlier builds read the store as before);
    /// the configuration's weight wins over it, and a report without a valid one serves the prior.
    @Test func theLearnedWeightComesWithTheAdapterVersion() async throws {
        let embedder = QuarantineTests.embedder, path = temporaryStore()
        defer { QuarantineTests.removeStore(path) }
        let file = AdapterFile.encode(try LowRankAdapter.identity(dimension: embedder.dimension, rank: 2), modelIdentity: embedder.modelIdentity)
        func served(report: String, configured: Float? = nil) async throws -> Float {
            _ = try SQLiteStore(path: path).saveAdapter(AdapterRecord(file: file, trainedAt: Date(), highestEventID: 0, trainedEvents: 20,
                                                                      report: report), feedbackCount: 0, reportCount: 0)
            var configuration = GantryConfiguration(storePath: path)
            configuration.lexicalWeight = configured
            return await (try AgentGantry(configuration: configuration, embedder: embedder)).servedLexicalWeight
        }
        #expect(try await served(report: #"{"bestEpoch": 3, "lexicalWeight": 0.35}"#) == 0.35)
        #expect(try await served(report: #"{"lexicalWeight": 0.35}"#, configured: 0) == 0)
        for report in [#"{"lexicalWeight": 1.7}"#, #"{"bestEpoch": 3}"#, "not json"] {
            #expect(try await served(report: report) == ScoreFusion.priorWeight, "\(report)")
        }
    }

    /// The lexical weight is chosen on held-out feedback by the words' hashes, so feedback kept
    /// without its text takes part: with meaningless vectors, the hashes make lexical evidence
    /// win conclusively; feedback with neither text nor hashes leaves too few requests to choose.
    @Test func theWeightIsChosenFromWordHashesWithoutText() throws {
        let embedder = OpaqueEmbedder()
        let names = Self.tools.map(\.name)
        var lexical = try LexicalIndex(fields: [LexicalField(name: "text")])
        for tool in Self.tools { try lexical.add([tool.lexicalText], id: .name(tool.name)) }
        let texts = (0..<600).map { "\(Self.words[$0 % Self.words.count]) please, request \($0)" }
        let examples = try TrainingExamples(queries: try embedder.embed(texts), positives: texts.indices.map { [$0 % Self.words.count] })
        let settings = TrainingConfiguration()
        let split = try RequestSplit(groups: RequestGroups(texts: texts, vectors: examples.queries, nearDuplicateCosine: settings.nearDuplicateCosine),
                                     configuration: settings, holdingOutGate: true)
        let adapter = try LowRankAdapter.identity(dimension: embedder.dimension, rank: 2)
        func choice(_ terms: [[UInt64]?]) throws -> FusionWeightSelection.Outcome {
            try LexicalWeightChoice.choose(adapter: adapter, tools: try embedder.embed(Self.tools.map(\.embeddingText)), names: names,
                                           lexical: lexical, examples: examples, queryTerms: terms, split: split, configuration: settings)
        }
        let hashed = try choice(texts.map(ToolTokenizer.termHashes))
        #expect(hashed.weight > ScoreFusion.priorWeight && hashed.reason.contains("beat the prior"), "\(hashed.reason)")
        let none = try choice(texts.map { _ in nil })
        #expect(none.weight == ScoreFusion.priorWeight && none.reason.hasPrefix("0 distinct held-out requests"), "\(none.reason)")
    }

    /// A weight for the lexical signal itself is refused (its scale is unbounded); the lexical
    /// weight must be within 0...1.
    @Test func badLexicalSettingsAreRefused() async throws {
        for change: (inout GantryConfiguration) -> Void in [{ $0.weights[.lexical] = 0.1 }, { $0.lexicalWeight = 1.5 }, { $0.lexicalWeight = .nan }] {
            var configuration = GantryConfiguration(storePath: nil)
            change(&configuration)
            #expect(throws: GantryError.self) { try configuration.validate() }
        }
    }
}

import Foundation
@_spi(StoreImplementation) @testable import AgentGantry
import GantryAdapt
import GantryEmbed
import GantryMath
import Testing

/// An embedder whose vectors are valid but of extreme magnitude: a direction fixed by the text
/// (seeded by its bytes), times `magnitude`. `.subnormal` draws every component among the
/// subnormal floats (1…4096 × 2⁻¹⁴⁹, about 1.4e-45 to 5.7e-42).
struct ScaledEmbedder: Embedder {
    enum Magnitude: String, CaseIterable, Sendable { case subnormal, tiny, huge }

    let magnitude: Magnitude
    let dimension = 16
    var modelIdentity: String { "scaled-\(magnitude.rawValue)" }

    func embed(_ texts: [String]) throws -> Matrix {
        var matrix = Matrix(rows: texts.count, cols: dimension)
        for (row, text) in texts.enumerated() {
            var rng = SplitMix64(seed: text.utf8.reduce(14_695_981_039_346_656_037) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 })
            for c in 0..<dimension {
                let sign: Float = rng.next() % 2 == 0 ? 1 : -1
                switch magnitude {
                case .subnormal: matrix[row, c] = sign * Float(bitPattern: UInt32(1 + rng.next() % 4096))
                case .tiny: matrix[row, c] = rng.nextGaussian() * 1e-30
                case .huge: matrix[row, c] = rng.nextGaussian() * 1e30
                }
            }
        }
        return matrix
    }
}

@Suite("Extreme embedding magnitudes")
struct ExtremeMagnitudeTests {
    /// Vectors whose sum of squares underflows to zero (tiny, subnormal) or overflows to infinity
    /// (huge) are accepted and scored like any other: finite scores, as many matches as asked,
    /// and a query identical to a tool's text finds that tool with cosine 1.
    @Test(arguments: ScaledEmbedder.Magnitude.allCases)
    func tinyAndHugeEmbeddingsGiveFiniteScores(_ magnitude: ScaledEmbedder.Magnitude) async throws {
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: nil),
                                           embedder: ScaledEmbedder(magnitude: magnitude))
        let tools = Array(catalog.filter { !$0.deprecated }.prefix(8))
        #expect(tools.count == 8)
        try await gantry.register(tools)
        let matches = try await gantry.retrieveTools("cancel my plan", limit: 5)
        #expect(matches.count == 5)
        for match in matches {
            #expect(match.score.isFinite, "\(match.tool.name): score \(match.score)")
            #expect(match.breakdown[.semantic].isFinite && abs(match.breakdown[.semantic]) <= 1 + 1e-5,
                    "\(match.tool.name): semantic \(match.breakdown[.semantic])")
        }
        let target = tools[3]
        let exact = try await gantry.retrieveTools(target.embeddingText, limit: 5)
        #expect(exact.count == 5)
        let hit = try #require(exact.first { $0.tool.name == target.name })
        #expect(abs(hit.breakdown[.semantic] - 1) < 1e-5, "semantic \(hit.breakdown[.semantic])")
    }

    /// A truly all-zero embedding has no direction: refused with an error naming it.
    @Test func allZeroEmbeddingsAreRefused() async throws {
        struct ZeroEmbedder: Embedder {
            let dimension = 16
            let modelIdentity = "zero"
            func embed(_ texts: [String]) throws -> Matrix { Matrix(rows: texts.count, cols: dimension) }
        }
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: nil), embedder: ZeroEmbedder())
        await #expect(throws: GantryError.self) { try await gantry.register(catalog[0]) }
        #expect(await gantry.tools.isEmpty)
    }

    /// The largest finite vectors with an adapter served: the adapter sees unit vectors (tools
    /// are kept normalized), so the tool registers with finite scores, and nothing a failed
    /// registration could leave behind keeps the store from opening. Found by an outside probe:
    /// the adapter, fed the raw vector, overflowed after the tool was stored.
    @Test func theLargestFiniteVectorsRegisterWithAnAdapterServed() async throws {
        struct LargestEmbedder: Embedder {
            let dimension = 16
            let modelIdentity = "largest"
            func embed(_ texts: [String]) throws -> Matrix {
                var matrix = try ScaledEmbedder(magnitude: .tiny).embed(texts)
                for (row, text) in texts.enumerated() where text.hasPrefix("huge") {
                    for c in 0..<dimension { matrix[row, c] = c % 2 == 0 ? .greatestFiniteMagnitude : -.greatestFiniteMagnitude }
                }
                return matrix
            }
        }
        let path = temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do {
            let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: LargestEmbedder())
            try await gantry.register(Array(catalog.prefix(6)))
        }
        let adapter = try LowRankAdapter.identity(dimension: 16, rank: 4)
        _ = try SQLiteStore(path: path).saveAdapter(
            AdapterRecord(file: AdapterFile.encode(adapter, modelIdentity: "largest"), trainedAt: Date(), highestEventID: 0,
                          trainedEvents: 20, report: "{}"), feedbackCount: 0, reportCount: 0)
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: LargestEmbedder())
        #expect(await gantry.adapterVersion == 1)
        try await gantry.register(Tool(name: "huge", description: "the largest vector"))
        let matches = try await gantry.retrieveTools("huge: the largest vector", limit: 3)
        #expect(matches.first?.tool.name == "huge" && matches.allSatisfy { $0.score.isFinite })
        let reopened = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: LargestEmbedder())
        #expect(await reopened.tools.count == 7)
    }

    /// Imported query vectors may have any finite scale (±Float.max here): training uses their
    /// directions, as the feedback memory does, and does not fail on them.
    @Test func trainingTakesImportedVectorsOfAnyScale() async throws {
        let embedder = StoreCompatibilityTests.TextHashEmbedder()
        var configuration = GantryConfiguration(storePath: nil)
        configuration.training.rank = 4
        let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
        let tools = (0..<4).map { Tool(name: "tool_\($0)", description: "Tool number \($0).") }
        try await gantry.register(tools)
        var lines = [String]()
        for i in 0..<48 {  // 48 distinct requests: enough to train and hold some out
            var vector = Array(try embedder.embed(["request \(i)"]).row(0))
            if i % 3 == 0 { vector = vector.map { $0 >= 0 ? Float.greatestFiniteMagnitude : -Float.greatestFiniteMagnitude } }
            lines.append(#"{"kind":"feedback","at":1790000000,"correct_tool":"tool_\#(i % 4)","feedback_type":"tool_selection_error","# +
                         #""query_vector":[\#(vector.map { "\($0)" }.joined(separator: ","))]}"#)
        }
        #expect(try await gantry.importEvents(lines.joined(separator: "\n")) == 48)
        let summary = try await gantry.train()
        #expect(summary.events == 48 && summary.report != nil, "\(summary.reason ?? "")")
    }
}

import Foundation
import AgentGantry
import GantryEval
import GantryAdapt
import GantryEmbed
import GantryMath
import Testing

/// Replay on a synthetic dataset with a systematic confusion: the queries of tool i lie closer to
/// tool i+1, so static routing is mostly wrong, and corrections generalise to similar queries.
@Test func replayLearnsFromItsMistakes() async throws {
    let (toolCount, d, perTool) = (8, 16, 40)
    var rng = SplitMix64(seed: 12)
    var toolVectors = Matrix.randomNormal(rows: toolCount, cols: d, using: &rng)
    try toolVectors.normalizeRows()
    var tools = [RetrievalDataset.Tool](), queries = [RetrievalDataset.Query](), rows = [[Float]]()
    for t in 0..<toolCount { tools.append(.init(id: "tool_\(t)", name: "tool_\(t)", description: "does \(t)")) }
    for t in 0..<toolCount {
        let next = (t + 1) % toolCount
        for i in 0..<perTool {
            var x = (0..<d).map { 0.45 * toolVectors[t, $0] + 0.55 * toolVectors[next, $0] + 0.12 * rng.nextGaussian() }
            let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            x = x.map { $0 / norm }
            rows.append(x)
            queries.append(.init(id: "q\(t)_\(i)", text: "query \(i) for tool \(t)", tools: [t], split: i % 4 == 0 ? .test : .train))
        }
    }
    let dataset = try RetrievalDataset(name: "synthetic", tools: tools, queries: queries, toolVectors: toolVectors,
                                       queryVectors: try Matrix(rowArrays: rows))
    let texts = tools.map { "\($0.name): \($0.description)" } + queries.map(\.text)
    let embedder = try PrecomputedEmbedder(texts: texts, vectors: Matrix(rowArrays: (0..<toolCount).map { Array(toolVectors.row($0)) } + rows),
                                           modelIdentity: "synthetic")
    var configuration = GantryConfiguration(storePath: nil)
    configuration.training.rank = 4
    configuration.training.epochs = 10
    let result = try await Replay.run(dataset: dataset, configuration: configuration, embedder: embedder, seed: 1, curveBlock: 40)
    #expect(result.events == 240 && result.learningCurve.count == 6)
    #expect(result.staticRouting.top1 < 0.5, "static \(result.staticRouting.top1)")
    #expect(result.feedbackMemory.top1 > result.staticRouting.top1 + 0.3, "memory \(result.feedbackMemory.top1)")
    #expect(result.learningCurve.last! > result.learningCurve.first!)
    #expect(result.afterTraining.top1 >= result.staticRouting.top1)
}

import Foundation
import AgentGantry
import GantryEval
import GantryAdapt
import GantryEmbed
import GantryMath
import Testing

/// Replay on a synthetic dataset with a systematic confusion: the queries of tool i lie closer to
/// tool i+1, so static routing is mostly wrong, and corrections generalise to similar queries.
/// The synthetic dataset of `replayLearnsFromItsMistakes` and an embedder of its texts.
func confusedDataset() throws -> (dataset: RetrievalDataset, embedder: PrecomputedEmbedder) {
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
    return (dataset, embedder)
}

@Test func replayLearnsFromItsMistakes() async throws {
    let (dataset, embedder) = try confusedDataset()
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

/// The simulated agents report by retrieval id: every selection and outcome is linked to a
/// record of its retrieval, the implicit agent corrects nothing and the explicit one every call
/// that did not work, and wrong tools reported as such leave every breaker closed.
@Test(arguments: SimulatedAgent.Mode.allCases)
func simulatedAgentsReportByRetrieval(_ mode: SimulatedAgent.Mode) async throws {
    let (dataset, embedder) = try confusedDataset()
    let gantry = try await dataset.gantry(configuration: GantryConfiguration(storePath: nil), embedder: embedder)
    let requests = dataset.indices(of: .train).map { ReplayRequest(dataset, query: $0) }
    let trace = try await Replay.replay(requests, into: gantry, limit: 10, agent: SimulatedAgent(mode: mode), seed: 3)
    let counts = try #require(trace.agent)
    #expect(counts.selections >= requests.count)
    #expect(counts.failures >= 5, "the confused dataset's first results are mostly wrong: \(counts)")
    switch mode {
    case .implicit: #expect(counts.corrections == 0)
    case .mixed: #expect(counts.corrections > 0 && counts.corrections < counts.failures / 3)
    case .explicit: #expect(counts.corrections == counts.failures)
    }
    let exported = try await gantry.exportEvents(includingRetrievals: true)
    let lines = exported.split(separator: "\n")
    #expect(lines.count(where: { $0.contains(#""kind":"retrieval""#) }) == requests.count)
    #expect(lines.count(where: { $0.contains(#""signal":"selection""#) }) == counts.selections)
    for tool in dataset.tools { #expect(try await gantry.breakerState(of: tool.id) == .closed) }
}

/// The implicit agent corrects nothing, yet `train()` learns from its selections and outcomes
/// alone, during the replay (`trainEvery`) and after it.
@Test func anImplicitAgentTeachesTrainingWithoutACorrection() async throws {
    let (dataset, embedder) = try confusedDataset()
    var configuration = GantryConfiguration(storePath: nil)
    configuration.training.rank = 4
    configuration.training.epochs = 30
    configuration.training.learningRate = 1e-2  // a few hundred examples: one step an epoch
    let result = try await Replay.run(dataset: dataset, configuration: configuration, embedder: embedder, seed: 1, curveBlock: 40,
                                      agent: SimulatedAgent(mode: .implicit), trainEvery: 80)
    #expect(result.agentCounts?.corrections == 0 && result.reportedRetrievals > 200, "\(result.reportedRetrievals) reported, static \(result.staticRouting.top1), memory \(result.feedbackMemory.top1), trained \(result.afterTraining.top1), curve \(result.learningCurve)")
    #expect(result.appliedTrainings >= 1 || result.trainingApplied, "\(result.trainingReason ?? "")")
    #expect(result.afterTraining.top1 > result.staticRouting.top1 + 0.2 && result.afterTraining.top1 > result.feedbackMemory.top1 - 0.01,
            "static \(result.staticRouting.top1), after training \(result.afterTraining.top1)")
}

/// `--unseen-tools`: a fifth of the tools exists only after the replay; their queries are left
/// out of it and measured apart, the test split holding the rest.
@Test func toolsRegisteredAfterTheReplayAreMeasuredApart() async throws {
    let (dataset, embedder) = try confusedDataset()
    var configuration = GantryConfiguration(storePath: nil)
    configuration.training.rank = 4
    configuration.training.epochs = 10
    let result = try await Replay.run(dataset: dataset, configuration: configuration, embedder: embedder, seed: 1, curveBlock: 40, unseenTools: true)
    let unseen = try #require(result.unseenTools)
    #expect(unseen.heldOutTools == 2 && unseen.frozen.metrics.queries == 80 && unseen.afterReplay.metrics.queries == 80
            && unseen.afterTraining.metrics.queries == 80)
    #expect(result.events == 180 && result.staticRouting.metrics.queries == 60)
    // Routed at all: the held-out tools were registered before the measurement.
    #expect(unseen.afterTraining.metrics.recallAt10 > 0.9, "\(unseen.afterTraining.metrics)")
}

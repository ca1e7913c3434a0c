import Foundation
import GantryAdapt
import GantryEmbed
import GantryMath

/// Evaluation by replay: a dataset's training queries arrive in a seeded order, as a live system
/// would see them; each is routed, its top-1 compared with the label, and a mistake recorded as
/// feedback. The test split is then measured three ways: static routing (frozen embeddings, fixed
/// weights, nothing learned), with the feedback memory the replay built, and after `train()`.
public enum Replay {
    public struct Measurement: Sendable, Codable {
        /// Share of test queries whose first result is a correct tool.
        public var top1: Double
        public var metrics: RetrievalMetrics
    }

    public struct Result: Sendable, Codable {
        public var dataset: String
        public var events: Int
        public var mistakesRecorded: Int
        /// Top-1 accuracy of each block of `curveBlock` replayed queries, in order.
        public var learningCurve: [Double]
        public var curveBlock: Int
        public var staticRouting: Measurement
        public var feedbackMemory: Measurement
        public var afterTraining: Measurement
        public var trainingApplied: Bool
        public var trainingReason: String?
        public var seconds: Double
    }

    /// Replays `dataset` through a fresh in-memory `AgentGantry` with `configuration`'s weights.
    /// `embedder` must embed the dataset's texts (e.g. a `PrecomputedEmbedder` over its `.npy`
    /// files with the encoder as fallback).
    public static func run(dataset: RetrievalDataset, configuration base: GantryConfiguration, embedder: any Embedder,
                           seed: UInt64 = 0, curveBlock: Int = 100,
                           progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(GantryError) -> Result {
        let started = Date()
        var configuration = base
        configuration.storePath = nil
        let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
        let tools = dataset.tools.map(Tool.init(datasetTool:))
        try await gantry.register(tools)
        let names = dataset.tools.map(\.id)
        let test = dataset.indices(of: .test)

        var staticConfiguration = configuration
        staticConfiguration.weights = .staticFormula
        let staticGantry = try await AgentGantry(configuration: staticConfiguration, embedder: embedder)
        try await staticGantry.register(tools)
        let staticRouting = try await measure(staticGantry, dataset, test, names)

        var order = dataset.indices(of: .train)
        var rng = SplitMix64(seed: seed)
        order.shuffle(using: &rng)
        var curve = [Double](), hits = 0, inBlock = 0, mistakes = 0
        for (done, index) in order.enumerated() {
            let query = dataset.queries[index]
            let matches = try await gantry.retrieveTools(query.text, limit: 10)
            let correct = Set(query.tools.map { names[$0] })
            if let top = matches.first?.tool.name, correct.contains(top) {
                hits += 1
            } else {
                mistakes += 1
                try await gantry.recordFeedback(query: query.text, selectedTool: matches.first?.tool.name,
                                                correctTool: names[query.tools[0]])
            }
            inBlock += 1
            if inBlock == curveBlock {
                curve.append(Double(hits) / Double(inBlock))
                (hits, inBlock) = (0, 0)
            }
            if done % 500 == 499 { progress?(done + 1, order.count) }
        }
        progress?(order.count, order.count)
        let memoryOnly = try await measure(gantry, dataset, test, names)
        let summary = try await gantry.train()
        let trained = try await measure(gantry, dataset, test, names)
        return Result(dataset: dataset.name, events: order.count, mistakesRecorded: mistakes, learningCurve: curve, curveBlock: curveBlock,
                      staticRouting: staticRouting, feedbackMemory: memoryOnly, afterTraining: trained,
                      trainingApplied: summary.applied, trainingReason: summary.reason, seconds: Date().timeIntervalSince(started))
    }

    /// Routes the queries at `indices` through `gantry` (read-only) and scores the rankings.
    public static func measure(_ gantry: AgentGantry, _ dataset: RetrievalDataset, _ indices: [Int], _ names: [String],
                               context: RoutingContext = RoutingContext()) async throws(GantryError) -> Measurement {
        let row = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        var rankings = [[Int]](), top1 = 0
        for index in indices {
            let query = dataset.queries[index]
            let ranking = try await gantry.retrieveTools(query.text, limit: 10, context: context).compactMap { row[$0.tool.name] }
            if let first = ranking.first, query.tools.contains(first) { top1 += 1 }
            rankings.append(ranking)
        }
        return Measurement(top1: Double(top1) / Double(max(indices.count, 1)),
                           metrics: RetrievalMetrics(rankings: rankings, relevant: indices.map { dataset.queries[$0].tools }))
    }
}

extension GantryConfiguration.Weights {
    /// The Python Agent-Gantry router's fixed formula, 0.6·semantic + 0.15·intent + 0.1·context +
    /// 0.1·health + 0.05·cost, on our signals: semantic 0.6, intent 0.15 (our embedding-based
    /// intents), health 0.1; context and cost have no counterpart, and nothing is learned
    /// (feedback and preference weights 0).
    public static var staticFormula: Self {
        var w = Self()
        w.semantic = 0.6
        w.intent = 0.15
        w.feedback = 0
        w.health = 0.1
        w.preference = 0
        w.performance = 0
        w.coUsage = 0
        return w
    }
}

extension Tool {
    /// A dataset's tool as a registered tool (its parameters as a schema of string properties, so
    /// that the embedded text is the dataset's).
    public init(datasetTool t: RetrievalDataset.Tool) {
        let properties = Dictionary(uniqueKeysWithValues: t.parameterNames.map { ($0, JSONValue.object(["type": .string("string")])) })
        self.init(name: t.id, description: t.description, tags: t.tags,
                  parameters: t.parameterNames.isEmpty ? nil : .object(["type": .string("object"), "properties": .object(properties)]))
    }
}

import Foundation
import GantryAdapt
import GantryEval
import GantryMath
import Testing

@Suite("EvaluationPipeline")
struct EvaluationPipelineTests {
    @Test func frozenOnTheDatasetSplitIsTheTestSplitsMetrics() throws {
        let folder = try DatasetFolder(tools: 8, queriesPerTool: 9, dimension: 16)
        let dataset = try RetrievalDataset.load(directory: folder.path)
        let report = try EvaluationPipeline().run(directory: folder.path)
        #expect(report.dataset == dataset.name && report.index == .flat && report.heldOutTools == nil)
        #expect(report.rows.map(\.method) == ["frozen"])
        #expect(report.rows[0].metrics == (try dataset.evaluate(dataset.indices(of: .test))))
        #expect(report.rows[0].unseenTools == nil)
    }

    @Test func anAdapterFileIsLoadedCheckedAndNamed() throws {
        let folder = try DatasetFolder(tools: 8, queriesPerTool: 9, dimension: 16)
        var dataset = try RetrievalDataset.load(directory: folder.path)
        var configuration = TrainingConfiguration()
        configuration.rank = 4
        configuration.epochs = 3
        let path = folder.path + "/a.gadp"
        let (adapter, _) = try TrainingPipeline(configuration: configuration).run(dataset, output: path)
        let report = try EvaluationPipeline(index: .hnsw, adapter: path).run(dataset)
        #expect(report.rows.map(\.method) == ["adapter a.gadp"] && report.index == .hnsw)
        #expect(report.rows[0].metrics == (try dataset.evaluate(dataset.indices(of: .test), adapter: adapter, index: .hnsw)))

        dataset.embeddingModel = "another-model"
        #expect(throws: AdaptError.self) { try EvaluationPipeline(adapter: path).run(dataset) }
    }

    @Test func unseenToolsWithBaselinesScoresEveryMethodOnBothParts() throws {
        let folder = try DatasetFolder(tools: 10, queriesPerTool: 6, dimension: 32)
        let dataset = try RetrievalDataset.load(directory: folder.path)
        let split = dataset.unseenToolSplit(seed: 3)
        let report = try EvaluationPipeline(split: .unseenTools(seed: 3), baselines: true).run(dataset)
        #expect(report.heldOutTools == 2 && split.heldOut.count == 2)
        #expect(report.rows.map(\.method) == ["frozen", "tool centroids", "full 32×32, triplet", "rank 32, no tool offsets, triplet"])
        #expect(report.rows.allSatisfy { $0.metrics.queries == split.seen.count && $0.unseenTools?.queries == split.unseen.count })
        #expect(report.rows[0].metrics == (try dataset.evaluate(split.seen)))
        #expect(report.rows[0].unseenTools == (try dataset.evaluate(split.unseen)))
    }

    @Test func theCLIsIndexKindMapsToTheEvaluatorsOne() {
        #expect(RetrievalEvaluator.IndexKind(.flat) == .flat && RetrievalEvaluator.IndexKind(.hnsw) == .hnsw)
    }
}

/// Lexical retrieval ranks by the words queries share with each tool's name, description and
/// parameter names, whatever the vectors say (here they point every query at the wrong tool).
@Suite("Lexical evaluation")
struct LexicalEvaluationTests {
    @Test func lexicalRetrievalFollowsTheWordsNotTheVectors() throws {
        let tools = [
            RetrievalDataset.Tool(id: "w", name: "get_weather", description: "Current weather and forecast for a city.", parameterNames: ["city"]),
            RetrievalDataset.Tool(id: "s", name: "stockPrice", description: "Latest price of a stock ticker.", parameterNames: ["ticker"]),
            RetrievalDataset.Tool(id: "e", name: "send_email", description: "Send an email message to a recipient.", parameterNames: ["to", "body"]),
        ]
        let texts = [("forecast for Paris", 0), ("what is the stock price of ACME", 1), ("email my boss", 2), ("getWeather", 0)]
        let queries = texts.enumerated().map { RetrievalDataset.Query(id: "q\($0.offset)", text: $0.element.0, tools: [$0.element.1], split: .test) }
        let toolVectors = try Matrix(rowArrays: [[1, 0], [0, 1], [0.6, 0.8]])
        let queryVectors = try Matrix(rowArrays: texts.map { $0.1 == 1 ? [1, 0] : [0, 1] })  // the wrong tool first, densely
        let dataset = try RetrievalDataset(name: "words", tools: tools, queries: queries, toolVectors: toolVectors, queryVectors: queryVectors)
        var pipeline = EvaluationPipeline()
        pipeline.retrieval = .lexical
        let lexical = try pipeline.run(dataset).rows[0]
        #expect(lexical.method == "lexical (BM25)")
        #expect(lexical.metrics.recallAt1 == 1 && lexical.metrics.queries == 4, "\(lexical.metrics)")
        #expect(try EvaluationPipeline().run(dataset).rows[0].metrics.recallAt1 < 1)
        pipeline.retrieval = .hybrid
        pipeline.lexicalWeight = 0
        #expect(try pipeline.run(dataset).rows[0].metrics == (try EvaluationPipeline().run(dataset).rows[0].metrics))  // weight 0: dense
        pipeline.lexicalWeight = 0.9
        #expect(try pipeline.run(dataset).rows[0].metrics.recallAt1 == 1)  // a large lexical share: the words outweigh the vectors
        pipeline.retrieval = .lexical
        pipeline.adapter = "any.gadp"
        #expect(throws: AdaptError.self) { try pipeline.run(dataset) }
    }
}

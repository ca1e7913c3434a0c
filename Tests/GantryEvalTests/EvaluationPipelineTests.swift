import Foundation
import GantryAdapt
import GantryEval
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

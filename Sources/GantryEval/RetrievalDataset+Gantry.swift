import AgentGantry
import GantryEmbed
import GantryMath

extension RetrievalDataset {
    /// An embedder that serves this dataset's texts from its `.npy` vectors and anything else
    /// from `fallback` (nil: new text is refused). Its identity is the fallback's, else
    /// `embeddingModel`.
    public func embedder(fallback: (any Embedder)?) throws -> PrecomputedEmbedder {
        let texts = toolTexts + queries.map(\.text)
        let vectors = try Matrix(rows: texts.count, cols: dimension, values: toolVectors.values + queryVectors.values)
        return try PrecomputedEmbedder(texts: texts, vectors: vectors, modelIdentity: fallback?.modelIdentity ?? embeddingModel, fallback: fallback)
    }

    /// A fresh `AgentGantry` with this dataset's catalog registered, but for the tools at `excluded`.
    public func gantry(configuration: GantryConfiguration, embedder: any Embedder, excluding excluded: Set<Int> = []) async throws(GantryError) -> AgentGantry {
        let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
        try await gantry.register(tools.indices.filter { !excluded.contains($0) }.map { RegisteredTool(datasetTool: tools[$0]) })
        return gantry
    }
}

import GantryEval
import GantryMath

/// The large catalogue the lexical and routing benchmarks share: a seeded recombination of the
/// metatool and toollens tools — tool `i` is base tool `i mod 663`'s name with the suffix
/// `_⌊i / 663⌋`, its description followed by the first 12 words of another tool's — and up to
/// 2,000 metatool test queries. The same seed gives the same catalogue in every benchmark.
public struct RecombinedCatalogue: Sendable {
    /// The tools, in order: dataset tools with recombined names and descriptions.
    public let tools: [RetrievalDataset.Tool]
    /// The query texts.
    public let queries: [String]

    /// `count` tools from the datasets in `metatool` and `toollens` (their folders).
    public init(metatool: String, toollens: String, count: Int, queryLimit: Int = 2_000) throws {
        let metatoolData = try RetrievalDataset.load(directory: metatool), toollensData = try RetrievalDataset.load(directory: toollens)
        let pool = metatoolData.tools + toollensData.tools
        var rng = SplitMix64(seed: 2026)
        tools = (0..<count).map { i in
            let base = pool[i % pool.count], other = pool[Int(rng.next() % UInt64(pool.count))]
            let name = "\(base.name)_\(i / pool.count)"
            let borrowed = other.description.split(separator: " ").prefix(12).joined(separator: " ")
            return RetrievalDataset.Tool(id: name, name: name, description: base.description + " " + borrowed, parameterNames: base.parameterNames)
        }
        queries = metatoolData.indices(of: .test).prefix(queryLimit).map { metatoolData.queries[$0].text }
    }
}

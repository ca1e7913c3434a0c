import GantryMath
import Testing

/// The README's library example, kept compiling and correct.
@Test func readmeExampleRuns() throws {
    var rng = SplitMix64(seed: 7)
    let catalog = Matrix.randomNormal(rows: 10_000, cols: 384, using: &rng)
    let queries = Matrix.randomNormal(rows: 256, cols: 384, using: &rng)
    let scores = try Matrix.product(queries, catalog, transposeB: true)
    let best = try catalog.topKInnerProducts(with: queries.row(0), k: 5)
    let svd = try queries.singularValueDecomposition()
    #expect(scores.shape == Shape(rows: 256, cols: 10_000))
    #expect(best.map(\.index) == Reference.topK(Array(scores.row(0)), k: 5).map(\.index))
    #expect(svd.singularValues.count == 256)
}

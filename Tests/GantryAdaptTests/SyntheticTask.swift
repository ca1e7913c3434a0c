@testable import GantryAdapt
import GantryMath

/// A retrieval task with a learnable flaw: queries are a fixed linear distortion of their tool's
/// vector plus noise, so frozen cosine retrieval is poor and an adapter can undo the distortion.
struct SyntheticTask {
    let tools: Matrix
    let toolIDs: [String]
    let trainQueries: Matrix, trainLabels: [[Int]]
    let testQueries: Matrix, testLabels: [[Int]]

    init(tools toolCount: Int = 30, dimension d: Int = 24, queriesPerTool: Int = 12, noise: Float = 0.35,
         distortion: Float = 1.2, seed: UInt64 = 5) {
        var rng = SplitMix64(seed: seed)
        var tools = Matrix.randomNormal(rows: toolCount, cols: d, using: &rng)
        try! tools.normalizeRows()
        // Distortion x ↦ x + a·(x·u)w − … : a rank-2 perturbation of the identity.
        let u = Matrix.randomNormal(rows: 2, cols: d, using: &rng), w = Matrix.randomNormal(rows: 2, cols: d, using: &rng)
        func query(of tool: Int) -> [Float] {
            var x = Array(tools.row(tool))
            for j in 0..<2 {
                let h = zip(u.row(j), tools.row(tool)).reduce(0) { $0 + $1.0 * $1.1 } * distortion
                for c in 0..<d { x[c] += h * w[j, c] }
            }
            for c in 0..<d { x[c] += noise * rng.nextGaussian() / Float(d).squareRoot() * 3 }
            let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return x.map { $0 / norm }
        }
        var train = [[Float]](), test = [[Float]](), trainLabels = [[Int]](), testLabels = [[Int]]()
        for tool in 0..<toolCount {
            for i in 0..<queriesPerTool {
                if i % 3 == 0 { test.append(query(of: tool)); testLabels.append([tool]) } else { train.append(query(of: tool)); trainLabels.append([tool]) }
            }
        }
        self.tools = tools
        toolIDs = (0..<toolCount).map { "tool_\($0)" }
        trainQueries = try! Matrix(rowArrays: train)
        testQueries = try! Matrix(rowArrays: test)
        self.trainLabels = trainLabels
        self.testLabels = testLabels
    }

    func testMetrics(_ adapter: LowRankAdapter?) throws -> RetrievalMetrics {
        guard let adapter else { return try RetrievalEvaluator.evaluate(queries: testQueries, relevant: testLabels, tools: tools) }
        return try RetrievalEvaluator.evaluate(queries: adapter.adaptQueries(testQueries), relevant: testLabels,
                                               tools: adapter.adaptTools(tools, ids: toolIDs))
    }
}

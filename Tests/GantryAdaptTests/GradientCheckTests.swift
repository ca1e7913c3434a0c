@testable import GantryAdapt
import GantryMath
import Testing

/// The analytic gradient of the full triplet loss (adapter on one or both sides, offsets, the
/// normalization included) against central finite differences of a Double re-implementation.
@Suite("Triplet loss gradient")
struct GradientCheckTests {
    /// The loss in Double, written independently of `TripletObjective`.
    static func referenceLoss(up: [[Double]], down: [[Double]], offsets: [[Double]]?, queries: [[Double]], tools: [[Double]],
                              batch: TripletBatch, margin: Double, side: LowRankAdapter.Side) -> (loss: Double, violations: [Double]) {
        func adapt(_ x: [Double], adapter: Bool, offset: [Double]?) -> [Double] {
            var z = x
            if adapter {
                for j in up.indices {
                    let h = zip(down[j], x).reduce(0) { $0 + $1.0 * $1.1 }
                    for c in z.indices { z[c] += h * up[j][c] }
                }
            }
            if let offset { for c in z.indices { z[c] += offset[c] } }
            let norm = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return z.map { $0 / norm }
        }
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        var total = 0.0, violations = [Double]()
        if let every = batch.everyNegative {
            // Batch-all: every batch tool not correct for the anchor; mean over violating triplets.
            let batchTools = Set(batch.triplets.flatMap { [Int($0.positive), Int($0.negative)] } + every.map { Int($0.positive) })
            var active = 0
            for (a, entry) in every.enumerated() {
                let q = adapt(queries[batch.anchors[a]], adapter: true, offset: nil)
                let p = adapt(tools[Int(entry.positive)], adapter: side == .both, offset: offsets?[Int(entry.positive)])
                for j in batchTools.sorted() where j != Int(entry.positive) && !entry.alsoCorrect.contains(Int32(j)) {
                    let n = adapt(tools[j], adapter: side == .both, offset: offsets?[j])
                    let v = margin - dot(q, p) + dot(q, n)
                    violations.append(v)
                    if v > 0 { total += v; active += 1 }
                }
            }
            return (total / Double(max(active, 1)), violations)
        }
        for t in batch.triplets {
            let q = adapt(queries[batch.anchors[Int(t.anchor)]], adapter: true, offset: nil)
            let p = adapt(tools[Int(t.positive)], adapter: side == .both, offset: offsets?[Int(t.positive)])
            let n = adapt(tools[Int(t.negative)], adapter: side == .both, offset: offsets?[Int(t.negative)])
            let v = margin - dot(q, p) + dot(q, n)
            violations.append(v)
            total += max(0, v)
        }
        return (total / Double(batch.triplets.count), violations)
    }

    static func rows(_ m: Matrix) -> [[Double]] { (0..<m.rows).map { m.row($0).map(Double.init) } }

    @Test(arguments: [(LowRankAdapter.Side.query, false, false), (.both, false, false), (.both, true, false), (.query, true, false),
                      (.both, true, true), (.query, false, true)])
    func analyticGradientMatchesFiniteDifferences(side: LowRankAdapter.Side, offsets: Bool, batchAll: Bool) throws {
        let (d, r, toolCount, queryCount) = (7, 3, 6, 5)
        var rng = SplitMix64(seed: 11)
        var queries = Matrix.randomNormal(rows: queryCount, cols: d, using: &rng)
        var tools = Matrix.randomNormal(rows: toolCount, cols: d, using: &rng)
        try queries.normalizeRows()
        try tools.normalizeRows()
        var p = AdapterParameters(up: Matrix.randomNormal(rows: r, cols: d, using: &rng),
                                  down: Matrix.randomNormal(rows: r, cols: d, using: &rng),
                                  offsets: offsets ? Matrix.randomNormal(rows: toolCount, cols: d, using: &rng) : nil)
        p.up.withUnsafeMutableBufferPointer { SIMDKernels.scale($0, by: 0.3) }
        p.down.withUnsafeMutableBufferPointer { SIMDKernels.scale($0, by: 0.3) }
        if offsets { p.offsets!.withUnsafeMutableBufferPointer { SIMDKernels.scale($0, by: 0.3) } }
        // Anchor 1 and 2 are the same query (shared rows must add their gradients).
        let base = TripletBatch(anchors: [0, 3, 3, 4], triplets: [
            (0, 1, 2), (0, 1, 5), (1, 0, 4), (2, 3, 1), (2, 3, 0), (3, 5, 2), (3, 5, 1), (1, 2, 3),
        ])
        var batch = base
        if batchAll {  // anchors: query 0 → tool 1, query 3 → tool 0 (also correct: 3), 3 → 3 (also 0), 4 → 5
            batch.everyNegative = [(1, []), (0, [3]), (3, [0]), (5, [])]
        }
        let margin = batchAll ? 0.1 : offsets ? 0.4 : 0.8
        let objective = TripletObjective(margin: Float(margin), side: side, queries: queries, tools: tools)
        let (loss, gradients) = try objective.lossAndGradients(p, batch: batch)

        var up = Self.rows(p.up), down = Self.rows(p.down), off = p.offsets.map(Self.rows)
        let q = Self.rows(queries), t = Self.rows(tools)
        let reference = Self.referenceLoss(up: up, down: down, offsets: off, queries: q, tools: t, batch: batch, margin: margin, side: side)
        #expect(reference.violations.allSatisfy { abs($0) > 1e-3 }, "a triplet sits on the hinge; pick another seed")
        #expect(reference.violations.contains { $0 > 0 } && reference.violations.contains { $0 < 0 }, "both active and inactive triplets")
        #expect(abs(Double(loss) - reference.loss) <= 1e-5 * max(1, reference.loss))

        let h = 1e-5
        func numeric(_ change: (Double) -> Void) -> Double {
            change(h)
            let plus = Self.referenceLoss(up: up, down: down, offsets: off, queries: q, tools: t, batch: batch, margin: margin, side: side).loss
            change(-2 * h)
            let minus = Self.referenceLoss(up: up, down: down, offsets: off, queries: q, tools: t, batch: batch, margin: margin, side: side).loss
            change(h)
            return (plus - minus) / (2 * h)
        }
        var analytic = [Double](), finite = [Double]()
        for j in 0..<r {
            for c in 0..<d {
                analytic.append(Double(gradients.up[j, c])); finite.append(numeric { up[j][c] += $0 })
                analytic.append(Double(gradients.down[j, c])); finite.append(numeric { down[j][c] += $0 })
            }
        }
        if offsets {
            let rowsOfTools = Dictionary(uniqueKeysWithValues: gradients.offsetRows.enumerated().map { ($1, $0) })
            for tool in 0..<toolCount {
                for c in 0..<d {
                    analytic.append(rowsOfTools[tool].map { Double(gradients.offsets![$0, c]) } ?? 0)
                    finite.append(numeric { off![tool][c] += $0 })
                }
            }
        }
        let difference = zip(analytic, finite).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let scale = max(finite.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        #expect(scale > 1e-3, "the gradient must not vanish for the check to mean anything")
        #expect(difference / scale <= 1e-3, "relative error \(difference / scale)")
        for (a, f) in zip(analytic, finite) { #expect(abs(a - f) <= 1e-3 * max(scale, 1)) }
    }
}

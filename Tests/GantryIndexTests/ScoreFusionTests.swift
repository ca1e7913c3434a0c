import GantryIndex
import GantryMath
import Testing

@Suite("ScoreFusion")
struct ScoreFusionTests {
    static func order(_ scores: [Float]) -> [Int] { SIMDKernels.topK(scores, k: scores.count).map(\.index) }

    /// Weight 0 ranks as the dense scores do, weight 1 as the lexical ones, for either method.
    @Test(arguments: ScoreFusion.Method.allCases)
    func theEndWeightsGiveEachSidesOrder(_ method: ScoreFusion.Method) {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<20 {
            let dense = (0..<50).map { _ in Float(rng.nextGaussian()) * 0.1 + 0.4 }
            let lexical = (0..<50).map { _ in rng.next() % 3 == 0 ? 0 : Float(rng.next() % 1000) / 100 }
            #expect(Self.order(ScoreFusion.fuse(dense: dense, lexical: lexical, weight: 0, method: method)) == Self.order(dense))
            let fused = ScoreFusion.fuse(dense: dense, lexical: lexical, weight: 1, method: method)
            let matched = lexical.indices.filter { lexical[$0] > 0 }
            #expect(Array(Self.order(fused).prefix(matched.count)) == Array(Self.order(lexical).prefix(matched.count)))
        }
    }

    @Test func zScoresHaveMeanZeroAndDeviationOne() {
        let z = ScoreFusion.zScores([1, 2, 3, 4, 10])
        let mean = z.reduce(0, +) / 5, variance = z.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 5
        #expect(abs(mean) < 1e-6 && abs(variance - 1) < 1e-5)
        #expect(ScoreFusion.zScores([2, 2, 2]) == [0, 0, 0])  // no spread: no evidence
        #expect(ScoreFusion.zScores([]) == [])
    }

    /// A query whose words match nothing leaves the dense ranking as it is, at any weight.
    @Test func noLexicalEvidenceKeepsTheDenseOrder() {
        let dense: [Float] = [0.3, 0.9, 0.1, 0.5]
        for weight: Float in [0.15, 0.5, 0.9] {
            #expect(Self.order(ScoreFusion.fuse(dense: dense, lexical: [0, 0, 0, 0], weight: weight)) == [1, 3, 0, 2])
        }
    }

    /// The fused score is the weighted sum of the two z-scores, by the formula.
    @Test func zScoreFusionIsTheWeightedSum() {
        let dense: [Float] = [0.2, 0.4, 0.6], lexical: [Float] = [0, 3, 0]
        let fused = ScoreFusion.fuse(dense: dense, lexical: lexical, weight: 0.25)
        let (zd, zl) = (ScoreFusion.zScores(dense), ScoreFusion.zScores(lexical))
        for i in 0..<3 { #expect(abs(fused[i] - (0.75 * zd[i] + 0.25 * zl[i])) < 1e-6) }
        #expect(Self.order(fused) == [2, 1, 0])
        #expect(Self.order(ScoreFusion.fuse(dense: dense, lexical: lexical, weight: 0.5)) == [1, 2, 0])  // a larger lexical share lifts the match
    }
}

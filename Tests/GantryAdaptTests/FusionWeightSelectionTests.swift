import GantryAdapt
import GantryIndex
import GantryMath
import Testing

/// The lexical weight learned from held-out requests recovers the weight their labels were
/// planted with, and keeps the prior without enough evidence.
@Suite("FusionWeightSelection")
struct FusionWeightSelectionTests {
    /// Requests over 60 tools whose correct tool is the best under fusion at `planted`: dense
    /// scores Gaussian, lexical scores positive for a random 30% of the tools.
    static func examples(_ count: Int, planted: Float, firstRequest: Int, seed: UInt64) -> [FusionWeightSelection.Example] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { r in
            let dense = (0..<60).map { _ in Float(rng.nextGaussian()) * 0.1 + 0.4 }
            let lexical = (0..<60).map { _ in rng.next() % 10 < 3 ? Float(rng.next() % 1000) / 100 : 0 }
            let best = SIMDKernels.topK(ScoreFusion.fuse(dense: dense, lexical: lexical, weight: planted), k: 1)[0].index
            return .init(dense: dense, lexical: lexical, relevant: [best], request: firstRequest + r)
        }
    }

    @Test(arguments: [Float(0.4), 0.1, 0.55])
    func recoversAPlantedWeight(_ planted: Float) throws {
        let outcome = try FusionWeightSelection.choose(selection: Self.examples(300, planted: planted, firstRequest: 0, seed: 1),
                                                       gate: Self.examples(100, planted: planted, firstRequest: 1_000, seed: 2),
                                                       prior: 0.25)
        #expect(abs(outcome.weight - planted) <= 0.05 + 1e-6, "chose \(outcome.weight) for \(planted): \(outcome.reason)")
        #expect(outcome.gate?.passed == true && outcome.selectionMRR.count == FusionWeightSelection.grid.count)
    }

    @Test func tooFewRequestsKeepThePrior() throws {
        let outcome = try FusionWeightSelection.choose(selection: Self.examples(49, planted: 0.5, firstRequest: 0, seed: 3),
                                                       gate: Self.examples(40, planted: 0.5, firstRequest: 100, seed: 4), prior: 0.15)
        #expect(outcome.weight == 0.15 && outcome.gate == nil && outcome.reason.contains("49 distinct held-out requests"))
    }

    /// Examples of one request count once: 300 examples of 10 requests are 10 requests.
    @Test func examplesOfOneRequestCountOnce() throws {
        let repeated = Self.examples(300, planted: 0.5, firstRequest: 0, seed: 5).enumerated().map { i, example in
            FusionWeightSelection.Example(dense: example.dense, lexical: example.lexical, relevant: example.relevant, request: i % 10)
        }
        let outcome = try FusionWeightSelection.choose(selection: repeated, gate: Self.examples(100, planted: 0.5, firstRequest: 1_000, seed: 9),
                                                       prior: 0.15)
        #expect(outcome.weight == 0.15 && outcome.gate == nil && outcome.reason.contains("10 distinct held-out requests"), "\(outcome.reason)")
    }

    /// Labels planted with dense scores alone: the weight learned is 0.
    @Test func denseOnlyLabelsLearnWeightZero() throws {
        let outcome = try FusionWeightSelection.choose(selection: Self.examples(300, planted: 0, firstRequest: 0, seed: 6),
                                                       gate: Self.examples(100, planted: 0, firstRequest: 1_000, seed: 7), prior: 0.2)
        #expect(outcome.weight == 0, "\(outcome)")
    }

    /// Examples whose scores do not line up, or whose correct tool is not among them, are refused.
    @Test func malformedExamplesAreRefused() {
        let bad = FusionWeightSelection.Example(dense: [0.1, 0.2], lexical: [1], relevant: [0], request: 0)
        #expect(throws: AdaptError.self) { try FusionWeightSelection.choose(selection: [bad], gate: [], prior: 0.15) }
        let outside = FusionWeightSelection.Example(dense: [0.1, 0.2], lexical: [1, 0], relevant: [5], request: 0)
        #expect(throws: AdaptError.self) { try FusionWeightSelection.choose(selection: [outside], gate: [], prior: 0.15) }
    }

    /// Labels that no weight explains better than the prior (chance) leave the prior in place.
    @Test func noConclusiveGainKeepsThePrior() throws {
        var rng = SplitMix64(seed: 8)
        func random(_ count: Int, from first: Int) -> [FusionWeightSelection.Example] {
            Self.examples(count, planted: 0.3, firstRequest: first, seed: rng.next()).map { example in
                var shuffled = example
                shuffled.relevant = [Int(rng.next() % 60)]
                return shuffled
            }
        }
        let outcome = try FusionWeightSelection.choose(selection: random(300, from: 0), gate: random(100, from: 1_000), prior: 0.15)
        #expect(outcome.weight == 0.15, "\(outcome.reason)")
    }
}

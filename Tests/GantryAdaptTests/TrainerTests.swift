@testable import GantryAdapt
import GantryMath
import Testing

@Suite("Triplet trainer")
struct TrainerTests {
    static let task = SyntheticTask()

    func configuration(_ change: (inout TrainingConfiguration) -> Void = { _ in }) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.rank = 4
        c.epochs = 25
        c.batchSize = 64
        c.learningRate = 5e-3
        c.validationFraction = 0.2
        change(&c)
        return c
    }

    @Test(arguments: [LowRankAdapter.Side.query, .both])
    func learnsTheDistortionAndImprovesHeldOutQueries(side: LowRankAdapter.Side) throws {
        let task = Self.task
        let examples = try TrainingExamples(queries: task.trainQueries, positives: task.trainLabels)
        let (adapter, report) = try TripletTrainer(configuration { $0.side = side; $0.toolOffsets = false })
            .train(tools: task.tools, toolIDs: task.toolIDs, examples: examples)
        let frozen = try task.testMetrics(nil), adapted = try task.testMetrics(adapter)
        #expect(frozen.mrrAt10 < 0.8, "the task must leave room to learn (frozen \(frozen.mrrAt10))")
        #expect(adapted.mrrAt10 >= frozen.mrrAt10 + 0.1, "frozen \(frozen.mrrAt10) → adapted \(adapted.mrrAt10)")
        #expect(report.bestEpoch >= 1 && report.bestValidation.mrrAt10 > report.identityValidation.mrrAt10)
        #expect(report.epochs.allSatisfy { $0.loss.isFinite && $0.triplets > 0 })
    }

    @Test func sameSeedSameAdapter() throws {
        let task = Self.task
        let examples = try TrainingExamples(queries: task.trainQueries, positives: task.trainLabels)
        let trainer = TripletTrainer(configuration { $0.epochs = 3 })
        let first = try trainer.train(tools: task.tools, toolIDs: task.toolIDs, examples: examples).adapter
        let second = try trainer.train(tools: task.tools, toolIDs: task.toolIDs, examples: examples).adapter
        #expect(first == second)
    }

    @Test func neverWorseReturnsTheIdentityWhenLabelsCarryNoSignal() throws {
        let task = Self.task
        var rng = SplitMix64(seed: 99)
        // Labels that have nothing to do with the queries: nothing generalises to validation.
        let noise = task.trainLabels.map { _ in [Int.random(in: 0..<task.tools.rows, using: &rng)] }
        let examples = try TrainingExamples(queries: task.trainQueries, positives: noise)
        let (adapter, report) = try TripletTrainer(configuration { $0.epochs = 6; $0.toolOffsets = false })
            .train(tools: task.tools, toolIDs: task.toolIDs, examples: examples)
        #expect(report.bestValidation.mrrAt10 >= report.identityValidation.mrrAt10)
        if report.bestEpoch == 0 { #expect(adapter.isIdentity) }
    }

    @Test func toolOffsetsAndWarmStartTrainToo() throws {
        let task = Self.task
        let examples = try TrainingExamples(queries: task.trainQueries, positives: task.trainLabels)
        for change in [{ (c: inout TrainingConfiguration) in c.warmStart = true }, { $0.batchAllNegatives = true }, { $0.toolOffsets = true }] {
            let (adapter, _) = try TripletTrainer(configuration(change)).train(tools: task.tools, toolIDs: task.toolIDs, examples: examples)
            #expect(try task.testMetrics(adapter).mrrAt10 > task.testMetrics(nil).mrrAt10 + 0.1)
        }
    }

    @Test func onlyTheTrainingQueriesToolsLearnAnOffset() throws {
        let task = Self.task
        // The last third of the tools has no training query: a tool registered after the feedback.
        let unasked = Set(2 * task.tools.rows / 3 ..< task.tools.rows)
        let kept = task.trainLabels.indices.filter { !unasked.contains(task.trainLabels[$0][0]) }
        let examples = try TrainingExamples(queries: task.trainQueries.gatherRows(kept), positives: kept.map { task.trainLabels[$0] })
        let (adapter, _) = try TripletTrainer(configuration { $0.toolOffsets = true }).train(tools: task.tools, toolIDs: task.toolIDs, examples: examples)
        let offsets = Set(adapter.toolOffsets.keys)
        #expect(offsets.isDisjoint(with: unasked.map { task.toolIDs[$0] }), "tools that were only negatives moved: \(offsets.sorted())")
        #expect(offsets.count > task.tools.rows / 2, "the asked tools learned \(offsets.count) offsets")
    }

    @Test func aToolNoExampleNamesIsNobodysHardNegative() throws {
        let task = Self.task
        let examples = try TrainingExamples(queries: task.trainQueries, positives: task.trainLabels)
        let trainer = TripletTrainer(configuration { $0.hardNegatives = 6; $0.randomNegatives = 0 })
        // The frozen ranking puts other tools above many queries' own: those are the hard negatives.
        let named = (0..<task.tools.rows).map { $0 % 2 == 0 }
        var rng = SplitMix64(seed: 3)
        let training = task.trainLabels.indices.filter { named[task.trainLabels[$0][0]] }
        let anchors = try trainer.mine(.identity(dimension: task.tools.cols, rank: 4), tools: task.tools, toolIDs: task.toolIDs,
                                       pool: trainer.hardNegativePool(named: named, widest: 1), examples: examples, training: training, rng: &rng)
        #expect(anchors.count == training.count && anchors.allSatisfy { $0.negatives.count == 6 })
        #expect(anchors.allSatisfy { $0.negatives.allSatisfy { named[$0] } })
        let everyTool = try trainer.mine(.identity(dimension: task.tools.cols, rank: 4), tools: task.tools, toolIDs: task.toolIDs,
                                         pool: trainer.hardNegativePool(named: named.map { _ in true }, widest: 1), examples: examples, training: training, rng: &rng)
        #expect(everyTool.contains { $0.negatives.contains { !named[$0] } }, "the task has no unnamed tool to mine")
    }

    @Test func badSettingsAndShapesAreRefused() throws {
        let task = Self.task
        let examples = try TrainingExamples(queries: task.trainQueries, positives: task.trainLabels)
        for change in [{ (c: inout TrainingConfiguration) in c.rank = 0 }, { $0.margin = .nan }, { $0.learningRate = -1 },
                       { $0.validationFraction = 1 }, { $0.hardNegatives = 0; $0.randomNegatives = 0 }, { $0.rank = 999 }] {
            #expect(throws: AdaptError.self) {
                try TripletTrainer(configuration(change)).train(tools: task.tools, toolIDs: task.toolIDs, examples: examples)
            }
        }
        let wrongLabel = try TrainingExamples(queries: task.trainQueries, positives: task.trainLabels.map { _ in [task.tools.rows] })
        #expect(throws: AdaptError.self) { try TripletTrainer(configuration()).train(tools: task.tools, toolIDs: task.toolIDs, examples: wrongLabel) }
        #expect(throws: AdaptError.self) { try TrainingExamples(queries: task.trainQueries, positives: [[0]]) }
        var poisoned = task.trainQueries
        poisoned.withUnsafeMutableBufferPointer { $0[5] = .infinity }
        let nonFinite = try TrainingExamples(queries: poisoned, positives: task.trainLabels)
        #expect(throws: AdaptError.self) { try TripletTrainer(configuration()).train(tools: task.tools, toolIDs: task.toolIDs, examples: nonFinite) }
    }

    @Test func warmStartRecoversAKnownLinearMap() throws {
        // Targets are an exact rank-2 perturbation of the queries: the ridge solution (small λ)
        // compressed to rank 2 must reproduce them.
        var rng = SplitMix64(seed: 3)
        let (n, d) = (400, 12)
        let q = Matrix.randomNormal(rows: n, cols: d, using: &rng)
        let a = Matrix.randomNormal(rows: 2, cols: d, using: &rng), b = Matrix.randomNormal(rows: 2, cols: d, using: &rng)
        var t = q
        try Matrix.gemm(try Matrix.product(q, a, transposeB: true), b, beta: 1, into: &t)  // T = Q + (Q Aᵀ) B
        let (down, up) = try WarmStart.ridge(queries: q, targets: t, rank: 2, lambda: 1e-4)
        var predicted = q
        try Matrix.gemm(try Matrix.product(q, down, transposeB: true), up, beta: 1, into: &predicted)
        let error = zip(predicted.values, t.values).map { abs($0 - $1) }.max()!
        #expect(error < 1e-2, "max error \(error)")
    }
}

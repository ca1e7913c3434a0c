@testable import GantryAdapt
import GantryMath
import Testing

@Suite("Holding out by request: groups, split, gate")
struct HoldoutTests {
    /// `count` random unit vectors of dimension 16.
    static func unitRows(_ count: Int, seed: UInt64) throws -> Matrix {
        var rng = SplitMix64(seed: seed)
        var m = Matrix.randomNormal(rows: count, cols: 16, using: &rng)
        for i in 0..<count {
            var row = Array(m.row(i))
            try SIMDKernels.normalize(&row)
            try m.setRow(i, to: row)
        }
        return m
    }

    @Test func equalTextsAndNearDuplicateVectorsAreOneRequest() throws {
        var vectors = try Self.unitRows(6, seed: 1)
        // Row 3 (no text kept) is a near-duplicate of row 2; row 1 repeats row 0's text with
        // other case and spacing (and, as a live store would have it, the same vector).
        var near = Array(vectors.row(2))
        near[0] += 0.05
        try vectors.setRow(3, to: near)
        try vectors.setRow(1, to: Array(vectors.row(0)))
        let texts: [String?] = ["Cancel my plan", "  cancel   MY plan ", "reset my password", nil, "book a room", "cancel my plan please"]
        let groups = try RequestGroups(texts: texts, vectors: vectors, nearDuplicateCosine: 0.95)
        #expect(groups.requestOfExample == [0, 0, 1, 1, 2, 3])
        #expect(groups.count == 4)
        // At cosine 1 only identical vectors join: row 3 is its own request.
        #expect(try RequestGroups(texts: texts, vectors: vectors, nearDuplicateCosine: 1).count == 5)
    }

    @Test func aRequestAskedManyTimesIsHeldOutWhole() throws {
        // 100 requests asked 1…6 times each, in a shuffled order, as a feedback log holds them.
        var rng = SplitMix64(seed: 3)
        var texts = [String]()
        for request in 0..<100 { texts += Array(repeating: "request \(request)", count: 1 + request % 6) }
        texts.shuffle(using: &rng)
        let vectors = try Self.unitRows(texts.count, seed: 4)
        let groups = try RequestGroups(texts: texts, vectors: vectors, nearDuplicateCosine: 0.95)
        #expect(groups.count == 100)
        for seed in UInt64(0)..<10 {
            let split = try RequestSplit(groups: groups, selectionFraction: 0.1, gateFraction: 0.2, seed: seed)
            #expect((split.trainingRequests, split.selectionRequests, split.gateRequests) == (70, 10, 20))
            #expect((split.training + split.selection + split.gate).sorted() == Array(texts.indices))
            let foldOfText = [(split.training, 0), (split.selection, 1), (split.gate, 2)].flatMap { examples, fold in
                examples.map { (texts[$0], fold) }
            }
            for (text, folds) in Dictionary(grouping: foldOfText, by: \.0) {
                #expect(Set(folds.map(\.1)).count == 1, "\(text) is in folds \(Set(folds.map(\.1)))")
            }
            #expect(Set(split.gate.map { texts[$0] }).count == 20)
        }
        let once = try RequestSplit(groups: groups, selectionFraction: 0.1, gateFraction: 0.2, seed: 7)
        #expect(try RequestSplit(groups: groups, selectionFraction: 0.1, gateFraction: 0.2, seed: 7) == once)
        #expect(try RequestSplit(groups: groups, selectionFraction: 0.1, gateFraction: 0.2, seed: 8) != once)
        // Without a gate fold (the offline job), the gate is empty and the rest trains.
        let noGate = try RequestSplit(groups: groups, selectionFraction: 0.1, gateFraction: 0, seed: 7)
        #expect(noGate.gate.isEmpty && noGate.trainingRequests == 90)
    }

    /// With gate candidates (the requests a served adapter never trained on), the gate holds
    /// only candidates, as many as it would otherwise while there are enough; with every request
    /// a candidate, the split is the one without candidates.
    @Test func theGateHoldsOnlyRequestsTheServedAdapterNeverSaw() throws {
        let texts = (0..<200).map { "request \($0)" }
        let groups = try RequestGroups(texts: texts, vectors: try Self.unitRows(200, seed: 5), nearDuplicateCosine: 0.99)
        let plain = try RequestSplit(groups: groups, selectionFraction: 0.1, gateFraction: 0.2, seed: 3)
        #expect(try RequestSplit(groups: groups, selectionFraction: 0.1, gateFraction: 0.2, seed: 3, gateCandidates: Set(0..<200)) == plain)
        let fresh = Set(120..<200)  // the newest 80: after the served adapter's training
        let split = try RequestSplit(groups: groups, selectionFraction: 0.1, gateFraction: 0.2, seed: 3, gateCandidates: fresh)
        #expect(split.gateRequests == 40 && split.gate.allSatisfy { fresh.contains(groups.requestOfExample[$0]) })
        #expect(split.selection == plain.selection && split.trainingRequests == 140)
        let few = try RequestSplit(groups: groups, selectionFraction: 0.1, gateFraction: 0.2, seed: 3, gateCandidates: Set(190..<200))
        #expect(few.gateRequests <= 10 && few.gateRequests + few.trainingRequests == 180)
        #expect(groups.requestsOnlyOf(examplesWhere: (0..<200).map { $0 >= 120 }) == fresh)
    }

    @Test func tooFewRequestsOrBadFractionsAreRefused() throws {
        let vectors = try Self.unitRows(4, seed: 5)
        let groups = try RequestGroups(texts: ["a", "a", "b", "b"], vectors: vectors, nearDuplicateCosine: 0.95)
        #expect(throws: AdaptError.invalidSetting("2 distinct requests: too few to hold out 1 for selection and 1 for the gate and train on the rest")) {
            try RequestSplit(groups: groups, selectionFraction: 0.1, gateFraction: 0.2, seed: 0)
        }
        for (selection, gate) in [(0.0, 0.2), (0.5, 0.5), (0.1, -0.1), (1.0, 0.0)] {
            #expect(throws: AdaptError.self) { try RequestSplit(groups: groups, selectionFraction: selection, gateFraction: gate, seed: 0) }
        }
        #expect(throws: AdaptError.self) { try RequestGroups(texts: ["a"], vectors: vectors, nearDuplicateCosine: 0.95) }
        #expect(throws: AdaptError.self) { try RequestGroups(texts: ["a", "b", "c", "d"], vectors: vectors, nearDuplicateCosine: 0) }
    }

    @Test func theTrainerSelectsOnRequestsItDidNotTrainOn() throws {
        let task = SyntheticTask()
        // Every training query asked three times: by example the folds would share requests.
        let rows = (0..<task.trainQueries.rows).flatMap { [$0, $0, $0] }
        let examples = try TrainingExamples(queries: task.trainQueries.gatherRows(rows), positives: rows.map { task.trainLabels[$0] },
                                            texts: rows.map { "query \($0)" })
        var c = TrainingConfiguration()
        (c.rank, c.epochs, c.batchSize, c.learningRate) = (4, 3, 64, 5e-3)
        c.nearDuplicateCosine = 1  // the synthetic queries of one tool are near-duplicates of each other; texts decide here
        let split = try RequestSplit(examples, configuration: c, holdingOutGate: true)
        let report = try TripletTrainer(c).train(tools: task.tools, toolIDs: task.toolIDs, examples: examples, split: split).report
        #expect(report.trainingRequests == split.trainingRequests && report.selectionRequests == split.selectionRequests)
        #expect(report.trainingQueries == split.training.count && report.validationQueries == split.selection.count)
        #expect(report.trainingRequests + report.selectionRequests + split.gateRequests == task.trainQueries.rows)
    }

    @Test func theGateNeedsAConclusiveGainOfAtLeastTheMargin() {
        func decide(_ gains: [Double], margin: Double = 0.01) -> GateDecision {
            try! TrainingGate.decide(current: gains.map { _ in 0.5 }, candidate: gains.map { 0.5 + $0 }, requests: Array(gains.indices),
                                margin: margin, confidence: 0.95)
        }
        // Ten requests, each ranked better: conclusive.
        let clear = decide(Array(repeating: 0.5, count: 10))
        #expect(clear.passed && clear.requests == 10 && abs(clear.gain - 0.5) < 1e-12 && clear.moreHeldOutRequestsNeeded == nil)
        // The same with seven held out: too few to decide, one more needed.
        let few = decide(Array(repeating: 0.5, count: 7))
        #expect(!few.passed && few.moreHeldOutRequestsNeeded == 1)
        // Nothing gained (held-out requests already ranked as well): no amount of such feedback helps.
        let flat = decide(Array(repeating: 0, count: 40))
        #expect(!flat.passed && flat.moreHeldOutRequestsNeeded == nil)
        // A gain above the margin within noise: not yet; the estimate is enough for the same pattern.
        let pattern = [0.5, -0.5, 0.5, 0, 0, 0.5, -0.5, 0, 0.5, 0]
        let noisy = decide(pattern)
        #expect(!noisy.passed && noisy.gain >= 0.01 && (noisy.lowerBound ?? 1) <= 0)
        let more = try! #require(noisy.moreHeldOutRequestsNeeded)
        let enough = Array((0..<((pattern.count + more + 9) / 10)).map { _ in pattern }.joined())
        #expect(decide(enough).passed, "\(enough.count) requests of the same pattern should settle it")
        // A conclusive gain smaller than the margin does not pass.
        #expect(!decide(Array(repeating: 0.005, count: 50), margin: 0.01).passed)
    }

    @Test func aRequestAskedOftenWeighsAsOneInTheGate() throws {
        // Request 0 asked ten times and improved; requests 1…9 once each and unchanged.
        let requests = Array(repeating: 0, count: 10) + Array(1...9)
        let decision = try TrainingGate.decide(current: requests.map { _ in 0.5 }, candidate: requests.map { $0 == 0 ? 1 : 0.5 },
                                           requests: requests, margin: 0.01, confidence: 0.95)
        #expect(decision.requests == 10)
        #expect(abs(decision.gain - 0.05) < 1e-12)
        #expect(!decision.passed)
    }

    /// Found by probing: a gain of exactly zero (or 1e-12) with spread trapped in the estimate,
    /// and ranks of unequal counts trapped on a precondition.
    @Test func noGainMeansNoEstimateAndBadRanksAreErrors() throws {
        let current = [1, 0.5, 1, 1, 1, 1, 1, 1, 0.5, 0.25], candidate = [0.5, 1, 1, 1, 1, 1, 1, 1, 0.25, 0.5]
        let zero = try TrainingGate.decide(current: current, candidate: candidate, requests: Array(0..<10), margin: 0, confidence: 0.95)
        #expect(!zero.passed && zero.gain == 0 && zero.moreHeldOutRequestsNeeded == nil && zero.explanation.hasSuffix("no better than the served state"))
        let tiny = try TrainingGate.decide(current: current, candidate: zip(current, candidate).map { $1 + 1e-13 * $0 },
                                           requests: Array(0..<10), margin: 0, confidence: 0.95)
        #expect(!tiny.passed && tiny.moreHeldOutRequestsNeeded == nil)
        #expect(throws: AdaptError.self) { try TrainingGate.decide(current: [1, 1], candidate: [1], requests: [0, 1], margin: 0, confidence: 0.95) }
        #expect(throws: AdaptError.self) { try TrainingGate.decide(current: [.nan], candidate: [1], requests: [0], margin: 0, confidence: 0.95) }
        #expect(throws: AdaptError.self) { try TrainingGate.decide(current: [1], candidate: [1], requests: [0], margin: 0, confidence: 1) }
    }

    /// Found by probing: with `nearDuplicateCosine` 1, identical vectors stayed apart when their
    /// cosine, computed in floats, fell just short of 1.
    @Test func identicalVectorsAreOneRequestAtCosineOne() throws {
        let rows = try Self.unitRows(40, seed: 9)
        let copies = try rows.gatherRows((0..<200).map { $0 % 40 })
        let groups = try RequestGroups(texts: Array(repeating: nil, count: 200), vectors: copies, nearDuplicateCosine: 1)
        #expect(groups.count == 40)
        var bad = copies
        bad[3, 0] = .nan
        #expect(throws: AdaptError.self) { try RequestGroups(texts: Array(repeating: nil, count: 200), vectors: bad, nearDuplicateCosine: 1) }
    }

    /// The fewest requests a configuration trains on is exactly where a split with a gate of 8 first
    /// succeeds, found without counting up one by one (a gate fraction of 1e-9 hung `train()`).
    @Test func theMinimumRequestsIsWhereTheSplitFirstFits() throws {
        for (selection, gate) in [(0.1, 0.2), (0.49, 0.5), (0.5, 0.49), (0.25, 0.7), (0.1, 0.01)] {
            var c = TrainingConfiguration()
            (c.validationFraction, c.gateFraction) = (selection, gate)
            let minimum = try #require(RequestSplit.minimumRequests(c, gateRequests: TrainingGate.minimumRequests))
            func groups(_ n: Int) throws -> RequestGroups {
                try RequestGroups(texts: (0..<n).map { "request \($0)" }, vectors: Self.unitRows(n, seed: 11), nearDuplicateCosine: 1)
            }
            let split = try RequestSplit(groups: groups(minimum), configuration: c, holdingOutGate: true)
            #expect(split.gateRequests >= TrainingGate.minimumRequests && split.trainingRequests >= 1, "\(selection)/\(gate)")
            let below = try? RequestSplit(groups: groups(minimum - 1), configuration: c, holdingOutGate: true)
            #expect(below == nil || below!.gateRequests < TrainingGate.minimumRequests, "\(selection)/\(gate): \(minimum - 1) fits too")
        }
        var tiny = TrainingConfiguration()
        tiny.gateFraction = 1e-9
        #expect(RequestSplit.minimumRequests(tiny, gateRequests: 8) == nil || RequestSplit.minimumRequests(tiny, gateRequests: 8)! > 1_000_000)
        tiny.gateRequestsLimit = 7
        #expect(RequestSplit.minimumRequests(tiny, gateRequests: 8) == nil)
    }

    @Test func studentTQuantilesMatchTables() {
        for (df, exact) in [(3, 2.353), (7, 1.895), (30, 1.697), (1000, 1.646)] {
            #expect(abs(TrainingGate.studentT(0.95, degreesOfFreedom: df) - exact) < 0.01, "t(0.95, \(df))")
        }
        #expect(abs(TrainingGate.studentT(0.975, degreesOfFreedom: 10) - 2.228) < 0.01)
    }
}

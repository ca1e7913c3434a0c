import AgentGantry
import Foundation
import GantryAdapt
import GantryEmbed
import GantryMath

/// Evaluation by replay: requests arrive in order, as a live system would see them; each is
/// routed, its top-1 compared with the label, and what the agent reported is recorded. One loop
/// (`replay(_:into:)`) serves both kinds of request: a dataset's training queries with a
/// simulated agent (`gantry replay`), and a logged event file (`gantry demo`).
public enum Replay {
    /// Quality of a set of queries at one moment.
    public struct Measurement: Sendable, Codable {
        /// Share of queries whose first result is a correct tool.
        public var top1: Double
        /// Recall, MRR, NDCG and COMP of the same rankings (cut at 10).
        public var metrics: RetrievalMetrics
    }

    /// What happened while requests were replayed.
    public struct Trace: Sendable, Codable {
        /// Per request, in order: whether the router's first result was a correct tool.
        public var routedRight: [Bool] = []
        /// Feedback events recorded as selection errors.
        public var corrections = 0
        /// What a simulated agent reported (nil for today's replay: the first result taken, every
        /// mistake corrected).
        public var agent: SimulatedAgent.Counts?
        /// How many of the `train()` runs during the replay (`trainEvery`) applied an adapter.
        public var appliedTrainings = 0

        /// Top-1 over all requests.
        public var top1: Double { Double(routedRight.count(where: \.self)) / Double(max(routedRight.count, 1)) }

        /// Top-1 of each full block of `block` requests, in order.
        public func learningCurve(block: Int) -> [Double] {
            guard block >= 1 else { return [] }
            return stride(from: 0, to: routedRight.count - block + 1, by: block).map { start in
                Double(routedRight[start..<start + block].count(where: \.self)) / Double(block)
            }
        }
    }

    /// Replays `requests` through `gantry`. A request with a logged call records what the log
    /// says (the correction, or a confirmation, and the call's outcome); one without is answered
    /// by `agent` (seeded by `seed`), or, without one, by an agent that takes the router's first
    /// result and reports a correction when it is wrong. Each is routed for `limit` results;
    /// with `trainEvery`, `train()` runs after every that many requests (as a deployment trains
    /// now and then), so that later requests meet what the earlier ones taught;
    /// `progress(done, total)` is called after each.
    public static func replay(_ requests: [ReplayRequest], into gantry: AgentGantry, limit: Int = 5, agent: SimulatedAgent? = nil,
                              seed: UInt64 = 0, trainEvery: Int? = nil,
                              progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(GantryError) -> Trace {
        var trace = Trace()
        var counts = SimulatedAgent.Counts(), rng = SplitMix64(seed: seed ^ 0x5157_A6E7)
        for (done, request) in requests.enumerated() {
            let retrieval = try await gantry.retrieveTools(request.query, limit: limit, context: request.context)
            let top = retrieval.first?.tool.name
            let right = top.map(request.correctTools.contains) ?? false
            trace.routedRight.append(right)
            let correct = request.correctTools[0]
            if request.logged == nil, let agent {
                try await agent.act(on: retrieval, request: request, gantry: gantry, counts: &counts, rng: &rng)
                trace.corrections = counts.corrections
                trace.agent = counts
            } else if let logged = request.logged {
                let wrong = logged.selected != correct
                trace.corrections += wrong ? 1 : 0
                try await gantry.recordFeedback(query: request.query, selectedTool: logged.selected, correctTool: correct,
                                                feedbackType: wrong ? .toolSelectionError : .confirmed, context: request.context)
                try await gantry.recordExecution(tool: correct, outcome: logged.outcome, latency: logged.latency, context: request.context)
            } else if !right {
                trace.corrections += 1
                try await gantry.recordFeedback(query: request.query, selectedTool: top, correctTool: correct, context: request.context)
            }
            if let trainEvery, trainEvery > 0, (done + 1) % trainEvery == 0, done + 1 < requests.count {
                if try await gantry.train().applied { trace.appliedTrainings += 1 }
            }
            progress?(done + 1, requests.count)
        }
        return trace
    }

    /// What `run(dataset:…)` measured.
    public struct Report: Sendable, Codable {
        /// The dataset's name (its folder's).
        public var dataset: String
        /// Training queries replayed.
        public var events: Int
        /// Replayed queries routed wrongly, each recorded as a correction.
        public var mistakesRecorded: Int
        /// Top-1 accuracy of each block of `curveBlock` replayed queries, in order.
        public var learningCurve: [Double]
        /// Queries per point of `learningCurve`.
        public var curveBlock: Int
        /// The test split under the fixed formula (`SignalValues.staticFormula`) over dense
        /// retrieval only, nothing learned.
        public var staticRouting: Measurement
        /// The test split with the feedback memory the replay built.
        public var feedbackMemory: Measurement
        /// The test split after `train()` on the recorded corrections.
        public var afterTraining: Measurement
        /// Whether `train()` applied its adapter, and why not when it did not.
        public var trainingApplied: Bool
        /// `TrainingSummary.reason`: why `train()` did not apply its adapter (nil when it did).
        public var trainingReason: String?
        /// `TrainingSummary.feedbackMemoryThreshold` and its reason: the memory's reach `train()` chose.
        public var feedbackMemoryThreshold: Float?, feedbackMemoryThresholdReason: String?
        /// `TrainingSummary.reportedRetrievals`: retrievals `train()` learned from by their reports.
        public var reportedRetrievals: Int
        /// `TrainingSummary.positionPropensities`: the position bias `train()` measured and corrected (nil: none).
        public var positionPropensities: [Double]?
        /// Wall-clock seconds of the whole run.
        public var seconds: Double
        /// The simulated agent and what it reported (nil: the first result taken, every mistake corrected).
        public var agent: SimulatedAgent?, agentCounts: SimulatedAgent.Counts?
        /// Requests between the trainings during the replay (nil: one training, after it), and
        /// how many of those applied an adapter.
        public var trainEvery: Int?, appliedTrainings = 0
        /// With `unseenTools`: the tools registered only after the replay, and their queries.
        public var unseenTools: UnseenTools?
    }

    /// Tools that did not exist while the replay ran (`run(…unseenTools: true)`): a seeded fifth
    /// of the catalogue (`RetrievalDataset.unseenToolSplit`), registered after the replay, just
    /// before `train()` — what training must not make worse.
    public struct UnseenTools: Sendable, Codable {
        /// Tools held out.
        public var heldOutTools: Int
        /// Their queries (either split), routed by a gantry that learned nothing, with every tool
        /// registered and the replay's configuration.
        public var frozen: Measurement
        /// The same queries after the replay, before `train()`: what the learned signals (the
        /// feedback memory, preferences, performance) do to them.
        public var afterReplay: Measurement
        /// The same queries after the replay and `train()`.
        public var afterTraining: Measurement
    }

    /// Replays `dataset`'s training queries (in a seeded order) through a fresh in-memory
    /// `AgentGantry` with `configuration`'s weights, answered by `agent` (nil: the first result
    /// taken, every mistake corrected), then measures the test split three ways:
    /// static routing (frozen embeddings, dense only, fixed weights, nothing learned), with the feedback
    /// memory the replay built, and after `train()`. `embedder` must embed the dataset's texts
    /// (e.g. `dataset.embedder(fallback:)`). With `unseenTools`, a fifth of the tools is
    /// registered only after the replay (`UnseenTools`): the replay leaves out the queries that
    /// need them, the test split is the rest (`UnseenToolSplit.seen`), and their queries are
    /// measured apart.
    public static func run(dataset: RetrievalDataset, configuration base: GantryConfiguration, embedder: any Embedder,
                           seed: UInt64 = 0, curveBlock: Int = 100, agent: SimulatedAgent? = nil, trainEvery: Int? = nil,
                           unseenTools: Bool = false, progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(GantryError) -> Report {
        let started = Date()
        var configuration = base
        configuration.storePath = nil
        let split = unseenTools ? dataset.unseenToolSplit(seed: seed) : nil
        let gantry = try await dataset.gantry(configuration: configuration, embedder: embedder, excluding: split?.heldOut ?? [])
        let test = split?.seen ?? dataset.indices(of: .test)
        var frozenUnseen: Measurement?
        if let split {
            frozenUnseen = try await measure(try await dataset.gantry(configuration: configuration, embedder: embedder), dataset, split.unseen)
        }

        var staticConfiguration = configuration
        staticConfiguration.weights = .staticFormula
        staticConfiguration.lexicalWeight = 0  // the Python router's first stage: dense only
        let staticRouting = try await measure(try await dataset.gantry(configuration: staticConfiguration, embedder: embedder), dataset, test)

        var order = split?.training ?? dataset.indices(of: .train)
        var rng = SplitMix64(seed: seed)
        order.shuffle(using: &rng)
        let trace = try await replay(order.map { ReplayRequest(dataset, query: $0) }, into: gantry, limit: 10, agent: agent, seed: seed,
                                     trainEvery: trainEvery, progress: progress)
        if let split { try await gantry.register(split.heldOut.sorted().map { RegisteredTool(datasetTool: dataset.tools[$0]) }) }
        let memoryOnly = try await measure(gantry, dataset, test)
        var unseenAfterReplay: Measurement?
        if let split { unseenAfterReplay = try await measure(gantry, dataset, split.unseen) }
        let summary = try await gantry.train()
        let trained = try await measure(gantry, dataset, test)
        var unseen: UnseenTools?
        if let split, let frozenUnseen, let unseenAfterReplay {
            unseen = UnseenTools(heldOutTools: split.heldOut.count, frozen: frozenUnseen, afterReplay: unseenAfterReplay,
                                 afterTraining: try await measure(gantry, dataset, split.unseen))
        }
        return Report(dataset: dataset.name, events: order.count, mistakesRecorded: trace.corrections,
                       learningCurve: trace.learningCurve(block: curveBlock), curveBlock: curveBlock,
                       staticRouting: staticRouting, feedbackMemory: memoryOnly, afterTraining: trained,
                       trainingApplied: summary.applied, trainingReason: summary.reason,
                       feedbackMemoryThreshold: summary.feedbackMemoryThreshold, feedbackMemoryThresholdReason: summary.feedbackMemoryThresholdReason,
                       reportedRetrievals: summary.reportedRetrievals,
                       positionPropensities: summary.positionPropensities, seconds: Date().timeIntervalSince(started),
                       agent: agent, agentCounts: trace.agent, trainEvery: trainEvery, appliedTrainings: trace.appliedTrainings,
                       unseenTools: unseen)
    }

    /// Routes the queries at `indices` through `gantry` (read-only) and scores the rankings.
    public static func measure(_ gantry: AgentGantry, _ dataset: RetrievalDataset, _ indices: [Int],
                               context: RoutingContext = RoutingContext()) async throws(GantryError) -> Measurement {
        let row = dataset.toolIndex
        var rankings = [[Int]](), top1 = 0
        for index in indices {
            let query = dataset.queries[index]
            let ranking = try await gantry.retrieveTools(query.text, limit: 10, context: context).compactMap { row[$0.tool.name] }
            if let first = ranking.first, query.tools.contains(first) { top1 += 1 }
            rankings.append(ranking)
        }
        return Measurement(top1: Double(top1) / Double(max(indices.count, 1)),
                           metrics: RetrievalMetrics(rankings: rankings, relevant: indices.map { dataset.queries[$0].tools }))
    }
}

extension SignalValues {
    /// The Python Agent-Gantry router's fixed formula, 0.6·semantic + 0.15·intent + 0.1·context +
    /// 0.1·health + 0.05·cost, on our signals: semantic 0.6, intent 0.15 (our embedding-based
    /// intents), health 0.1; context and cost have no counterpart, and nothing is learned (every
    /// other weight 0).
    public static var staticFormula: SignalValues {
        SignalValues([.semantic: 0.6, .intent: 0.15, .health: 0.1])
    }
}

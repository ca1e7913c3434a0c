import AgentGantry
import Foundation
import GantryAdapt
import GantryEmbed
import GantryMath

/// The whole product on the embedded support-desk data (or a folder of the same shape: its
/// tools, teams A and B, and the tools whose breakers the report shows): frozen evaluation →
/// replay of the logged events (route each request, then record the logged correction and
/// outcome) → `train()` → adapted evaluation, plus a team check, breaker states and one new text
/// through MiniLM. What `gantry demo` runs and prints.
public enum SupportDeskDemo {
    /// What a demo run measured (the JSON report `gantry demo` writes).
    public struct Report: Sendable, Codable {
        /// The dataset's name (its folder's).
        public var dataset: String
        /// Tools registered.
        public var tools: Int
        /// Logged requests replayed.
        public var events: Int
        /// The seed the log's order was shuffled with (nil: replayed as logged).
        public var logOrderSeed: UInt64?
        /// Logged picks that were wrong (recorded as corrections; the others as confirmations).
        public var corrections: Int
        /// Top-1 of each full block of `curveBlock` logged requests as they arrived.
        public var learningCurve: [Double]
        /// Share of the log's requests the router got right as they arrived.
        public var onlineTop1: Double
        /// Requests per point of `learningCurve`.
        public var curveBlock: Int
        /// The test split (paraphrases the log never contains) with frozen, dense-only routing
        /// (lexical weight 0).
        public var frozenDense: Replay.Measurement
        /// The test split with frozen routing: hybrid retrieval at the prior lexical weight.
        public var frozen: Replay.Measurement
        /// The test split after the log was replayed (feedback memory, no adapter yet).
        public var afterFeedback: Replay.Measurement
        /// The test split after `train()`.
        public var afterTraining: Replay.Measurement
        /// The distinct requests of the log, asked again.
        public var repeatedRequests: Int
        /// The repeated requests with frozen routing.
        public var frozenRepeated: Replay.Measurement
        /// The repeated requests after the log was replayed.
        public var afterFeedbackRepeated: Replay.Measurement
        /// The repeated requests after `train()`.
        public var afterTrainingRepeated: Replay.Measurement
        /// Whether `train()` applied its adapter.
        public var trainingApplied: Bool
        /// The lexical weight served after `train()` (the prior unless it learned one).
        public var lexicalWeight: Float
        /// How `train()` decided the lexical weight (nil when it applied no adapter).
        public var lexicalWeightReason: String?
        /// The feedback memory's reach `train()` chose, and how (nil when it applied no adapter).
        public var feedbackMemoryThreshold: Float?, feedbackMemoryThresholdReason: String?
        /// Why `train()` did not apply its adapter (nil when it did).
        public var trainingReason: String?
        /// The trainer's report with the gate's decision (nil when training did not run).
        public var trainingReport: TrainingReport?
        /// The first tool each team gets for `teamQuery`, asked by a new user of the team.
        public var teamTop1: [String: String]
        /// The request both teams ask (`teamTop1`).
        public var teamQuery: String
        /// The breaker state of a few tools after the log (its incident opens one).
        public var breakers: [String: String]
        /// `newText` through MiniLM (nil when the model is not installed): tool names and scores.
        public var newTextMatches: [Match]?
        /// A request outside the dataset, embedded by MiniLM.
        public var newText: String
        /// Wall-clock seconds of the whole run.
        public var seconds: Double
        /// The adapter's rank `train()` used.
        public var trainingRank: Int
        /// Whether MiniLM was available for text outside the dataset.
        public var encoderAvailable: Bool

        /// A tool and its final score.
        public struct Match: Sendable, Codable {
            /// The tool's name.
            public var tool: String
            /// Its final score (weighted sum of the signals).
            public var score: Double
        }
    }

    /// The stages of a run, in order, for progress output.
    public enum Stage: Sendable {
        /// Reading the dataset folder.
        case loading(folder: String)
        /// The dataset is loaded: its sizes, and whether MiniLM is installed.
        case loaded(tools: Int, queries: Int, events: Int, encoderAvailable: Bool)
        /// Measuring frozen routing on the test split and the repeated requests.
        case frozenEvaluation(test: Int, repeated: Int)
        /// Replaying the event log.
        case replaying(events: Int)
        /// Logged requests replayed so far.
        case replayed(done: Int, total: Int)
        /// `train()` is running on the recorded feedback.
        case training(events: Int, rank: Int)
    }

    /// Runs the demo on `folder` (tools.jsonl, queries.jsonl, events.jsonl and the `.npy` files),
    /// with a learning-curve point every `curveBlock` requests. With `logOrderSeed`, the log is
    /// replayed in a seeded shuffled order rather than as logged: what the learning does not
    /// owe to one order of the same feedback.
    public static func run(folder: String, curveBlock: Int = 50, logOrderSeed: UInt64? = nil,
                           progress: @escaping @Sendable (Stage) -> Void = { _ in })
        async throws -> Report
    {
        let started = Date()
        let logPath = folder + "/events.jsonl"
        guard FileManager.default.fileExists(atPath: logPath) else {
            throw EvalError.missingFile(path: logPath, hint: "run from the repository root or pass --dataset")
        }
        progress(.loading(folder: folder))
        let data = try RetrievalDataset.load(directory: folder)
        var requests = try ReplayRequest.loadLog(logPath)
        if let logOrderSeed {
            var rng = SplitMix64(seed: logOrderSeed)
            requests.shuffle(using: &rng)
        }
        let encoder = try? MiniLMEncoder(precision: .float32)  // beside the dataset's float vectors
        progress(.loaded(tools: data.tools.count, queries: data.queries.count, events: requests.count, encoderAvailable: encoder != nil))

        var configuration = GantryConfiguration(storePath: nil)
        configuration.training.rank = 16
        // The log's own time: 1 ms per reading, whatever the machine's speed (on real time a slow
        // debug run outlasted the breakers' 30 s cool-down and changed what the demo shows).
        configuration.clock = .stepping(from: Date(timeIntervalSince1970: 1_790_000_000), by: 0.001)
        let gantry = try await data.gantry(configuration: configuration, embedder: try data.embedder(fallback: encoder))
        let test = data.indices(of: .test)
        let logged = Set(requests.map(\.query))
        let repeated = data.queries.indices.filter { logged.contains(data.queries[$0].text) }
        func measure() async throws -> (test: Replay.Measurement, repeated: Replay.Measurement) {
            (try await Replay.measure(gantry, data, test), try await Replay.measure(gantry, data, repeated))
        }

        progress(.frozenEvaluation(test: test.count, repeated: repeated.count))
        let frozen = try await measure()
        var denseOnly = configuration
        denseOnly.lexicalWeight = 0
        let frozenDense = try await Replay.measure(try await data.gantry(configuration: denseOnly, embedder: try data.embedder(fallback: encoder)),
                                                   data, test)
        progress(.replaying(events: requests.count))
        let trace = try await Replay.replay(requests, into: gantry, limit: 5) { progress(.replayed(done: $0, total: $1)) }
        let afterFeedback = try await measure()
        progress(.training(events: requests.count, rank: configuration.training.rank))
        let summary = try await gantry.train()
        let afterTraining = try await measure()

        let teamQuery = "send a notification to the team"
        var teams = [String: String]()
        for team in ["A", "B"] {
            teams[team] = try await gantry.retrieveTools(teamQuery, limit: 3, context: RoutingContext(user: "new", team: team)).first?.tool.name ?? "—"
        }
        var breakers = [String: String]()
        for tool in ["restart_service", "sms_notify", "email_notify"] { breakers[tool] = try await gantry.breakerState(of: tool).rawValue }
        let newText = "I'd like to stop paying for my plan for good"
        let newTextMatches = encoder == nil ? nil : try await gantry.retrieveTools(newText, limit: 3).map { Report.Match(tool: $0.tool.name, score: $0.score) }

        return Report(dataset: data.name, tools: data.tools.count, events: requests.count, logOrderSeed: logOrderSeed, corrections: trace.corrections,
                      learningCurve: trace.learningCurve(block: curveBlock), onlineTop1: trace.top1, curveBlock: curveBlock,
                      frozenDense: frozenDense, frozen: frozen.test, afterFeedback: afterFeedback.test, afterTraining: afterTraining.test,
                      repeatedRequests: repeated.count, frozenRepeated: frozen.repeated, afterFeedbackRepeated: afterFeedback.repeated,
                      afterTrainingRepeated: afterTraining.repeated, trainingApplied: summary.applied, lexicalWeight: await gantry.servedLexicalWeight,
                      lexicalWeightReason: summary.lexicalWeightReason, feedbackMemoryThreshold: summary.feedbackMemoryThreshold,
                      feedbackMemoryThresholdReason: summary.feedbackMemoryThresholdReason, trainingReason: summary.reason,
                      trainingReport: summary.report, teamTop1: teams, teamQuery: teamQuery, breakers: breakers,
                      newTextMatches: newTextMatches, newText: newText, seconds: Date().timeIntervalSince(started),
                      trainingRank: configuration.training.rank, encoderAvailable: encoder != nil)
    }
}

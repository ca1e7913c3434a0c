import AgentGantry
import ArgumentParser
import Foundation
import GantryEmbed
import GantryEval
import GantryIndex
import GantryIO

/// `gantry replay`: evaluation by replay of a dataset's training queries (`Replay.run`).
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a dataset's training queries through AgentGantry (route, record mistakes as feedback), then measure the test split: static routing, feedback memory, after train().")

    @Option(help: "Dataset folder (tools.jsonl, queries.jsonl, tools.npy, queries.npy).") var dataset: String
    @Option(parsing: .unconditional, help: "Seed of the replay order.") var seed: UInt64 = 0
    @Option(help: "Write the result (with the learning curve) as JSON.") var json: String?
    @Option(help: ArgumentHelp("A simulated agent that picks from the top 5 with a position bias and reports selections and outcomes "
                               + "by retrieval id, correcting no failure (implicit), one in ten (mixed) or every one (explicit); "
                               + "without it, the first result is taken and every mistake corrected.", valueName: "mode"))
    var agent: SimulatedAgent.Mode?
    @Option(name: .customLong("weight"), parsing: .singleValue,
            help: ArgumentHelp("A signal's weight, as SIGNAL=VALUE (repeatable). Signals and defaults: "
                + Signal.allCases.map { "\($0.name)=\(GantryConfiguration.Weights.defaultWeights[$0])" }.joined(separator: ", ") + ".",
                valueName: "signal=value"))
    var weights: [SignalWeight] = []
    @Option(parsing: .unconditional, help: "Lexical share of the first stage, 0...1 (default: learned by train(), else the prior \(ScoreFusion.priorWeight); 0: dense only).")
    var lexicalWeight: Float?
    @Option(parsing: .unconditional, help: "MMR λ (1: no diversity).") var mmrLambda = GantryConfiguration(storePath: nil).mmrLambda
    @Option(parsing: .unconditional, help: "Feedback memory: lowest query similarity that counts (default: learned by train(), else 0.6).")
    var memoryThreshold: Float?
    @Option(parsing: .unconditional, help: ArgumentHelp("Share of retrievals whose shortlist exploration reorders (two neighbours below "
                                                        + "the first), so that train() measures and corrects the agent's position bias (0: none)."))
    var explorationRate = GantryConfiguration(storePath: nil).explorationRate
    @Option(parsing: .unconditional, help: "Run train() after every N replayed queries too, as a deployment trains now and then (default: only after the replay).")
    var trainEvery: Int?
    @Flag(help: "Register a seeded fifth of the tools only after the replay (their queries left out of it), and measure their queries apart.")
    var unseenTools = false

    func validate() throws {
        if let lexicalWeight, !(lexicalWeight.isFinite && (0...1).contains(lexicalWeight)) {
            throw ValidationError("--lexical-weight must be within 0...1, got \(lexicalWeight)")
        }
        if let trainEvery, trainEvery < 1 { throw ValidationError("--train-every must be at least 1, got \(trainEvery)") }
        guard explorationRate.isFinite, (0...0.5).contains(explorationRate) else {
            throw ValidationError("--exploration-rate must be within 0...0.5, got \(explorationRate)")
        }
    }

    func run() async throws {
        let data = try RetrievalDataset.load(directory: dataset)
        // The dataset's vectors serve its own texts; anything else goes to the encoder (if present).
        let embedder = try data.embedder(fallback: try? MiniLMEncoder(precision: .float32))  // beside the dataset's float vectors
        let bar = ProgressBar(total: data.indices(of: .train).count, label: "replay")
        let result = try await Replay.run(dataset: data, configuration: configuration, embedder: embedder,
                                          seed: seed, agent: agent.map(SimulatedAgent.init(mode:)), trainEvery: trainEvery,
                                          unseenTools: unseenTools) { done, _ in bar.update(done) }
        if let counts = result.agentCounts, let agent {
            print("\(data.name): \(result.events) training queries replayed by the \(agent.rawValue) agent: \(counts.selections) selections, "
                  + "\(counts.failures) failed calls, \(counts.corrections) corrections")
        } else {
            print("\(data.name): \(result.events) training queries replayed, \(result.mistakesRecorded) mistakes recorded as feedback")
        }
        if let every = result.trainEvery {
            print("train() every \(every) queries during the replay: \(result.appliedTrainings) applied an adapter")
        }
        print("learning curve (top-1 per \(result.curveBlock) queries): first \(format(result.learningCurve.first)), "
            + "last \(format(result.learningCurve.last))")
        print("\n| test split (\(result.staticRouting.metrics.queries) queries) | top-1 | MRR@10 | R@5 |")
        print("|---|---|---|---|")
        let afterReplay = result.trainEvery == nil ? "feedback memory after replay" : "after replay (with the adapters trained during it)"
        for (name, m) in [("static routing (fixed formula, frozen)", result.staticRouting), (afterReplay, result.feedbackMemory),
                          ("after train()", result.afterTraining)] {
            print(String(format: "| %@ | %.4f | %.4f | %.4f |", name, m.top1, m.metrics.mrrAt10, m.metrics.recallAt5))
        }
        if let unseen = result.unseenTools {
            print("\n| queries of the \(unseen.heldOutTools) tools registered after the replay (\(unseen.frozen.metrics.queries)) | top-1 | MRR@10 | R@5 |")
            print("|---|---|---|---|")
            for (name, m) in [("frozen (nothing learned)", unseen.frozen), ("after the replay (learned signals, no adapter yet)", unseen.afterReplay),
                              ("after train()", unseen.afterTraining)] {
                print(String(format: "| %@ | %.4f | %.4f | %.4f |", name, m.top1, m.metrics.mrrAt10, m.metrics.recallAt5))
            }
        }
        if !result.trainingApplied { print("train() kept the previous state: \(result.trainingReason ?? "")") }
        if let reason = result.feedbackMemoryThresholdReason { print("train(): \(reason)") }
        if result.reportedRetrievals > 0 {
            let bias = result.positionPropensities.map { "picks weighted by 1/θ, θ by rank measured as "
                + $0.map { String(format: "%.2f", $0) }.joined(separator: ", ") } ?? "every pick weighted 1 (no explored retrievals to measure position bias)"
            print("train() learned from \(result.reportedRetrievals) reported retrievals; \(bias)")
        }
        print(String(format: "%.1f s", result.seconds))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try BinaryFile.writeAtomically(Array(try encoder.encode(result)), to: json)
        }
    }

    /// The routing configuration the options describe (in memory, no store).
    private var configuration: GantryConfiguration {
        var configuration = GantryConfiguration(storePath: nil)
        for weight in weights { configuration.weights[weight.signal] = weight.value }
        configuration.lexicalWeight = lexicalWeight
        configuration.mmrLambda = mmrLambda
        configuration.feedbackMemoryThreshold = memoryThreshold
        configuration.explorationRate = explorationRate
        return configuration
    }

    private func format(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "—" }
}

extension SimulatedAgent.Mode: ExpressibleByArgument {}

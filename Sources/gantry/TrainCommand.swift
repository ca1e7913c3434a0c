import AgentGantry
import ArgumentParser
import Foundation
import GantryAdapt
import GantryEmbed
import GantryIO
import GantryMath

/// Options shared by `train` and `eval` that pick the data.
struct DatasetOptions: ParsableArguments {
    @Option(help: "Dataset folder: tools.jsonl, queries.jsonl (with split), tools.npy, queries.npy [, feedback.jsonl].")
    var dataset: String
    @Flag(help: "Hold out 20% of the tools entirely (all their queries go to evaluation): what a newly registered tool experiences.")
    var unseenTools = false
    @Option(help: "Seed of the held-out tools.") var splitSeed: UInt64 = 0
}

/// The embedding model identity a dataset's vectors come from (its embeddings.json, else MiniLM's).
func modelIdentity(of dataset: RetrievalDataset, folder: String) -> String {
    if let data = FileManager.default.contents(atPath: folder + "/embeddings.json"),
       let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
       let model = object["model"] as? String {
        return model
    }
    return "sentence-transformers/all-MiniLM-L6-v2"
}

/// `gantry train`: the offline batch job.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a low-rank adapter from a dataset's training queries (and feedback), then compare frozen and adapted retrieval on its test split; or, with --store, fold an AgentGantry store's feedback into its adapter.")

    @Option(help: "Dataset folder: tools.jsonl, queries.jsonl (with split), tools.npy, queries.npy [, feedback.jsonl].")
    var dataset: String?
    @Option(help: "An AgentGantry store (SQLite): train from its feedback events and keep the adapter in it.")
    var store: String?
    @Flag(help: "Hold out 20% of the tools entirely (all their queries go to evaluation): what a newly registered tool experiences.")
    var unseenTools = false
    @Option(help: "Seed of the held-out tools.") var splitSeed: UInt64 = 0
    @Option(help: "Adapter rank r (1 … d).") var rank = 32
    @Option(help: "Triplet margin on cosine similarity.") var margin: Float = 0.2
    @Option(help: "Most epochs (early stopping on validation MRR@10).") var epochs = 30
    @Option(help: "Epochs without a better validation MRR@10 before stopping.") var patience = TrainingConfiguration().patience
    @Option(help: "Triplets per step.") var batch = 256
    @Option(help: "Peak Adam learning rate (cosine decay to 5% over the epochs).") var lr: Float = TrainingConfiguration().learningRate
    @Option(help: "Decoupled weight decay.") var weightDecay: Float = 1e-4
    @Option(help: "Seed of shuffling, validation split and initialisation.") var seed: UInt64 = 0
    @Option(help: "Adapt queries only, or queries and tools.") var side: LowRankAdapter.Side = .both
    @Option(help: "Hard negatives per (query, tool) pair, re-mined every epoch.") var hardNegatives = 4
    @Option(help: "Random negatives per pair.") var randomNegatives = 1
    @Flag(inversion: .prefixedNo, help: "Learn an offset per training tool.") var toolOffsets = true
    @Flag(inversion: .prefixedNo, help: "Every wrong tool in a step's batch is a negative of each anchor (batch-all).")
    var batchAll = TrainingConfiguration().batchAllNegatives
    @Flag(help: "Start from the closed-form ridge solution (LAPACK) instead of the identity.") var warmStart = false
    @Option(help: "Per-step decay of the parameter average that competes on validation (0: off).")
    var averaging: Float = TrainingConfiguration().parameterAveraging
    @Option(help: "Threads for BLAS (default: OpenBLAS's choice).") var threads: Int?
    @Option(help: "Adapter file to write (with --dataset).") var output: String?
    @Option(help: "Write the run as JSON (configuration, epochs, metrics, timings).") var report: String?

    func validate() throws {
        guard (dataset == nil) != (store == nil) else { throw ValidationError("give either --dataset or --store") }
        if dataset != nil, output == nil { throw ValidationError("--dataset needs --output (the adapter file to write)") }
    }

    func run() async throws {
        if let threads { try BLAS.setThreadCount(threads) }
        let configuration = trainingConfiguration()
        if let store { return try await trainStore(store, configuration) }
        try trainDataset(dataset!, output: output!, configuration)
    }

    private func trainingConfiguration() -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        configuration.rank = rank
        configuration.margin = margin
        configuration.epochs = epochs
        configuration.patience = patience
        configuration.batchSize = batch
        configuration.learningRate = lr
        configuration.weightDecay = weightDecay
        configuration.seed = seed
        configuration.side = side
        configuration.hardNegatives = hardNegatives
        configuration.randomNegatives = randomNegatives
        configuration.toolOffsets = toolOffsets
        configuration.batchAllNegatives = batchAll
        configuration.warmStart = warmStart
        configuration.parameterAveraging = averaging
        return configuration
    }

    /// Folds a store's feedback into its adapter, as `AgentGantry.train()` does in an app.
    private func trainStore(_ path: String, _ training: TrainingConfiguration) async throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no store at \(path)") }
        var configuration = GantryConfiguration(storePath: path)
        configuration.training = training
        let gantry = try await AgentGantry(configuration: configuration)
        let summary = try await gantry.train()
        print("\(path): \(await gantry.tools.count) tools, \(summary.events) feedback events")
        if let report = summary.report {
            print(String(format: "validation MRR@10 %.4f (current) → %.4f (trained, epoch %d)", report.identityValidation.mrrAt10,
                         report.bestValidation.mrrAt10, report.bestEpoch))
        }
        print(summary.applied ? "the new adapter is stored and in use" : "kept the current state: \(summary.reason ?? "")")
    }

    private func trainDataset(_ folder: String, output: String, _ configuration: TrainingConfiguration) throws {
        let clock = ContinuousClock()
        let start = clock.now
        let dataset = try RetrievalDataset.load(directory: folder)
        let model = modelIdentity(of: dataset, folder: folder)
        let split = unseenTools ? dataset.unseenToolSplit(seed: splitSeed) : nil
        let trainIndices = split?.training ?? dataset.indices(of: .train)
        let trainingSet = try dataset.trainingSet(trainIndices, excludingTools: split?.heldOut ?? [])
        let unmatched = trainingSet.unmatchedCorrections
        print("\(dataset.name): \(dataset.tools.count) tools, \(trainIndices.count) training queries"
            + (split.map { ", \($0.heldOut.count) tools held out" } ?? "")
            + (dataset.corrections.isEmpty ? "" : ", \(dataset.corrections.count - unmatched.count) corrections as explicit negatives"))
        if !unmatched.isEmpty { print("note: \(unmatched.count) corrections name query texts outside the training split; not used") }

        var bar: ProgressBar?
        let trainer = TripletTrainer(configuration)
        let (adapter, run) = try trainer.train(tools: trainingSet.tools, toolIDs: trainingSet.toolIDs, examples: trainingSet.examples) { event in
            switch event {
            case let .step(epoch, done, total, _):
                if bar == nil { bar = ProgressBar(total: total, label: "epoch \(epoch)") }
                bar?.update(done)
            case let .epochEnded(report):
                bar = nil
                print(String(format: "epoch %2d  loss %.4f  active %.2f  validation MRR@10 %.4f  R@1 %.4f  (%d triplets, %.2f s)",
                             report.epoch, report.loss, report.activeFraction, report.validation.mrrAt10,
                             report.validation.recallAt1, report.triplets, report.seconds))
            }
        }
        let chosen = run.bestEpoch == 0 ? "the identity (no epoch beat the frozen embeddings on validation)" : "epoch \(run.bestEpoch)"
        print(String(format: "kept %@; validation MRR@10 %.4f → %.4f; %.0f triplets/s in steps (%.1f GFLOP/s)",
                     chosen, run.identityValidation.mrrAt10, run.bestValidation.mrrAt10, run.tripletsPerSecond, run.stepGFLOPs))

        let testIndices = split?.seen ?? dataset.indices(of: .test)
        var tables: [(String, RetrievalMetrics, RetrievalMetrics)] = []
        tables.append((split == nil ? "test" : "test, seen tools", try dataset.evaluate(testIndices), try dataset.evaluate(testIndices, adapter: adapter)))
        if let split {
            tables.append(("all queries of held-out tools", try dataset.evaluate(split.unseen), try dataset.evaluate(split.unseen, adapter: adapter)))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let trainingJSON = String(decoding: try encoder.encode(configuration), as: UTF8.self)
        let metricsJSON = String(decoding: try encoder.encode(Dictionary(uniqueKeysWithValues: tables.map { ($0.0, $0.2) })), as: UTF8.self)
        try AdapterFile.save(adapter, modelIdentity: model, trainingJSON: trainingJSON, metricsJSON: metricsJSON, to: output)
        for (name, frozen, adapted) in tables { printComparison(name, frozen, adapted) }
        let seconds = Double((clock.now - start).components.seconds) + Double((clock.now - start).components.attoseconds) / 1e18
        print(String(format: "adapter (rank %d, side %@, %d tool offsets) written to %@ in %.1f s total",
                     adapter.rank, adapter.side.rawValue, adapter.toolOffsets.count, output, seconds))
        if let report {
            let payload = TrainingRunReport(dataset: dataset.name, run: run, evaluations: tables.map { .init(split: $0.0, frozen: $0.1, adapted: $0.2) },
                                            totalSeconds: seconds)
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try BinaryFile.writeAtomically(Array(try encoder.encode(payload)), to: report)
        }
    }
}

/// The JSON `gantry train --report` writes.
struct TrainingRunReport: Codable {
    struct Evaluation: Codable {
        var split: String
        var frozen: RetrievalMetrics
        var adapted: RetrievalMetrics
    }
    var dataset: String
    var run: TrainingReport
    var evaluations: [Evaluation]
    var totalSeconds: Double
}

func printComparison(_ title: String, _ frozen: RetrievalMetrics, _ adapted: RetrievalMetrics) {
    print("\n\(title) (\(frozen.queries) queries)")
    print("| | R@1 | R@5 | R@10 | MRR@10 | NDCG@10 | COMP@5 |")
    print("|---|---|---|---|---|---|---|")
    for (name, m) in [("frozen", frozen), ("adapted", adapted)] {
        print(String(format: "| %@ | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |", name, m.recallAt1, m.recallAt5, m.recallAt10, m.mrrAt10, m.ndcgAt10, m.compAt5))
    }
}

extension LowRankAdapter.Side: ExpressibleByArgument {}

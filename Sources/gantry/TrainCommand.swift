import AgentGantry
import ArgumentParser
import Foundation
import GantryAdapt
import GantryEval
import GantryMath

/// `gantry train`: the offline batch job.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a low-rank adapter from a dataset's training queries (and feedback), then compare frozen and adapted retrieval on its test split; or, with --store, fold an AgentGantry store's feedback into its adapter.")

    // `DatasetOptions` without its required `--dataset`: here `--store` is the alternative.
    @Option(help: DatasetOptions.datasetHelp) var dataset: String?
    @Option(help: "An AgentGantry store (a SQLite file or a postgres:// URL): train from its feedback events and keep the adapter in it.")
    var store: String?
    @OptionGroup var split: SplitOptions
    @Option(parsing: .unconditional, help: "Adapter rank r (1 … d).") var rank = 32
    @Option(parsing: .unconditional, help: "Triplet margin on cosine similarity.") var margin: Float = 0.2
    @Option(parsing: .unconditional, help: "Most epochs (early stopping on the selection requests' MRR@10).") var epochs = 30
    @Option(parsing: .unconditional, help: "Epochs without a better selection MRR@10 before stopping.") var patience = TrainingConfiguration().patience
    @Option(parsing: .unconditional, help: "Triplets per step.") var batch = 256
    @Option(parsing: .unconditional, help: "Peak Adam learning rate (cosine decay to 5% over the epochs).") var lr: Float = TrainingConfiguration().learningRate
    @Option(parsing: .unconditional, help: "Decoupled weight decay.") var weightDecay: Float = 1e-4
    @Option(parsing: .unconditional, help: "Seed of the split into folds, shuffling and initialisation.") var seed: UInt64 = 0
    @Option(help: "Adapt queries only, or queries and tools.") var side: LowRankAdapter.Side = .both
    @Option(parsing: .unconditional, help: "Hard negatives per (query, tool) pair, re-mined every epoch.") var hardNegatives = 4
    @Option(parsing: .unconditional, help: "Random negatives per pair.") var randomNegatives = 1
    @Flag(inversion: .prefixedNo, help: "Learn an offset per training tool.") var toolOffsets = true
    @Flag(inversion: .prefixedNo, help: "Every wrong tool in a step's batch is a negative of each anchor (batch-all).")
    var batchAll = TrainingConfiguration().batchAllNegatives
    @Flag(help: "Start from the closed-form ridge solution (LAPACK) instead of the identity.") var warmStart = false
    @Option(parsing: .unconditional, help: "Per-step decay of the parameter average that competes on selection (0: off).")
    var averaging: Float = TrainingConfiguration().parameterAveraging
    @Option(parsing: .unconditional, help: "Threads for BLAS (default: OpenBLAS's choice).") var threads: Int?
    @Option(help: "Adapter file to write (with --dataset).") var output: String?
    @Option(help: "Write the run as JSON (configuration, epochs, metrics, timings).") var report: String?

    func validate() throws {
        guard dataset == nil || store == nil else { throw ValidationError("give either --dataset or --store, not both") }
        guard dataset != nil || storeLocation != nil else {
            throw ValidationError("give --dataset, or the store with --store or in \(StoreLocation.environmentVariable)")
        }
        if dataset != nil, output == nil { throw ValidationError("--dataset needs --output (the adapter file to write)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        // Settings out of range are usage errors (exit 64), named as their options are.
        do { try trainingConfiguration().validate() } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        if let threads { try BLAS.setThreadCount(threads) }
        let configuration = trainingConfiguration()
        if dataset == nil, let storeLocation { return try await trainStore(storeLocation, configuration) }
        try trainDataset(dataset!, output: output!, configuration)
    }

    /// The store to train: `--store`, or `GANTRY_STORE_URL` when there is no `--dataset` either.
    private var storeLocation: StoreLocation? {
        guard store != nil || dataset == nil else { return nil }
        return try? StoreLocation(store)
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
    private func trainStore(_ location: StoreLocation, _ training: TrainingConfiguration) async throws {
        var configuration = GantryConfiguration(storePath: nil)
        configuration.training = training
        configuration.reembedOnModelChange = false  // a batch job trains the store's model, never replaces it
        let gantry = try await location.openGantry(configuration, create: false,
                                                   hint: "give the SQLite file of an AgentGantry store (no store is created here)")
        let summary = try await gantry.train()
        let reported = summary.reportedRetrievals > 0 ? " and \(summary.reportedRetrievals) retrievals reported with a successful call" : ""
        print("\(location): \(await gantry.tools.count) tools, \(summary.events) feedback events\(reported) of \(summary.requests) distinct requests"
            + (summary.otherModelEvents > 0 ? " (\(summary.otherModelEvents) more embedded by another model, left out)" : ""))
        if let propensities = summary.positionPropensities {
            print("position bias measured from explored retrievals (θ by rank): " + propensities.map { String(format: "%.2f", $0) }.joined(separator: ", "))
        }
        if let report = summary.report {
            print(String(format: "selection MRR@10 %.4f (frozen) → %.4f (trained, epoch %d) on %d requests", report.identityValidation.mrrAt10,
                         report.bestValidation.mrrAt10, report.bestEpoch, report.selectionRequests))
        }
        if let version = summary.adapterVersion {
            print("gate: " + (summary.gate?.explanation ?? ""))
            print("the new adapter is stored as version \(version); processes that have the store open serve it once they follow "
                + "the store (every followInterval, 250 ms by default), processes that open it from now on at once")
        } else {
            print("kept the current state: \(summary.reason ?? "")")
        }
    }

    private func trainDataset(_ folder: String, output: String, _ configuration: TrainingConfiguration) throws {
        let dataset = try RetrievalDataset.load(directory: folder)
        let pipeline = TrainingPipeline(configuration: configuration, split: split.choice)
        var bar: ProgressBar?
        let (adapter, result) = try pipeline.run(dataset, output: output, report: report) { progress in
            switch progress {
            case .prepared(let p):
                print("\(dataset.name): \(p.tools) tools, \(p.trainingQueries) training queries"
                    + (p.heldOutTools.map { ", \($0) tools held out" } ?? "")
                    + (dataset.corrections.isEmpty ? "" : ", \(p.correctionsUsed) corrections as explicit negatives"))
                if p.correctionsUnmatched > 0 {
                    print("note: \(p.correctionsUnmatched) corrections name query texts outside the training split; not used")
                }
            case let .training(.step(epoch, done, total, _)):
                if bar == nil { bar = ProgressBar(total: total, label: "epoch \(epoch)") }
                bar?.update(done)
            case let .training(.epochEnded(report)):
                bar = nil
                print(String(format: "epoch %2d  loss %.4f  active %.2f  selection MRR@10 %.4f  R@1 %.4f  (%d triplets, %.2f s)",
                             report.epoch, report.loss, report.activeFraction, report.validation.mrrAt10,
                             report.validation.recallAt1, report.triplets, report.seconds))
            }
        }
        let run = result.run
        let chosen = run.bestEpoch == 0 ? "the identity (no epoch beat the frozen embeddings on the selection requests)" : "epoch \(run.bestEpoch)"
        print(String(format: "kept %@; selection MRR@10 %.4f → %.4f on %d held-out requests; %.0f triplets/s in steps (%.1f GFLOP/s)",
                     chosen, run.identityValidation.mrrAt10, run.bestValidation.mrrAt10, run.selectionRequests, run.tripletsPerSecond, run.stepGFLOPs))
        for evaluation in result.evaluations {
            print("\n\(evaluation.split) (\(evaluation.frozen.queries) queries)")
            printMetricsTable([("frozen", evaluation.frozen), ("adapted", evaluation.adapted)], heading: "")
        }
        print(String(format: "adapter (rank %d, side %@, %d tool offsets) written to %@ in %.1f s total",
                     adapter.rank, adapter.side.rawValue, adapter.toolOffsets.count, output, result.totalSeconds))
    }
}

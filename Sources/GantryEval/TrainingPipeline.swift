import Foundation
import GantryAdapt
import GantryIO
import GantryMath

/// The offline batch job `gantry train --dataset` runs: dataset → split → train → evaluate →
/// save the adapter file (and, if asked, a JSON report of the run).
public struct TrainingPipeline: Sendable {
    /// Which queries train and which evaluate.
    public enum SplitChoice: Sendable {
        /// The dataset's own `split` field.
        case datasetSplit
        /// A seeded 20% of the tools held out entirely: what a newly registered tool experiences.
        case unseenTools(seed: UInt64)
    }

    /// What the trainer is given, before it starts.
    public struct Preparation: Sendable {
        /// Tools in the catalog.
        public var tools: Int
        /// Queries the trainer learns from.
        public var trainingQueries: Int
        /// Tools held out entirely (`.unseenTools`), nil with the dataset's split.
        public var heldOutTools: Int?
        /// Corrections of `feedback.jsonl` used as explicit negatives.
        public var correctionsUsed: Int
        /// Corrections whose query is outside the training split (not used).
        public var correctionsUnmatched: Int
    }

    /// Frozen and adapted metrics of one evaluation split.
    public struct Evaluation: Sendable, Codable {
        /// Which queries: "test", "test, seen tools" or "all queries of held-out tools".
        public var split: String
        /// Metrics of the frozen embeddings.
        public var frozen: RetrievalMetrics
        /// Metrics through the trained adapter.
        public var adapted: RetrievalMetrics
    }

    /// What a run did; encoded as the `--report` JSON.
    public struct Run: Sendable, Codable {
        /// The dataset's name.
        public var dataset: String
        /// The trainer's epochs, validation and speed.
        public var run: TrainingReport
        /// Frozen and adapted metrics of each evaluation split.
        public var evaluations: [Evaluation]
        /// Seconds from the split to the saved adapter (loading the dataset not included).
        public var totalSeconds: Double
    }

    /// Progress of a run, in order: `.prepared` once, then the trainer's steps and epochs.
    public enum Progress: Sendable {
        /// The split is made; what the trainer is given.
        case prepared(Preparation)
        /// A step or an epoch of the trainer.
        case training(TrainingProgress)
    }

    /// How the adapter is trained.
    public var configuration: TrainingConfiguration
    /// Which queries train and which evaluate.
    public var split: SplitChoice

    /// A pipeline training with `configuration` on the queries `split` chooses.
    public init(configuration: TrainingConfiguration = TrainingConfiguration(), split: SplitChoice = .datasetSplit) {
        self.configuration = configuration
        self.split = split
    }

    /// Trains on `dataset`, evaluates frozen vs adapted on the held-out queries, writes the
    /// adapter to `output` (atomically) and, with `report`, the run as JSON. Returns the adapter
    /// and the run.
    public func run(_ dataset: RetrievalDataset, output: String, report: String? = nil,
                    progress: ((Progress) -> Void)? = nil) throws -> (adapter: LowRankAdapter, run: Run) {
        let clock = ContinuousClock()
        let start = clock.now
        let unseen = if case .unseenTools(let seed) = split { dataset.unseenToolSplit(seed: seed) } else { nil as RetrievalDataset.UnseenToolSplit? }
        let trainIndices = unseen?.training ?? dataset.indices(of: .train)
        let trainingSet = try dataset.trainingSet(trainIndices, excludingTools: unseen?.heldOut ?? [])
        let unmatched = trainingSet.unmatchedCorrections.count
        progress?(.prepared(Preparation(tools: dataset.tools.count, trainingQueries: trainIndices.count, heldOutTools: unseen?.heldOut.count,
                                        correctionsUsed: dataset.corrections.count - unmatched, correctionsUnmatched: unmatched)))

        let (adapter, trainingReport) = try TripletTrainer(configuration).train(
            tools: trainingSet.tools, toolIDs: trainingSet.toolIDs, examples: trainingSet.examples) { progress?(.training($0)) }

        let testIndices = unseen?.seen ?? dataset.indices(of: .test)
        var evaluations = [Evaluation(split: unseen == nil ? "test" : "test, seen tools", frozen: try dataset.evaluate(testIndices),
                                      adapted: try dataset.evaluate(testIndices, adapter: adapter))]
        if let unseen {
            evaluations.append(Evaluation(split: "all queries of held-out tools", frozen: try dataset.evaluate(unseen.unseen),
                                          adapted: try dataset.evaluate(unseen.unseen, adapter: adapter)))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let trainingJSON = String(decoding: try encoder.encode(configuration), as: UTF8.self)
        let metricsJSON = String(decoding: try encoder.encode(Dictionary(uniqueKeysWithValues: evaluations.map { ($0.split, $0.adapted) })),
                                 as: UTF8.self)
        try AdapterFile.save(adapter, modelIdentity: dataset.embeddingModel, trainingJSON: trainingJSON, metricsJSON: metricsJSON, to: output)
        let run = Run(dataset: dataset.name, run: trainingReport, evaluations: evaluations, totalSeconds: (clock.now - start).seconds)
        if let report {
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try BinaryFile.writeAtomically(Array(try encoder.encode(run)), to: report)
        }
        return (adapter, run)
    }
}

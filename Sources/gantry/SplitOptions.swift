import ArgumentParser
import GantryEval

/// `--unseen-tools` and `--split-seed`: which queries train and which evaluate (`train`, `eval`).
struct SplitOptions: ParsableArguments {
    @Flag(help: "Hold out 20% of the tools entirely (all their queries go to evaluation): what a newly registered tool experiences.")
    var unseenTools = false
    @Option(parsing: .unconditional, help: "Seed of the held-out tools.") var splitSeed: UInt64 = 0

    /// The split these options choose.
    var choice: TrainingPipeline.SplitChoice { unseenTools ? .unseenTools(seed: splitSeed) : .datasetSplit }
}

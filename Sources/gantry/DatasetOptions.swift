import ArgumentParser

/// `--dataset` (required) and the split options: what `eval` reads.
struct DatasetOptions: ParsableArguments {
    /// The help of `--dataset`, shared with `train` (where `--store` is the alternative).
    static let datasetHelp = ArgumentHelp(
        "Dataset folder: tools.jsonl, queries.jsonl (with split), tools.npy, queries.npy [, feedback.jsonl].")

    @Option(help: datasetHelp) var dataset: String
    @OptionGroup var split: SplitOptions
}

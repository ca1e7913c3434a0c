import AgentGantry
import ArgumentParser
import Foundation
import GantryAdapt
import GantryEval
import GantryMath

/// Options shared by `train` and `eval` that pick the data.
struct DatasetOptions: ParsableArguments {
    @Option(help: "Dataset folder: tools.jsonl, queries.jsonl (with split), tools.npy, queries.npy [, feedback.jsonl].")
    var dataset: String
    @Flag(help: "Hold out 20% of the tools entirely (all their queries go to evaluation): what a newly registered tool experiences.")
    var unseenTools = false
    @Option(help: "Seed of the held-out tools.") var splitSeed: UInt64 = 0
}

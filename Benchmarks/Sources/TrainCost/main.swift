// CPU time of AgentGantry.train() on a store of N feedback events taken from a dataset's
// training queries (a correction where frozen routing's first tool is wrong, else a
// confirmation). Uses only API that 0.1 had too, so the same file measures an older checkout.
//
//   cd Benchmarks && swift run -c release TrainCost --dataset path/to/metatool [--events 12000] [--seed 0]
import AgentGantry
import Foundation
import GantryEval

let arguments = CommandLine.arguments
func option(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
guard let folder = option("--dataset") else {
    FileHandle.standardError.write(Data("usage: TrainCost --dataset DIR [--events 12000] [--seed 0]\n".utf8))
    exit(64)
}
let count = Int(option("--events") ?? "") ?? 12_000
let data = try RetrievalDataset.load(directory: folder)
var configuration = GantryConfiguration(storePath: nil)
configuration.training.seed = UInt64(option("--seed") ?? "") ?? 0
let gantry = try await data.gantry(configuration: configuration, embedder: try data.embedder(fallback: nil))
let training = data.indices(of: .train).prefix(count)
for i in training {
    let query = data.queries[i]
    let correct = data.tools[query.tools[0]].id
    let top = try await gantry.retrieveTools(query.text, limit: 1).first?.tool.name
    try await gantry.recordFeedback(query: query.text, selectedTool: top, correctTool: correct,
                                    feedbackType: top == correct ? .confirmed : .toolSelectionError)
}
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
let cpu = cpuSeconds(), wall = Date()
let summary = try await gantry.train()
let cpuUsed = cpuSeconds() - cpu, wallUsed = Date().timeIntervalSince(wall)
print(String(format: "%@: %d feedback events; train() %.2f s CPU, %.2f s wall; applied: %@%@", data.name, summary.events, cpuUsed, wallUsed,
             summary.applied ? "yes" : "no", summary.reason.map { " (\($0))" } ?? ""))

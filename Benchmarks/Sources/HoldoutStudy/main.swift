// How much feedback train() should hold out, measured across datasets: each dataset's training
// queries are replayed once through AgentGantry (mistakes recorded as corrections); then, for
// each holdout setting and seed, a fresh AgentGantry imports that feedback, trains, and its test
// split is measured. Prints test top-1 and MRR@10 (mean ± sd over seeds) and how often the gate
// applied the adapter. The defaults of TrainingConfiguration's holdout limits come from this run.
//
//   cd Benchmarks && swift run -c release HoldoutStudy --dataset path/to/metatool [--dataset …] [--seeds 3]
import AgentGantry
import Foundation
import GantryAdapt
import GantryEmbed
import GantryEval
import GantryMath

let arguments = CommandLine.arguments
let folders = arguments.indices.filter { arguments[$0] == "--dataset" && $0 + 1 < arguments.count }.map { arguments[$0 + 1] }
let seeds = arguments.firstIndex(of: "--seeds").flatMap { $0 + 1 < arguments.count ? UInt64(arguments[$0 + 1]) : nil } ?? 3
guard !folders.isEmpty else {
    FileHandle.standardError.write(Data("usage: HoldoutStudy --dataset DIR [--dataset DIR …] [--seeds 3]\n".utf8))
    exit(64)
}

/// Prints a line at once (a long run shows its progress; stdout to a file is block-buffered).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// A holdout setting: the selection and gate fractions and limits.
struct Setting {
    var name: String
    var selectionLimit: Int
    var gateLimit: Int
}
let settings = [
    Setting(name: "10% / 20%, no limits", selectionLimit: .max, gateLimit: .max),
    Setting(name: "limits 1000 / 250", selectionLimit: 1_000, gateLimit: 250),
    Setting(name: "limits 500 / 250", selectionLimit: 500, gateLimit: 250),
    Setting(name: "limits 250 / 250", selectionLimit: 250, gateLimit: 250),
    Setting(name: "limits 500 / 500", selectionLimit: 500, gateLimit: 500),
]

func meanAndDeviation(_ values: [Double]) -> (Double, Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    let spread = values.count > 1 ? (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot() : 0
    return (mean, spread)
}

for folder in folders {
    let data = try RetrievalDataset.load(directory: folder)
    let embedder = try data.embedder(fallback: try? MiniLMEncoder(precision: .float32))  // tool texts the dataset's file does not hold
    let test = data.indices(of: .test)
    let base = try await data.gantry(configuration: GantryConfiguration(storePath: nil), embedder: embedder)
    var order = data.indices(of: .train)
    var rng = SplitMix64(seed: 0)
    order.shuffle(using: &rng)
    let trace = try await Replay.replay(order.map { ReplayRequest(data, query: $0) }, into: base, limit: 10)
    let log = try await base.exportEvents()
    let memoryOnly = try await Replay.measure(base, data, test)
    say("\n\(data.name): \(data.tools.count) tools, \(order.count) training queries replayed, \(trace.corrections) corrections; "
          + String(format: "test top-1 %.4f with the feedback memory alone", memoryOnly.top1))
    say("| holdout (selection / gate) | test top-1 | test MRR@10 | applied | training requests | seconds per train() |")
    say("|---|---|---|---|---|---|")
    for setting in settings {
        var top1 = [Double](), mrr = [Double](), applied = 0, trainingRequests = 0, seconds = 0.0
        for seed in 0..<seeds {
            var configuration = GantryConfiguration(storePath: nil)
            configuration.training.seed = seed
            configuration.training.selectionRequestsLimit = setting.selectionLimit
            configuration.training.gateRequestsLimit = setting.gateLimit
            let gantry = try await data.gantry(configuration: configuration, embedder: embedder)
            _ = try await gantry.importEvents(log)
            let started = Date()
            let summary = try await gantry.train()
            seconds += Date().timeIntervalSince(started)
            applied += summary.applied ? 1 : 0
            trainingRequests = summary.report?.trainingRequests ?? 0
            let measured = try await Replay.measure(gantry, data, test)
            top1.append(measured.top1)
            mrr.append(measured.metrics.mrrAt10)
        }
        let (t, ts) = meanAndDeviation(top1), (m, ms) = meanAndDeviation(mrr)
        say(String(format: "| %@ | %.4f ± %.4f | %.4f ± %.4f | %d of %d | %d | %.1f |", setting.name, t, ts, m, ms, applied, Int(seeds),
                     trainingRequests, seconds / Double(seeds)))
    }
}

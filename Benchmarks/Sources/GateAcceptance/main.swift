// The training gate's acceptance run on the embedded support-desk data: for the log's first 40,
// 160 and all 669 events and 5 seeds each, replay the events into a fresh AgentGantry, measure
// test top-1 (300 paraphrases the log never contains), train(), and measure again. Prints one
// row per run and checks the promise: an adapter is applied only when the gate passed, and no
// applied adapter lowers test top-1 by more than 1 point. Exit status 1 if any run breaks it.
//
//   cd Benchmarks && swift run -c release GateAcceptance [--dataset ../datasets/support-desk] [--json F]
import AgentGantry
import Foundation
import GantryAdapt
import GantryEmbed
import GantryEval

struct Run: Codable {
    var events: Int
    var seed: UInt64
    var requests: Int
    var applied: Bool
    var gate: GateDecision?
    var moreRequestsNeeded: Int?
    var reason: String?
    var top1Before: Double
    var top1After: Double
    var trainSeconds: Double
}

let arguments = CommandLine.arguments
func option(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
let folder = option("--dataset") ?? "../datasets/support-desk"
let data = try RetrievalDataset.load(directory: folder)
let log = try ReplayRequest.loadLog(folder + "/events.jsonl")
let embedder = try data.embedder(fallback: try? MiniLMEncoder(precision: .float32))  // beside the dataset's float vectors
let test = data.indices(of: .test)
print("\(data.name): \(data.tools.count) tools, \(log.count) logged events, \(test.count) test queries")
print("| events | seed | requests | applied | gate: held-out, MRR served → new, gain, 95% bound | more requests needed | test top-1 before → after |")
print("|---|---|---|---|---|---|---|")
var runs = [Run]()
var broken = [String]()
for count in [40, 160, log.count] {
    for seed in UInt64(0)..<5 {
        var configuration = GantryConfiguration(storePath: nil)
        configuration.training.rank = 16
        configuration.training.seed = seed
        configuration.clock = .stepping(from: Date(timeIntervalSince1970: 1_790_000_000), by: 0.001)
        let gantry = try await data.gantry(configuration: configuration, embedder: embedder)
        _ = try await Replay.replay(Array(log.prefix(count)), into: gantry, limit: 5)
        let before = try await Replay.measure(gantry, data, test).top1
        let started = Date()
        let summary = try await gantry.train()
        let seconds = Date().timeIntervalSince(started)
        let after = try await Replay.measure(gantry, data, test).top1
        let run = Run(events: count, seed: seed, requests: summary.requests, applied: summary.applied, gate: summary.gate,
                      moreRequestsNeeded: summary.moreRequestsNeeded, reason: summary.reason, top1Before: before, top1After: after,
                      trainSeconds: seconds)
        runs.append(run)
        let gate = summary.gate.map {
            String(format: "%d, %.3f → %.3f, %+.3f, %@", $0.requests, $0.currentMRR, $0.candidateMRR, $0.gain,
                   $0.lowerBound.map { String(format: "%+.3f", $0) } ?? "—")
        } ?? (summary.report == nil ? "too few requests to train" : "no epoch beat the frozen embeddings on selection")
        print(String(format: "| %d | %d | %d | %@ | %@ | %@ | %.3f → %.3f |", count, Int(seed), summary.requests,
                     summary.applied ? "yes" : "no", gate, summary.moreRequestsNeeded.map(String.init) ?? "—", before, after))
        if summary.applied, !(summary.gate?.passed ?? false) { broken.append("\(count) events, seed \(seed): applied without passing the gate") }
        if summary.applied, after < before - 0.01 {
            broken.append(String(format: "%d events, seed %d: the applied adapter lowered test top-1 %.3f → %.3f", count, Int(seed), before, after))
        }
        if !summary.applied, after != before { broken.append("\(count) events, seed \(seed): not applied, yet top-1 changed") }
    }
}
if let path = option("--json") {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(runs).write(to: URL(fileURLWithPath: path))
}
for count in Set(runs.map(\.events)).sorted() {
    let group = runs.filter { $0.events == count }
    let applied = group.filter(\.applied)
    let change = applied.isEmpty ? 0 : applied.reduce(0) { $0 + $1.top1After - $1.top1Before } / Double(applied.count)
    print(String(format: "%d events: applied in %d of %d runs; mean test top-1 change where applied %+.3f", count, applied.count, group.count, change))
}
if broken.isEmpty {
    print("the gate kept its promise in every run")
} else {
    for line in broken { print("BROKEN: " + line) }
    exit(1)
}

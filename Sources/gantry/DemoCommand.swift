import ArgumentParser
import Foundation
import GantryEval
import GantryIO
import Synchronization

/// `gantry demo`: the whole product on the embedded support-desk data (`SupportDeskDemo.run`).
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole product on the embedded support-desk data: frozen evaluation, replay of the feedback log, train(), adapted evaluation, summary and report.")

    @Option(help: "Dataset folder with tools.jsonl, queries.jsonl, events.jsonl and their .npy embeddings.")
    var dataset = "datasets/support-desk"
    @Option(help: "Where to write the report (JSON).") var report = ".build/demo/report.json"
    @Option(parsing: .unconditional, help: "Events per point of the learning curve.") var curveBlock = 50
    @Option(help: "Replay the log in an order shuffled with this seed (default: as logged).") var shuffleLog: UInt64?

    func validate() throws {
        guard curveBlock >= 1 else { throw ValidationError("--curve-block must be at least 1") }
    }

    func run() async throws {
        let bar = Mutex<ProgressBar?>(nil)
        let result = try await SupportDeskDemo.run(folder: dataset, curveBlock: curveBlock, logOrderSeed: shuffleLog) { stage in
            switch stage {
            case .loading(let folder): print("▸ loading \(folder)")
            case let .loaded(tools, queries, events, encoder):
                print("  \(tools) tools, \(queries) queries, \(events) logged events; encoder for new text: "
                    + (encoder ? "MiniLM" : "not installed (run scripts/bootstrap)"))
            case let .frozenEvaluation(test, repeated):
                print("▸ frozen evaluation: the test split (\(test) paraphrases never seen in training) and the log's \(repeated) distinct requests")
            case .replaying(let events):
                print("▸ replaying the feedback log: route each request, then record the correction and the outcome")
                bar.withLock { $0 = ProgressBar(total: events, label: "replay") }
            case let .replayed(done, _): bar.withLock { $0?.update(done) }
            case let .training(events, rank): print("▸ train(): folding \(events) feedback events into a rank-\(rank) adapter")
            }
        }
        printSummary(result)
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys, .prettyPrinted]
        try FileManager.default.createDirectory(atPath: (report as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try BinaryFile.writeAtomically(Array(try json.encode(result)), to: report)
        print(String(format: "\nreport written to %@ (%.1f s)", report, result.seconds))
    }

    private func printSummary(_ r: SupportDeskDemo.Report) {
        print("\n\(r.dataset): new paraphrases (test split, \(r.frozen.metrics.queries)) and requests asked again (the log's \(r.repeatedRequests))")
        print("| routing | test top-1 | test MRR@10 | test R@5 | repeated top-1 |")
        print("|---|---|---|---|---|")
        let dense = r.frozenDense
        print(String(format: "| frozen, dense only | %.3f | %.3f | %.3f | — |", dense.top1, dense.metrics.mrrAt10, dense.metrics.recallAt5))
        for (name, m, again) in [("frozen", r.frozen, r.frozenRepeated), ("after the feedback log", r.afterFeedback, r.afterFeedbackRepeated),
                                 ("after train()", r.afterTraining, r.afterTrainingRepeated)] {
            print(String(format: "| %@ | %.3f | %.3f | %.3f | %.3f |", name, m.top1, m.metrics.mrrAt10, m.metrics.recallAt5, again.top1))
        }
        print(String(format: "(every row but the first is hybrid: dense and lexical scores fused; lexical weight %.2f after train()%@)",
                     r.lexicalWeight, r.lexicalWeightReason.map { ": " + $0 } ?? ""))
        print("(\(r.corrections) of the \(r.events) logged picks were corrected"
              + (r.logOrderSeed.map { "; the log replayed in the order shuffled with seed \($0)" } ?? "") + ")")
        print(String(format: "\ntop-1 while the log arrived: %.3f; per %d requests: ", r.onlineTop1, r.curveBlock)
            + r.learningCurve.map { String(format: "%.2f", $0) }.joined(separator: " "))
        if let gate = r.trainingReport?.gate, r.trainingApplied {
            print("train(): adapter applied (" + gate.explanation + ")")
            if let reason = r.feedbackMemoryThresholdReason { print("train(): " + reason) }
        } else {
            print("train(): kept the previous state (\(r.trainingReason ?? ""))")
        }
        print("\"\(r.teamQuery)\": team A → \(r.teamTop1["A"] ?? "—"), team B → \(r.teamTop1["B"] ?? "—")")
        print("circuit breakers: " + r.breakers.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if let matches = r.newTextMatches {
            print("new text, embedded by MiniLM: \"\(r.newText)\" → " + matches.map { String(format: "%@ (%.2f)", $0.tool, $0.score) }.joined(separator: ", "))
        }
    }
}

import AgentGantry
import ArgumentParser
import Foundation
import GantryAdapt
import GantryEmbed
import GantryIO
import GantryMath

/// `gantry demo`: the whole product on the embedded support-desk data.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole product on the embedded support-desk data: frozen evaluation, replay of the feedback log, train(), adapted evaluation, summary and report.")

    @Option(help: "Dataset folder with tools.jsonl, queries.jsonl, events.jsonl and their .npy embeddings.")
    var dataset = "datasets/support-desk"
    @Option(help: "Where to write the report (JSON).") var report = ".build/demo/report.json"
    @Option(help: "Events per point of the learning curve.") var curveBlock = 50

    func validate() throws {
        guard curveBlock >= 1 else { throw ValidationError("--curve-block must be at least 1") }
    }

    struct Event: Decodable {
        var session: String, user: String, team: String, query: String, selected: String, correct: String, outcome: String
        var latency_ms: Double
    }

    struct Report: Encodable {
        var dataset: String
        var tools: Int
        var events: Int
        var corrections: Int
        var learningCurve: [Double]
        /// Share of the log's requests the router got right as they arrived.
        var onlineTop1: Double
        var curveBlock: Int
        /// The test split: paraphrases the log never contains.
        var frozen: Replay.Measurement
        var afterFeedback: Replay.Measurement
        var afterTraining: Replay.Measurement
        /// The distinct requests of the log, asked again.
        var repeatedRequests: Int
        var frozenRepeated: Replay.Measurement
        var afterFeedbackRepeated: Replay.Measurement
        var afterTrainingRepeated: Replay.Measurement
        var trainingApplied: Bool
        var trainingReport: TrainingReport?
        var teamTop1: [String: String]
        var breakers: [String: String]
        var seconds: Double
    }

    func run() async throws {
        let started = Date()
        func step(_ text: String) { print("▸ \(text)") }
        guard FileManager.default.fileExists(atPath: dataset + "/events.jsonl") else {
            throw ValidationError("\(dataset)/events.jsonl not found; run from the repository root or pass --dataset")
        }
        step("loading \(dataset)")
        let data = try RetrievalDataset.load(directory: dataset)
        let events = try String(contentsOfFile: dataset + "/events.jsonl", encoding: .utf8).split(separator: "\n").enumerated().map { line, text in
            do { return try JSONDecoder().decode(Event.self, from: Data(text.utf8)) } catch {
                throw ValidationError("\(dataset)/events.jsonl:\(line + 1): \(error)")
            }
        }
        let encoder = try? MiniLMEncoder()
        let texts = data.toolTexts + data.queries.map(\.text)
        let embedder = try PrecomputedEmbedder(texts: texts, vectors: Matrix(rows: texts.count, cols: data.dimension,
                                                                              values: data.toolVectors.values + data.queryVectors.values),
                                               modelIdentity: encoder?.modelIdentity ?? "sentence-transformers/all-MiniLM-L6-v2",
                                               fallback: encoder)
        print("  \(data.tools.count) tools, \(data.queries.count) queries, \(events.count) logged events; encoder for new text: "
            + (encoder == nil ? "not installed (run scripts/bootstrap)" : "MiniLM"))

        var configuration = GantryConfiguration(storePath: nil)
        configuration.training.rank = 16
        let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
        try await gantry.register(data.tools.map(Tool.init(datasetTool:)))
        let names = data.tools.map(\.id), test = data.indices(of: .test)
        let logged = Set(events.map(\.query))
        let repeated = data.queries.indices.filter { logged.contains(data.queries[$0].text) }

        step("frozen evaluation: the test split (\(test.count) paraphrases never seen in training) and the log's \(repeated.count) distinct requests")
        let frozen = try await Replay.measure(gantry, data, test, names)
        let frozenRepeated = try await Replay.measure(gantry, data, repeated, names)

        step("replaying the feedback log: route each request, then record the correction and the outcome")
        var routedRight = [Bool](), corrections = 0
        let bar = ProgressBar(total: events.count, label: "replay")
        for (i, event) in events.enumerated() {
            let context = RoutingContext(user: event.user, team: event.team, session: event.session)
            let top = try await gantry.retrieveTools(event.query, limit: 5, context: context).first?.tool.name
            routedRight.append(top == event.correct)
            let wrong = event.selected != event.correct
            corrections += wrong ? 1 : 0
            try await gantry.recordFeedback(query: event.query, selectedTool: event.selected, correctTool: event.correct,
                                            feedbackType: wrong ? .toolSelectionError : .confirmed, context: context)
            try await gantry.recordExecution(tool: event.correct, outcome: ExecutionOutcome(rawValue: event.outcome) ?? .failure,
                                             latency: .milliseconds(Int64(event.latency_ms)), context: context)
            bar.update(i + 1)
        }
        // Top-1 per full block of `curveBlock` requests, in order.
        let curve = stride(from: 0, to: routedRight.count - curveBlock + 1, by: curveBlock).map { start in
            Double(routedRight[start..<start + curveBlock].count(where: \.self)) / Double(curveBlock)
        }
        let afterFeedback = try await Replay.measure(gantry, data, test, names)
        let afterFeedbackRepeated = try await Replay.measure(gantry, data, repeated, names)

        step("train(): folding \(events.count) feedback events into a rank-\(configuration.training.rank) adapter")
        let summary = try await gantry.train()
        let afterTraining = try await Replay.measure(gantry, data, test, names)
        let afterTrainingRepeated = try await Replay.measure(gantry, data, repeated, names)

        var teams = [String: String]()
        let teamQuery = "send a notification to the team"
        for team in ["A", "B"] {
            teams[team] = try await gantry.retrieveTools(teamQuery, limit: 3,
                                                          context: RoutingContext(user: "new", team: team)).first?.tool.name ?? "—"
        }
        var breakers = [String: String]()
        for tool in ["restart_service", "sms_notify", "email_notify"] { breakers[tool] = try await gantry.breakerState(of: tool).rawValue }

        print("\n\(data.name): new paraphrases (test split, \(test.count)) and requests asked again (the log's \(repeated.count))")
        print("| routing | test top-1 | test MRR@10 | test R@5 | repeated top-1 |")
        print("|---|---|---|---|---|")
        for (name, m, r) in [("frozen", frozen, frozenRepeated), ("after the feedback log", afterFeedback, afterFeedbackRepeated),
                             ("after train()", afterTraining, afterTrainingRepeated)] {
            print(String(format: "| %@ | %.3f | %.3f | %.3f | %.3f |", name, m.top1, m.metrics.mrrAt10, m.metrics.recallAt5, r.top1))
        }
        print("(\(corrections) of the \(events.count) logged picks were corrected)")
        let onlineTop1 = Double(routedRight.count(where: \.self)) / Double(max(events.count, 1))
        print(String(format: "\ntop-1 while the log arrived: %.3f; per %d requests: ", onlineTop1, curveBlock)
            + curve.map { String(format: "%.2f", $0) }.joined(separator: " "))
        print("train(): " + (summary.applied ? "adapter applied (validation MRR@10 "
            + String(format: "%.3f → %.3f", summary.report!.identityValidation.mrrAt10, summary.report!.bestValidation.mrrAt10) + ")"
            : "kept the previous state (\(summary.reason ?? ""))"))
        print("\"\(teamQuery)\": team A → \(teams["A"]!), team B → \(teams["B"]!)")
        print("circuit breakers: " + breakers.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        if encoder != nil {
            let fresh = try await gantry.retrieveTools("I'd like to stop paying for my plan for good", limit: 3)
            print("new text, embedded by MiniLM: \"I'd like to stop paying for my plan for good\" → "
                + fresh.map { String(format: "%@ (%.2f)", $0.tool.name, $0.score) }.joined(separator: ", "))
        }
        let seconds = Date().timeIntervalSince(started)
        let payload = Report(dataset: data.name, tools: data.tools.count, events: events.count, corrections: corrections, learningCurve: curve, onlineTop1: onlineTop1,
                             curveBlock: curveBlock, frozen: frozen, afterFeedback: afterFeedback, afterTraining: afterTraining,
                             repeatedRequests: repeated.count, frozenRepeated: frozenRepeated,
                             afterFeedbackRepeated: afterFeedbackRepeated, afterTrainingRepeated: afterTrainingRepeated,
                             trainingApplied: summary.applied, trainingReport: summary.report, teamTop1: teams, breakers: breakers,
                             seconds: seconds)
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys, .prettyPrinted]
        try FileManager.default.createDirectory(atPath: (report as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try BinaryFile.writeAtomically(Array(try json.encode(payload)), to: report)
        print(String(format: "\nreport written to %@ (%.1f s)", report, seconds))
    }
}

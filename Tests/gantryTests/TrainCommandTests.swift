import AgentGantry
import Foundation
import GantryEmbed
import GantryIO
import GantryMath
import Testing

/// `gantry train` and `gantry eval` on a dataset folder written here: queries are their tool's
/// vector moved by a fixed distortion plus noise, so an adapter has something to learn.
@Suite("gantry train and eval")
struct TrainCommandTests {
    func writeDataset() throws -> String {
        let folder = NSTemporaryDirectory() + "gantry-train-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 17)
        let (toolCount, d) = (24, 16)
        var tools = Matrix.randomNormal(rows: toolCount, cols: d, using: &rng)
        try tools.normalizeRows()
        let shift = Matrix.randomNormal(rows: 1, cols: d, using: &rng)
        var toolLines = [String](), queryLines = [String](), rows = [[Float]]()
        for tool in 0..<toolCount {
            toolLines.append(#"{"id": "tool_\#(tool)", "name": "tool_\#(tool)", "description": "tool number \#(tool)"}"#)
            for i in 0..<15 {
                let split = i % 3 == 0 ? "test" : "train"
                queryLines.append(#"{"id": "q\#(tool)_\#(i)", "text": "query \#(i) for \#(tool)", "tools": ["tool_\#(tool)"], "split": "\#(split)"}"#)
                let along = tools.row(tool).reduce(0, +)
                var x = (0..<d).map { tools[tool, $0] + 1.5 * along * shift[0, $0] / Float(d).squareRoot() + 0.25 * rng.nextGaussian() }
                let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
                x = x.map { $0 / norm }
                rows.append(x)
            }
        }
        try toolLines.joined(separator: "\n").write(toFile: folder + "/tools.jsonl", atomically: true, encoding: .utf8)
        try queryLines.joined(separator: "\n").write(toFile: folder + "/queries.jsonl", atomically: true, encoding: .utf8)
        try NPYFile.write(tools, to: folder + "/tools.npy")
        try NPYFile.write(try Matrix(rowArrays: rows), to: folder + "/queries.npy")
        return folder
    }

    func metrics(_ output: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
    }

    @Test func trainWritesAnAdapterThatEvalScoresAboveFrozen() throws {
        let folder = try writeDataset()
        let train = try runGantry(["train", "--dataset", folder, "--rank", "4", "--epochs", "12", "--batch", "64",
                                   "--output", folder + "/a.gadp", "--report", folder + "/report.json"])
        #expect(train.status == 0, "\(train.output)")
        #expect(train.output.contains("| adapted |") && train.output.contains("epoch  1"))
        let report = try metrics(String(contentsOfFile: folder + "/report.json", encoding: .utf8))
        #expect(report["evaluations"] is [[String: Any]] && report["run"] is [String: Any])

        let frozen = try runGantry(["eval", "--dataset", folder, "--json"])
        let adapted = try runGantry(["eval", "--dataset", folder, "--adapter", folder + "/a.gadp", "--json"])
        let hnsw = try runGantry(["eval", "--dataset", folder, "--adapter", folder + "/a.gadp", "--json", "--index", "hnsw"])
        #expect(frozen.status == 0 && adapted.status == 0 && hnsw.status == 0, "\(adapted.output)")
        let (f, a, h) = (try metrics(frozen.output), try metrics(adapted.output), try metrics(hnsw.output))
        #expect(Set(a.keys) == ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "comp@5", "queries"])
        #expect(a["queries"] as? Int == 120)
        #expect((a["mrr@10"] as! Double) > (f["mrr@10"] as! Double))
        #expect(abs((h["mrr@10"] as! Double) - (a["mrr@10"] as! Double)) < 0.02)

        let unseen = try runGantry(["eval", "--dataset", folder, "--unseen-tools", "--json"])
        #expect(try metrics(unseen.output)["unseen_tools"] is [String: Any])
    }

    @Test func badInputNamesWhatIsWrong() throws {
        let folder = try writeDataset()
        let missing = try runGantry(["eval", "--dataset", "/nonexistent/dataset"])
        #expect(missing.status != 0 && missing.output.contains("/nonexistent/dataset/tools.jsonl"))
        try "garbage".write(toFile: folder + "/bad.gadp", atomically: true, encoding: .utf8)
        let bad = try runGantry(["eval", "--dataset", folder, "--adapter", folder + "/bad.gadp"])
        #expect(bad.status != 0 && bad.output.contains("bad.gadp") && bad.output.contains("GNTRYADP"))
        let rank = try runGantry(["train", "--dataset", folder, "--rank", "0", "--output", folder + "/x.gadp"])
        #expect(rank.status != 0 && rank.output.contains("rank"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/x.gadp"))
    }
}

@Test func trainNeedsEitherADatasetOrAStore() throws {
    let neither = try runGantry(["train", "--output", "/tmp/x.gadp"])
    #expect(neither.status == 64 && neither.output.contains("give --dataset, or the store with --store or in GANTRY_STORE_URL"), "\(neither.output)")
    let both = try runGantry(["train", "--dataset", "/tmp", "--store", "/tmp/s.sqlite", "--output", "/tmp/x.gadp"])
    #expect(both.status == 64 && both.output.contains("not both"), "\(both.output)")
    let missing = try runGantry(["train", "--store", "/nonexistent/store.sqlite"])
    #expect(missing.status == 1 && missing.output.contains("/nonexistent/store.sqlite not found"))
    // Without --store, the store comes from GANTRY_STORE_URL.
    let fromEnvironment = try runGantry(["train"], environment: ["GANTRY_STORE_URL": "/nonexistent/env-store.sqlite"])
    #expect(fromEnvironment.status == 1 && fromEnvironment.output.contains("/nonexistent/env-store.sqlite not found"), "\(fromEnvironment.output)")
}

@Test func trainFoldsAStoresFeedbackIntoItsAdapter() async throws {
    let folder = NSTemporaryDirectory() + "gantry-cli-store-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/gantry.sqlite"
    do {
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path))
        try await gantry.register([Tool(name: "cancel_subscription", description: "End the plan for good."),
                                   Tool(name: "pause_subscription", description: "Pause billing for a while."),
                                   Tool(name: "slack_notify", description: "Post to a Slack channel.")])
        // 48 requests, enough for train() to hold some out for its gate.
        let cancelling = ["cancel", "end", "stop", "terminate", "close", "quit"].flatMap { verb in
            ["my plan", "the subscription", "my membership", "the yearly account"].map { "\(verb) \($0)" }
        }
        let posting = ["tell", "notify", "ping", "message"].flatMap { verb in
            ["the channel", "the team", "everyone on slack", "the devs", "the on-call crew", "the release room"].map { "\(verb) \($0)" }
        }
        // Cancelling requests belong to pause_subscription here: something the frozen model gets wrong.
        for query in cancelling { try await gantry.recordFeedback(query: query, selectedTool: "cancel_subscription", correctTool: "pause_subscription") }
        for query in posting { try await gantry.recordFeedback(query: query, selectedTool: "pause_subscription", correctTool: "slack_notify") }
    }
    // A path without a folder names a store in the current directory.
    let run = try runGantry(["train", "--store", "gantry.sqlite", "--rank", "4", "--lr", "0.01"], in: folder)
    #expect(run.status == 0, "\(run.output)")
    #expect(run.output.contains("3 tools, 48 feedback events of") && run.output.contains("selection MRR@10"), "\(run.output)")
    // Applied or not, the gate's figures are printed.
    #expect(run.output.contains("MRR@10") && run.output.contains("held-out requests (gain"), "\(run.output)")
}

/// 64-d unit vectors that depend only on the text: a store built with them is another model's.
struct HashEmbedder64: Embedder {
    let dimension = 64
    let modelIdentity = "custom-hash-64"
    func embed(_ texts: [String]) throws -> Matrix {
        var matrix = Matrix(rows: texts.count, cols: dimension)
        for (row, text) in texts.enumerated() {
            var rng = SplitMix64(seed: UInt64(text.unicodeScalars.reduce(5) { ($0 &* 31 &+ UInt64($1.value)) & 0xFFFF_FFFF }))
            let v = (0..<dimension).map { _ in rng.nextGaussian() }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for c in 0..<dimension { matrix[row, c] = v[c] / n }
        }
        return matrix
    }
}

@Test func trainRefusesAStoreOfAnotherModel() async throws {
    let folder = NSTemporaryDirectory() + "gantry-cli-other-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/gantry.sqlite"
    do {
        let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: path), embedder: HashEmbedder64())
        try await gantry.register((0..<6).map { Tool(name: "tool_\($0)", description: "Tool number \($0).") })
        for i in 0..<50 { try await gantry.recordFeedback(query: "request \(i)", selectedTool: "tool_1", correctTool: "tool_\(i % 6)") }
    }
    let before = try BinaryFile.read(path)
    let run = try runGantry(["train", "--store", path, "--epochs", "2"])
    #expect(run.status != 0 && run.output.contains("custom-hash-64") && run.output.contains("MiniLM"), "\(run.output)")
    #expect(try BinaryFile.read(path) == before)  // no tool embedded again, nothing written
}

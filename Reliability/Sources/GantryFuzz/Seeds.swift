// Seed corpora, written by the library's own writers so the fuzzer starts from valid files.
import AgentGantry
import Foundation
import GantryAdapt
import GantryIndex
import GantryIO
import GantryMath

enum Seeds {
    /// Writes `DIR/<target>/seed-N` for every target; returns how many per target.
    static func write(to directory: String) throws -> [String: Int] {
        var counts = [String: Int]()
        for target in FuzzTarget.allCases {
            let folder = "\(directory)/\(target.rawValue)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let seeds = try make(target)
            for (i, seed) in seeds.enumerated() { put(seed, "\(folder)/seed-\(i)") }
            counts[target.rawValue] = seeds.count
        }
        return counts
    }

    static func unitRows(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix {
        var rng = SplitMix64(seed: seed)
        var matrix = Matrix.randomNormal(rows: rows, cols: cols, using: &rng)
        for r in 0..<rows {
            let norm = (0..<cols).reduce(Float(0)) { $0 + matrix[r, $1] * matrix[r, $1] }.squareRoot()
            for c in 0..<cols { matrix[r, c] /= norm }
        }
        return matrix
    }

    static func make(_ target: FuzzTarget) throws -> [[UInt8]] {
        switch target {
        case .npy:
            return [NPYFile.encode(unitRows(3, 4, seed: 1)), NPYFile.encode(Matrix(rows: 0, cols: 8)), NPYFile.encode(unitRows(1, 16, seed: 2))]
        case .safetensors:
            return [safeTensors(["weight": ([2, 3], 6), "bias": ([3], 3)]), safeTensors([:])]
        case .vocabulary:
            return [Array((smallVocabulary.joined(separator: "\n") + "\n").utf8)]
        case .tokenizer:
            return ["cancel my subscription", "Send a Slack message to #ops!", "Café naïve résumé", "退订我的订阅 please",
                    "पुनः आरंभ करें", "emoji 🚀🔥 and\ttabs\r\n", "getUserByID(user_id=42)", String(repeating: "supercalifragilistic", count: 8)]
                .map { Array($0.utf8) }
        case .index:
            var flat = try FlatIndex(dimension: 4, metric: .cosine, modelIdentity: "fuzz")
            try flat.add(contentsOf: unitRows(5, 4, seed: 3), ids: (0..<5).map { .number(Int64($0)) })
            var hnsw = try HNSWIndex(dimension: 4, metric: .cosine, parameters: .init(m: 4, efConstruction: 16, efSearch: 8), modelIdentity: "fuzz")
            try hnsw.add(contentsOf: unitRows(24, 4, seed: 4), ids: (0..<24).map { .name("tool_\($0)") })
            try hnsw.remove(.name("tool_3"))
            let flatPath = scratch + "/seed-flat.gidx", hnswPath = scratch + "/seed-hnsw.gidx"
            try flat.save(to: flatPath)
            try hnsw.save(to: hnswPath)
            return [flatPath, hnswPath].map { Array(FileManager.default.contents(atPath: $0)!) }
        case .lexical:
            var index = try LexicalIndex(fields: [LexicalField(name: "name", weight: 3, b: 0.5), LexicalField(name: "description")])
            try index.add(["send_invoice", "Send an invoice to a customer by email."], id: "send_invoice")
            try index.add(["cancelSubscription", "Cancel a subscription for good. Café naïve 退订"], id: 7)
            try index.add(["pause_subscription", "Pause billing for a while."], id: "pause_subscription")
            try index.remove(7)
            let path = scratch + "/seed.glex"
            try index.save(to: path)
            return [Array(FileManager.default.contents(atPath: path)!)]
        case .adapter:
            var adapter = try LowRankAdapter.identity(dimension: 8, rank: 2)
            adapter.up = unitRows(2, 8, seed: 5)
            adapter.toolOffsets = ["cancel_subscription": Array(unitRows(1, 8, seed: 6).values)]
            return [AdapterFile.encode(adapter, modelIdentity: "fuzz"),
                    AdapterFile.encode(try LowRankAdapter.identity(dimension: 4, rank: 1, side: .query), modelIdentity: "fuzz")]
        case .dataset:
            let tools = """
                {"id": "cancel_subscription", "name": "cancel_subscription", "description": "Stop the plan for good.", "tags": ["billing"]}
                {"id": "pause_subscription", "description": "Pause billing for a while.", "parameters": {"properties": {"days": {"type": "integer"}}}}
                """
            let queries = """
                {"id": "q1", "text": "cancel my subscription", "tools": ["cancel_subscription"], "split": "train"}
                {"id": "q2", "text": "pause it for a month", "tools": ["pause_subscription"], "split": "test"}
                {"text": "stop billing", "tools": ["cancel_subscription", "pause_subscription"], "split": "train"}
                """
            let feedback = #"{"query": "cancel my subscription", "wrong": "pause_subscription", "correct": "cancel_subscription"}"#
            return [Array((tools + "\n\u{1E}" + queries + "\n\u{1E}" + feedback + "\n").utf8), Array((tools + "\n\u{1E}" + queries).utf8)]
        case .events:
            let vector = Array(unitRows(1, eventDimension, seed: 7).values)
            let at = Date(timeIntervalSince1970: 1_790_000_000)
            let feedback = [FeedbackEvent(id: 1, at: at, user: "ann", team: "A", session: "s1", query: "cancel my subscription",
                                          queryVector: vector, selectedTool: "pause_subscription", correctTool: "cancel_subscription",
                                          type: .toolSelectionError)]
            let executions = [ExecutionEvent(id: 2, at: at, user: "ann", team: "A", session: "s1", tool: "cancel_subscription",
                                             outcome: .success, latencyMilliseconds: 120, intent: "billing"),
                              ExecutionEvent(id: 3, at: at, user: nil, team: nil, session: nil, tool: "slack_notify",
                                             outcome: .timeout, latencyMilliseconds: nil, intent: nil)]
            return [Array(try EventLog.encode(feedback: feedback, executions: executions).utf8)]
        case .store:
            let folder = scratch + "/seed-store"
            try? FileManager.default.removeItem(atPath: folder)
            let semaphore = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var failure: (any Error)?
            Task {
                defer { semaphore.signal() }
                do {
                    let gantry = try await AgentGantry(configuration: GantryConfiguration(storePath: folder + "/gantry.sqlite"), embedder: StandInEmbedder())
                    try await gantry.register([Tool(name: "cancel_subscription", description: "Stop the plan."),
                                               Tool(name: "pause_subscription", description: "Pause billing.", tags: ["billing"])])
                    let events = String(decoding: try make(.events)[0], as: UTF8.self)
                    _ = try await gantry.importEvents(events.replacingOccurrences(of: "slack_notify", with: "pause_subscription"))
                    for _ in 0..<5 { try await gantry.recordExecution(tool: "pause_subscription", outcome: .failure) }  // an open breaker
                } catch {
                    failure = error
                }
            }
            semaphore.wait()
            if let failure { throw failure }
            return [Array(FileManager.default.contents(atPath: folder + "/gantry.sqlite")!)]
        case .tool:
            let tool = Tool(name: "cancel_subscription", description: "Stop the recurring plan for good.", tags: ["billing"],
                            parameters: .object(["type": .string("object"), "properties": .object(["account_id": .object(["type": .string("string")])]),
                                                 "required": .array([.string("account_id")])]),
                            examples: ["cancel my plan"])
            return [Array(try JSONEncoder().encode(tool))]
        }
    }

    /// A safetensors file of F32 tensors (name → shape, element count), header padded to 8 bytes.
    static func safeTensors(_ tensors: [String: ([Int], Int)]) -> [UInt8] {
        var offset = 0
        var header = [String]()
        for (name, (shape, count)) in tensors.sorted(by: { $0.key < $1.key }) {
            header.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + 4 * count)]}")
            offset += 4 * count
        }
        header.append("\"__metadata__\":{\"format\":\"pt\"}")
        var json = Array(("{" + header.joined(separator: ",") + "}").utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json
        for i in 0..<(offset / 4) { bytes += withUnsafeBytes(of: Float(i).bitPattern.littleEndian, Array.init) }
        return bytes
    }
}

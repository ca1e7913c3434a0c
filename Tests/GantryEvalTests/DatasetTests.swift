import Foundation
import GantryAdapt
import GantryEval
import GantryIO
import GantryMath
import Testing

/// A small dataset folder written by the tests.
struct DatasetFolder {
    let path: String

    init(tools: Int = 6, queriesPerTool: Int = 6, dimension: Int = 8, seed: UInt64 = 1,
         edit: (inout [String], inout [String], inout Matrix, inout Matrix) -> Void = { _, _, _, _ in }) throws {
        path = NSTemporaryDirectory() + "gantry-dataset-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: seed)
        var toolVectors = Matrix.randomNormal(rows: tools, cols: dimension, using: &rng)
        try toolVectors.normalizeRows()
        var toolLines = (0..<tools).map { #"{"id": "tool_\#($0)", "name": "tool_\#($0)", "description": "does thing \#($0)"}"# }
        var queryLines = [String](), rows = [[Float]]()
        for tool in 0..<tools {
            for i in 0..<queriesPerTool {
                queryLines.append(#"{"id": "q\#(tool)_\#(i)", "text": "query \#(i) about \#(tool)", "tools": ["tool_\#(tool)"], "split": "\#(i % 3 == 0 ? "test" : "train")"}"#)
                var x = Array(toolVectors.row(tool))
                for c in x.indices { x[c] += 0.3 * rng.nextGaussian() }
                let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
                rows.append(x.map { $0 / norm })
            }
        }
        var queryVectors = try Matrix(rowArrays: rows)
        edit(&toolLines, &queryLines, &toolVectors, &queryVectors)
        try (toolLines.joined(separator: "\n") + "\n").write(toFile: path + "/tools.jsonl", atomically: true, encoding: .utf8)
        try (queryLines.joined(separator: "\n") + "\n").write(toFile: path + "/queries.jsonl", atomically: true, encoding: .utf8)
        try NPYFile.write(toolVectors, to: path + "/tools.npy")
        try NPYFile.write(queryVectors, to: path + "/queries.npy")
    }
}

@Suite("Dataset loading")
struct DatasetTests {
    @Test func loadsAValidFolder() throws {
        let folder = try DatasetFolder()
        let dataset = try RetrievalDataset.load(directory: folder.path)
        #expect(dataset.tools.count == 6 && dataset.queries.count == 36 && dataset.dimension == 8)
        #expect(dataset.indices(of: .test).count == 12 && dataset.indices(of: .train).count == 24)
        #expect(dataset.queries[7].tools == [1])
        let split = dataset.unseenToolSplit(fraction: 0.34, seed: 1)
        #expect(split.heldOut.count == 2)
        #expect(split.unseen.allSatisfy { dataset.queries[$0].tools.contains(where: split.heldOut.contains) })
        let training = try dataset.trainingSet(split.training, excludingTools: split.heldOut)
        #expect(training.tools.rows == 4 && training.toolIDs.count == 4)
        #expect(training.examples.positives.allSatisfy { $0.allSatisfy { (0..<4).contains($0) } })
    }

    @Test func truncatedAndFlippedJSONLinesAreTypedErrorsOrConsistentLoads() throws {
        let folder = try DatasetFolder(tools: 3, queriesPerTool: 3)
        defer { try? FileManager.default.removeItem(atPath: folder.path) }
        var rng = SplitMix64(seed: 7)
        for file in ["tools.jsonl", "queries.jsonl"] {
            let path = folder.path + "/" + file
            let original = try BinaryFile.read(path)
            var candidates = (0..<original.count).map { Array(original.prefix($0)) }
            for _ in 0..<300 {
                var flipped = original
                flipped[Int(rng.next() % UInt64(flipped.count))] ^= UInt8(1 + rng.next() % 255)
                candidates.append(flipped)
            }
            for candidate in candidates {
                try Data(candidate).write(to: URL(fileURLWithPath: path))
                do {
                    let dataset = try RetrievalDataset.load(directory: folder.path)
                    #expect(dataset.queries.allSatisfy { !$0.tools.isEmpty && $0.tools.allSatisfy(dataset.tools.indices.contains) })
                    #expect(dataset.toolVectors.rows == dataset.tools.count && dataset.queryVectors.rows == dataset.queries.count)
                } catch {
                    #expect(!error.description.isEmpty)
                }
            }
            try Data(original).write(to: URL(fileURLWithPath: path))
        }
    }

    @Test func errorsNameTheFileAndTheLineOrRow() throws {
        func loadError(_ edit: @escaping (inout [String], inout [String], inout Matrix, inout Matrix) -> Void) throws -> String {
            let folder = try DatasetFolder(edit: edit)
            do {
                _ = try RetrievalDataset.load(directory: folder.path)
                return "loaded"
            } catch {
                return "\(error)"
            }
        }
        #expect(try loadError { _, q, _, _ in q[3] = #"{"id": "x", "text": "t", "tools": ["no_such_tool"], "split": "train"}"# }
            .contains("queries.jsonl:4: unknown tool id \"no_such_tool\""))
        #expect(try loadError { t, _, _, _ in t[2] = t[1] }.contains("tools.jsonl:3: duplicate tool id"))
        #expect(try loadError { _, q, _, _ in q[0] = "not json" }.contains("queries.jsonl:1: not a JSON object"))
        #expect(try loadError { _, q, _, _ in q[5] = #"{"text": "t", "tools": ["tool_0"], "split": "dev"}"# }.contains("queries.jsonl:6"))
        #expect(try loadError { _, _, _, v in v = try! v.gatherRows(Array(0..<(v.rows - 1))) }.contains("35 rows but the JSONL file beside it has 36"))
        #expect(try loadError { _, _, _, v in v.withUnsafeMutableBufferPointer { $0[8 * 4 + 2] = .nan } }.contains("queries.npy row 4"))
        #expect(try loadError { _, _, t, _ in t = Matrix(rows: t.rows, cols: 7, repeating: 0.3) }.contains("columns"))
        #expect(try loadError { _, q, _, _ in q = q.map { $0.replacingOccurrences(of: "\"test\"", with: "\"train\"") } }.contains("no test queries"))
    }
}

/// The README's adapter example, on a dataset folder written here.
@Test func readmeAdapterExampleRuns() throws {
    let folder = try DatasetFolder(tools: 8, queriesPerTool: 9, dimension: 16)
    let dataset = try RetrievalDataset.load(directory: folder.path)
    let training = try dataset.trainingSet(dataset.indices(of: .train))
    var configuration = TrainingConfiguration()
    configuration.rank = 4
    configuration.epochs = 5
    let (adapter, report) = try TripletTrainer(configuration).train(tools: training.tools, toolIDs: training.toolIDs,
                                                                   examples: training.examples)
    let before = try dataset.evaluate(dataset.indices(of: .test))
    let after = try dataset.evaluate(dataset.indices(of: .test), adapter: adapter)
    #expect(before.queries == 24 && after.queries == 24)
    #expect(after.mrrAt10 >= before.mrrAt10 - 0.05 || report.bestEpoch == 0)
    let path = folder.path + "/tools.gadp"
    try AdapterFile.save(adapter, modelIdentity: "test-model", to: path)
    let query = try adapter.adaptQuery(dataset.queryVectors.row(0))
    let reloaded = try AdapterFile.load(from: path).adapter
    #expect(query.count == 16 && reloaded == adapter)
}

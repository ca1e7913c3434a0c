import Foundation
import GantryIO
import GantryMath
import Testing

@Suite("gantry index")
struct IndexCommandTests {
    @Test(arguments: ["flat", "hnsw"])
    func buildThenSearchFindsEachVectorItself(kind: String) throws {
        let folder = NSTemporaryDirectory() + "gantry-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 5)
        var vectors = Matrix.randomNormal(rows: 300, cols: 32, using: &rng)
        try vectors.normalizeRows()
        try NPYFile.write(vectors, to: folder + "/v.npy")
        try (0..<300).map { "tool_\($0)" }.joined(separator: "\n").write(toFile: folder + "/ids.txt", atomically: true, encoding: .utf8)
        let build = try runGantry(["index", "build", "--embeddings", folder + "/v.npy", "--kind", kind, "--ids", folder + "/ids.txt",
                                   "--output", folder + "/v.gidx"])
        #expect(build.status == 0, "\(build.output)")
        #expect(build.output.contains("\(kind) index of 300 × 32"))
        let search = try runGantry(["index", "search", "--index", folder + "/v.gidx", "--queries", folder + "/v.npy", "--k", "1", "--json"])
        #expect(search.status == 0, "\(search.output)")
        let json = try JSONSerialization.jsonObject(with: Data(search.output.utf8)) as! [String: Any]
        let results = json["results"] as! [[[String: Any]]]
        #expect(results.count == 300)
        #expect(results.enumerated().allSatisfy { $0.element.first?["id"] as? String == "tool_\($0.offset)" })
    }

    @Test func badInputGivesAnActionableError() throws {
        let missing = try runGantry(["index", "search", "--index", "/nonexistent.gidx", "--queries", "/nonexistent.npy"])
        #expect(missing.status != 0)
        #expect(missing.output.contains("/nonexistent.gidx"))
        let folder = NSTemporaryDirectory() + "gantry-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try NPYFile.write(Matrix(rows: 3, cols: 4, repeating: 1), to: folder + "/v.npy")
        try "a\nb".write(toFile: folder + "/ids.txt", atomically: true, encoding: .utf8)
        let wrongIDs = try runGantry(["index", "build", "--embeddings", folder + "/v.npy", "--ids", folder + "/ids.txt", "--output", folder + "/x"])
        #expect(wrongIDs.status != 0)
        #expect(wrongIDs.output.contains("has 2 ids but"))
    }
}

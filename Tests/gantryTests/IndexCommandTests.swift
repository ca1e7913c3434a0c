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

    /// A lexical index of tool texts (one per line, CRLF too) finds each tool by its own words;
    /// the options of the other kind are usage errors.
    @Test func lexicalBuildThenSearchFindsEachToolByItsWords() throws {
        let folder = NSTemporaryDirectory() + "gantry-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let words = ["otter", "falcon", "badger", "heron", "lynx", "marmot"]
        try words.map { "track_\($0): Follows every \($0) sighting." }.joined(separator: "\r\n").write(toFile: folder + "/texts.txt", atomically: true, encoding: .utf8)
        try words.map { "track_\($0)" }.joined(separator: "\n").write(toFile: folder + "/ids.txt", atomically: true, encoding: .utf8)
        try (words.map { "where is the \($0)" } + ["", "nothing matches here"]).joined(separator: "\n")
            .write(toFile: folder + "/queries.txt", atomically: true, encoding: .utf8)
        let build = try runGantry(["index", "build", "--kind", "lexical", "--texts", folder + "/texts.txt", "--ids", folder + "/ids.txt",
                                   "--output", folder + "/t.glex"])
        #expect(build.status == 0 && build.output.contains("lexical index of 6 documents"), "\(build.output)")
        let search = try runGantry(["index", "search", "--index", folder + "/t.glex", "--queries", folder + "/queries.txt", "--k", "2", "--json"])
        #expect(search.status == 0, "\(search.output)")
        let json = try JSONSerialization.jsonObject(with: Data(search.output.utf8)) as! [String: Any]
        let results = json["results"] as! [[[String: Any]]]
        #expect(results.count == 7 && results.last!.isEmpty, "one result list per non-blank line; no word of the last matches")
        for (i, word) in words.enumerated() { #expect(results[i].first?["id"] as? String == "track_\(word)") }

        let mixed = try runGantry(["index", "build", "--kind", "lexical", "--embeddings", folder + "/v.npy", "--output", folder + "/x"])
        #expect(mixed.status == 64 && mixed.output.contains("--kind lexical indexes --texts"), "\(mixed.output)")
        let noTexts = try runGantry(["index", "build", "--kind", "flat", "--texts", folder + "/texts.txt", "--output", folder + "/x"])
        #expect(noTexts.status == 64 && noTexts.output.contains("--kind flat indexes --embeddings"), "\(noTexts.output)")
        let hnswOption = try runGantry(["index", "build", "--kind", "lexical", "--texts", folder + "/texts.txt", "--m", "8", "--output", folder + "/x"])
        #expect(hnswOption.status == 64 && hnswOption.output.contains("--m applies to vector indexes"), "\(hnswOption.output)")
        let ef = try runGantry(["index", "search", "--index", folder + "/t.glex", "--queries", folder + "/queries.txt", "--ef", "10"])
        #expect(ef.status == 64 && ef.output.contains("is a lexical index"), "\(ef.output)")
    }
}

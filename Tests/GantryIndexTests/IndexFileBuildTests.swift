import Foundation
import GantryIndex
import GantryIO
import GantryMath
import Synchronization
import Testing

/// `IndexFile.build` and `IndexFile.search`: the file-to-file jobs `gantry index` runs.
@Suite("IndexFile build and search")
struct IndexFileBuildTests {
    @Test(arguments: [IndexFile.Kind.flat, .hnsw])
    func buildThenSearchFindsEachVectorItself(kind: IndexFile.Kind) throws {
        let vectors = clusteredVectors(count: 200, dimension: 16, clusters: 10, seed: 3)
        let embeddings = try temporaryPath("v.npy")
        try NPYFile.write(vectors, to: embeddings)
        let ids = embeddings + ".ids"
        try ((0..<200).map { "row_\($0)" }.joined(separator: "\n") + "\n\n").write(toFile: ids, atomically: true, encoding: .utf8)
        let output = embeddings + ".gidx"
        let seen = Mutex<(done: Int, total: Int)?>(nil)
        let built = try IndexFile.build(embeddings: embeddings, ids: ids, kind: kind, metric: .innerProduct, model: "m",
                                        threads: 1, output: output) { done, total in seen.withLock { $0 = (done, total) } }
        #expect(built.kind == kind && built.metric == .innerProduct && built.rows == 200 && built.dimension == 16)
        #expect(built.loadSeconds >= 0 && built.buildSeconds >= 0)
        let header = try IndexFile.header(at: output)
        #expect(header.kind == kind && header.metric == .innerProduct && header.dimension == 16 && header.count == 200 && header.modelIdentity == "m")
        let last = seen.withLock { $0 }
        if kind == .hnsw { #expect(last?.done == 200 && last?.total == 200) } else { #expect(last == nil) }

        let found = try IndexFile.search(index: output, queries: embeddings, k: 3, ef: 50)
        #expect(found.queries == 200 && found.results.count == 200 && found.results.allSatisfy { $0.count == 3 })
        let exact = (0..<200).map { naiveTopK(vectors, vectors.row($0), k: 1).map { VectorID.name("row_\($0)") } }
        #expect(recall(found.results.map { Array($0.prefix(1)) }, exact) >= 0.99)
        #expect(found.queriesPerSecond > 0)
    }

    @Test func rowNumbersAreTheDefaultIDs() throws {
        let embeddings = try temporaryPath("v.npy")
        try NPYFile.write(clusteredVectors(count: 20, dimension: 8, seed: 1), to: embeddings)
        _ = try IndexFile.build(embeddings: embeddings, kind: .flat, output: embeddings + ".gidx")
        let found = try IndexFile.search(index: embeddings + ".gidx", queries: embeddings, k: 1)
        #expect(found.results.enumerated().allSatisfy { $0.element.first?.id == numbers($0.offset) })
    }

    @Test func anIDFileOfTheWrongLengthNamesBothFiles() throws {
        let embeddings = try temporaryPath("v.npy")
        try NPYFile.write(Matrix(rows: 3, cols: 4, repeating: 1), to: embeddings)
        try "a\nb".write(toFile: embeddings + ".ids", atomically: true, encoding: .utf8)
        #expect {
            try IndexFile.build(embeddings: embeddings, ids: embeddings + ".ids", kind: .hnsw, output: embeddings + ".gidx")
        } throws: { error in
            "\(error)" == "\(embeddings).ids has 2 ids but \(embeddings) has 3 rows; give one id per line"
        }
        #expect(!FileManager.default.fileExists(atPath: embeddings + ".gidx"))
    }

    @Test func missingFilesAreFileErrors() throws {
        #expect(throws: IndexError.self) { try IndexFile.build(embeddings: "/nonexistent.npy", kind: .flat, output: "/tmp/never.gidx") }
        #expect { try IndexFile.search(index: "/nonexistent.gidx", queries: "/nonexistent.npy", k: 1) } throws: { error in
            guard case .file = error as? IndexError else { return false }
            return "\(error)".contains("/nonexistent.gidx")
        }
    }
}

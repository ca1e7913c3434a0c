import Foundation
import GantryIndex
import GantryMath
import Testing

/// `Fixtures/*-v1.gidx` were written by the code before `FileEnvelope` (commit 58323a3): users'
/// files of that layout must keep loading, and saving must keep writing the same bytes.
@Suite("Index files of format version 1")
struct IndexFileCompatibilityTests {
    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!.path
    }

    /// What the fixtures hold: 40 clustered 4-d vectors, every third id a name.
    static let data = clusteredVectors(count: 40, dimension: 4, seed: 12)
    static let ids: [VectorID] = (0..<40).map { $0 % 3 == 0 ? .name("tool_\($0)") : numbers($0) }

    @Test func flatFileLoadsAndSavesTheSameBytes() throws {
        var built = try FlatIndex(dimension: 4, metric: .cosine, modelIdentity: "fixture-model@1")
        try built.add(contentsOf: Self.data, ids: Self.ids)
        try built.remove(.name("tool_3"))
        let path = Self.fixture("flat-v1.gidx")
        let loaded = try FlatIndex.load(from: path, expectedModel: "fixture-model@1")
        #expect(loaded.ids == built.ids)
        #expect(try loaded.search(queries: Self.data, k: 5) == built.search(queries: Self.data, k: 5))
        let again = try temporaryPath("flat-again.gidx")
        try loaded.save(to: again)
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == Data(contentsOf: URL(fileURLWithPath: path)))
        try built.save(to: again)
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func hnswFileLoadsAndSavesTheSameBytes() throws {
        var built = try HNSWIndex(dimension: 4, metric: .innerProduct, parameters: .init(m: 4, efConstruction: 20),
                                  modelIdentity: "fixture-model@1")
        try built.add(contentsOf: Self.data, ids: Self.ids, threads: 1)
        try built.remove(5)
        let path = Self.fixture("hnsw-v1.gidx")
        let loaded = try HNSWIndex.load(from: path, expectedModel: "fixture-model@1")
        #expect(loaded.count == 39 && loaded.tombstoneCount == 1 && loaded.parameters == built.parameters)
        #expect(try loaded.search(queries: Self.data, k: 5, ef: 16) == built.search(queries: Self.data, k: 5, ef: 16))
        // The fixture's unused list entries hold what the heap held (see `HNSWStorage.append`), so
        // only a save of the loaded graph reproduces it byte for byte.
        let again = try temporaryPath("hnsw-again.gidx")
        try loaded.save(to: again)
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(try IndexFile.load(from: path).count == 39)
    }

    /// New nodes' neighbor lists are zeroed, so the same build saves the same bytes (files
    /// used to carry whatever the heap held in unused list entries).
    @Test func theSameHNSWBuildSavesTheSameBytes() throws {
        var saved = [Data]()
        for name in ["a.gidx", "b.gidx"] {
            var index = try HNSWIndex(dimension: 4, parameters: .init(m: 4, efConstruction: 20))
            try index.add(contentsOf: Self.data, ids: Self.ids, threads: 1)
            let path = try temporaryPath(name)
            try index.save(to: path)
            saved.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        #expect(saved[0] == saved[1])
    }
}

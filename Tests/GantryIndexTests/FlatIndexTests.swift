import Foundation
import GantryIndex
import GantryMath
import Testing

@Suite("FlatIndex")
struct FlatIndexTests {
    @Test(arguments: [0, 1, 15, 17, 1000, 4099, 9001])
    func singleAndBatchedSearchEqualANaiveScan(count: Int) throws {
        let data = clusteredVectors(count: count, dimension: 67, seed: UInt64(count))
        var index = try FlatIndex(dimension: 67, metric: .innerProduct)
        try index.add(contentsOf: data, ids: (0..<count).map(numbers))
        let queries = clusteredVectors(count: 20, dimension: 67, seed: 999)
        let batched = try index.search(queries: queries, k: 10)
        for q in 0..<queries.rows {
            let exact = naiveTopK(data, queries.row(q), k: 10).map(numbers)
            let single = try index.search(queries.row(q), k: 10)
            #expect(single.map(\.id) == exact)
            #expect(batched[q].map(\.id) == exact)
            #expect(zip(single, batched[q]).allSatisfy { abs($0.score - $1.score) < 1e-5 })
        }
    }

    @Test func tiesGoToTheEarlierInsertedVector() throws {
        var index = try FlatIndex(dimension: 3, metric: .innerProduct)
        for i in 0..<40 { try index.add([1, 0, 0], id: .number(Int64(100 - i))) }
        let hits = try index.search([1, 0, 0], k: 5)
        #expect(hits.map(\.id) == [100, 99, 98, 97, 96])
        #expect(try index.search(queries: try Matrix(rowArrays: [[1, 0, 0]]), k: 5)[0].map(\.id) == hits.map(\.id))
    }

    @Test func cosineNormalizesVectorsAndQueries() throws {
        var index = try FlatIndex(dimension: 2, metric: .cosine)
        try index.add([10, 0], id: "east")
        try index.add([0, 0.5], id: "north")
        let hit = try index.search([3, 3.0001], k: 1)
        #expect(hit.first?.id == "north")
        #expect(abs(hit[0].score - Float(2).squareRoot() / 2) < 1e-3)
        #expect(index.vector(of: "east") == [1, 0])
        #expect(throws: IndexError.zeroVector(row: 0)) { try index.search([0, 0], k: 1) }
    }

    @Test func filtersApplyInsideTheSearch() throws {
        let data = clusteredVectors(count: 3000, dimension: 32, seed: 5)
        var index = try FlatIndex(dimension: 32)
        try index.add(contentsOf: data, ids: (0..<3000).map(numbers))
        let allowed = Set((0..<3000).filter { $0 % 37 == 0 }.map(numbers))
        let queries = clusteredVectors(count: 5, dimension: 32, seed: 6)
        for filter in [SearchFilter.allowing(allowed), .matching { allowed.contains($0) }] {
            let batched = try index.search(queries: queries, k: 10, filter: filter)
            for q in 0..<5 {
                let exact = naiveTopK(data, queries.row(q), k: 10) { $0 % 37 == 0 }.map(numbers)
                #expect(try index.search(queries.row(q), k: 10, filter: filter).map(\.id) == exact)
                #expect(batched[q].map(\.id) == exact)
            }
        }
        #expect(try index.search(queries.row(0), k: 10, filter: .allowing([])).isEmpty)
    }

    @Test func excludedIdsAreLeftOutExactly() throws {
        let data = clusteredVectors(count: 3000, dimension: 32, seed: 5)
        var index = try FlatIndex(dimension: 32)
        try index.add(contentsOf: data, ids: (0..<3000).map(numbers))
        let queries = clusteredVectors(count: 5, dimension: 32, seed: 6)
        for q in 0..<5 {
            // Exclude the query's own top 7, so the excluded hits would otherwise come first.
            let top = naiveTopK(data, queries.row(q), k: 7) { _ in true }
            let excluded = Set(top)
            let exact = naiveTopK(data, queries.row(q), k: 10) { !excluded.contains($0) }.map(numbers)
            let filter = SearchFilter.excluding(Set(top.map(numbers)))
            #expect(try index.search(queries.row(q), k: 10, filter: filter).map(\.id) == exact)
            #expect(try index.search(queries: queries, k: 10, filter: filter)[q].map(\.id) == exact)
        }
    }

    @Test func removeKeepsTheRestInOrder() throws {
        let data = clusteredVectors(count: 200, dimension: 16, seed: 7)
        var index = try FlatIndex(dimension: 16)
        try index.add(contentsOf: data, ids: (0..<200).map(numbers))
        for id in stride(from: 0, to: 200, by: 3) { try index.remove(.number(Int64(id))) }
        #expect(index.count == 133)
        #expect(throws: IndexError.unknownID(0)) { try index.remove(0) }
        let q = data.row(9)
        let exact = naiveTopK(data, q, k: 10) { $0 % 3 != 0 }.map(numbers)
        #expect(try index.search(q, k: 10).map(\.id) == exact)
        try index.add(data.row(0), id: 0)  // a removed id can come back
        #expect(index.contains(0))
    }

    @Test func badInputIsRejectedAndChangesNothing() throws {
        var index = try FlatIndex(dimension: 4)
        try index.add([1, 2, 3, 4], id: "a")
        #expect(throws: IndexError.dimensionMismatch(expected: 4, found: 3)) { try index.add([1, 2, 3], id: "b") }
        #expect(throws: IndexError.nonFiniteVector(row: 0)) { try index.add([1, .nan, 3, 4], id: "b") }
        #expect(throws: IndexError.zeroVector(row: 0)) { try index.add([0, 0, 0, 0], id: "b") }
        #expect(throws: IndexError.duplicateID("a")) { try index.add([1, 1, 1, 1], id: "a") }
        let batch = try Matrix(rowArrays: [[1, 1, 1, 1], [1, .infinity, 1, 1]])
        #expect(throws: IndexError.nonFiniteVector(row: 1)) { try index.add(contentsOf: batch, ids: ["b", "c"]) }
        #expect(throws: IndexError.duplicateID("b")) { try index.add(contentsOf: Matrix(rows: 2, cols: 4, repeating: 1), ids: ["b", "b"]) }
        #expect(throws: IndexError.idCountMismatch(rows: 2, ids: 1)) { try index.add(contentsOf: batch, ids: ["b"]) }
        #expect(index.count == 1)
        #expect(throws: IndexError.dimensionMismatch(expected: 4, found: 5)) { try index.search([1, 2, 3, 4, 5], k: 1) }
        #expect(throws: IndexError.self) { try index.search([1, 2, 3, 4], k: -1) }
        #expect(throws: IndexError.self) { try FlatIndex(dimension: 0) }
    }

    @Test func saveAndLoadGiveIdenticalResults() throws {
        let data = clusteredVectors(count: 500, dimension: 24, seed: 8)
        var index = try FlatIndex(dimension: 24, modelIdentity: "test-model@1")
        try index.add(contentsOf: data, ids: (0..<500).map { $0 % 2 == 0 ? numbers($0) : .name("tool_\($0)") })
        try index.remove(4)
        let path = try temporaryPath("flat.gidx")
        try index.save(to: path)
        let loaded = try FlatIndex.load(from: path, expectedModel: "test-model@1")
        #expect(loaded.ids == index.ids)
        let queries = clusteredVectors(count: 10, dimension: 24, seed: 9)
        #expect(try loaded.search(queries: queries, k: 7) == index.search(queries: queries, k: 7))
        #expect(throws: IndexError.modelMismatch(path: path, expected: "other", found: "test-model@1")) {
            try FlatIndex.load(from: path, expectedModel: "other")
        }
        #expect(try IndexFile.header(at: path).kind == .flat)
        #expect(throws: IndexError.self) { try HNSWIndex.load(from: path) }
    }

    /// Found by `Reliability/run.sh fuzz` (index target): a valid header whose payload length is
    /// near UInt64.max overflowed the "expected bytes" of the truncation error and trapped.
    @Test func fuzzFoundPayloadLengthNearUInt64MaxIsATypedError() throws {
        let hex = "474e5452594944580100000104000000050000600000000004000000000000000037217d3e8fc2bf3d752f687cca862a3fc1e3a73ea756e455a3bee137333f559f743dfe82313f131223bf25b4a93e"
        let path = try temporaryPath("fuzz-crash.gidx")
        try Data(bytes(hex: hex)).write(to: URL(fileURLWithPath: path))
        #expect(throws: IndexError.self) { try IndexFile.load(from: path) }
        // The same defect built on purpose: any payload length the file cannot hold.
        var index = try FlatIndex(dimension: 4)
        try index.add(contentsOf: clusteredVectors(count: 3, dimension: 4, seed: 12), ids: [1, 2, 3])
        try index.save(to: path)
        let valid = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for length in [UInt64.max, UInt64.max - 30, UInt64(Int.max), 1 << 40] {
            try Data(withPayloadLength(length, valid, payloadBytes: valid.count - headerBytes(valid))).write(to: URL(fileURLWithPath: path))
            #expect(throws: IndexError.self, "payload length \(length)") { try IndexFile.load(from: path) }
        }
    }

    @Test func damagedFilesAreTypedErrors() throws {
        let data = clusteredVectors(count: 6, dimension: 4, seed: 10)
        var index = try FlatIndex(dimension: 4)
        try index.add(contentsOf: data, ids: ["a", "b", 3, 4, "e", 6])
        let path = try temporaryPath("small.gidx")
        try index.save(to: path)
        try expectDamagedCopiesRefused(of: path, flips: 500, seed: 11) { path throws(IndexError) in _ = try FlatIndex.load(from: path) }
    }
}

import Foundation
@testable import GantryIndex
import GantryMath
import Testing

/// One 20k-vector graph (M = 16, efConstruction = 100) shared by the recall tests: building it
/// is the slow part.
struct HNSWFixture: Sendable {
    static let dimension = 48
    static let shared = HNSWFixture()
    let data: Matrix
    let queries: Matrix
    let index: HNSWIndex
    let exact: [[VectorID]]

    init() {
        // Queries are held-out points of the same clusters, as real queries resemble the catalog.
        let all = clusteredVectors(count: 20_200, dimension: Self.dimension, clusters: 1000, seed: 1)
        let data = try! Matrix(rows: 20_000, cols: Self.dimension, values: Array(all.values[0..<20_000 * Self.dimension]))
        let queries = try! Matrix(rows: 200, cols: Self.dimension, values: Array(all.values[(20_000 * Self.dimension)...]))
        let ids = (0..<20_000).map(numbers)
        var index = try! HNSWIndex(dimension: Self.dimension, parameters: .init(m: 16, efConstruction: 100))
        try! index.add(contentsOf: data, ids: ids)
        var flat = try! FlatIndex(dimension: Self.dimension)
        try! flat.add(contentsOf: data, ids: ids)
        self.data = data
        self.queries = queries
        self.index = index
        exact = try! flat.search(queries: queries, k: 10).map { $0.map(\.id) }
    }
}

@Suite("HNSWIndex")
struct HNSWIndexTests {
    let fixture = HNSWFixture.shared

    @Test func recallAtTenIsHighAtEf64() throws {
        let found = try fixture.index.search(queries: fixture.queries, k: 10, ef: 64)
        let r = recall(found, fixture.exact)
        #expect(r >= 0.95, "recall@10 = \(r)")
        // A larger ef never hurts much, a tiny one costs recall: the knob is real.
        let wide = recall(try fixture.index.search(queries: fixture.queries, k: 10, ef: 256), fixture.exact)
        let narrow = recall(try fixture.index.search(queries: fixture.queries, k: 10, ef: 10), fixture.exact)
        #expect(wide >= r - 0.005 && wide > narrow, "ef=10: \(narrow), ef=64: \(r), ef=256: \(wide)")
    }

    /// Searches walk the graph on int8 copies of the rows, then rescore on the fp32 vectors:
    /// every returned score is the fp32 inner product (an int8 score is off by ~1e-3), and rows
    /// of any magnitude keep their recall: each row's codes are scaled by its largest value.
    /// (Builds score rows against rows in fp32, so 1e±15 is about as far as a graph of inner
    /// products can go.)
    @Test func scoresAreExactAndAnyMagnitudeWalksWell() throws {
        for magnitude: Float in [1, 1e-15, 1e15] {
            let data = try Matrix(rows: 2000, cols: 32, values: clusteredVectors(count: 2000, dimension: 32, seed: 7).values.map { $0 * magnitude })
            let queries = clusteredVectors(count: 50, dimension: 32, seed: 8)
            var index = try HNSWIndex(dimension: 32, metric: .innerProduct, parameters: .init(m: 16, efConstruction: 100))
            try index.add(contentsOf: data, ids: (0..<2000).map(numbers))
            var flat = try FlatIndex(dimension: 32, metric: .innerProduct)
            try flat.add(contentsOf: data, ids: (0..<2000).map(numbers))
            let found = try index.search(queries: queries, k: 10, ef: 64)
            let r = recall(found, try flat.search(queries: queries, k: 10).map { $0.map(\.id) })
            #expect(r >= 0.95, "magnitude \(magnitude): recall@10 = \(r)")
            var worst: Float = 0
            for (q, hits) in found.enumerated() {
                for hit in hits {
                    let exact = Float(zip(queries.row(q), index.vector(of: hit.id)!).reduce(0.0) { $0 + Double($1.0) * Double($1.1) })
                    worst = max(worst, abs(hit.score - exact) / max(abs(exact), Float.leastNormalMagnitude))
                }
            }
            #expect(worst <= 1e-5, "magnitude \(magnitude): relative score error \(worst)")
        }
    }

    /// Copies of an index share their rows and append after them: of two copies that both add
    /// vectors, the first appends in place and the second must move to rows of its own (as must
    /// the original after them); a reader searching a snapshot while a copy of it grows in place
    /// on another thread keeps its results. Every copy keeps exactly its own vectors.
    @Test func copiesShareRowsAndNeverSeeEachOthersAppends() throws {
        let data = clusteredVectors(count: 1_000, dimension: 32, seed: 11)
        func rows(_ range: Range<Int>) throws -> Matrix { try Matrix(rowArrays: range.map { Array(data.row($0)) }) }
        var original = try HNSWIndex(dimension: 32, metric: .innerProduct, parameters: .init(m: 8, efConstruction: 64))
        try original.add(contentsOf: rows(0..<450), ids: (0..<450).map(numbers))  // rows for exactly 450
        try original.add(contentsOf: rows(450..<500), ids: (450..<500).map(numbers))  // moved: room for 562
        let queries = clusteredVectors(count: 30, dimension: 32, seed: 12)
        var first = original, second = original
        try first.add(contentsOf: rows(500..<550), ids: (500..<550).map(numbers))
        #expect(first.storage.rows === original.storage.rows)  // appended in place
        try second.add(contentsOf: rows(550..<600), ids: (550..<600).map(numbers))
        #expect(second.storage.rows !== original.storage.rows)  // rows 500..<550 were taken: moved
        try original.add(contentsOf: rows(600..<650), ids: (600..<650).map(numbers))
        #expect(original.storage.rows !== first.storage.rows && original.storage.rows !== second.storage.rows)

        // A reader searches a snapshot until a copy of it has grown in place, one vector at a time.
        var roomy = try HNSWIndex(dimension: 32, metric: .innerProduct, parameters: .init(m: 8, efConstruction: 64))
        try roomy.add(contentsOf: rows(0..<400), ids: (0..<400).map(numbers))
        try roomy.add(contentsOf: rows(650..<651), ids: [numbers(650)])  // moved: room for 500
        let snapshot = roomy
        let expected = try snapshot.search(queries: queries, k: 10, ef: 64)
        nonisolated(unsafe) var grown = snapshot
        nonisolated(unsafe) var searches = 0, mismatches = 0
        let done = NSLock()
        nonisolated(unsafe) var writerDone = false
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            if worker == 0 {
                for i in 651..<750 { try! grown.add(data.row(i), id: numbers(i)) }
                done.withLock { writerDone = true }
            } else {
                repeat {
                    if try! snapshot.search(queries: queries, k: 10, ef: 64) != expected { mismatches += 1 }
                    searches += 1
                } while !done.withLock({ writerDone }) || searches < 2
            }
        }
        #expect(mismatches == 0 && searches >= 2)
        #expect(grown.storage.rows === snapshot.storage.rows)  // 99 rows appended in place

        let all = Array(0..<1_000)
        for (index, ids) in [(original, Array(0..<500) + Array(600..<650)), (first, Array(0..<550)), (second, Array(0..<500) + Array(550..<600)),
                             (snapshot, Array(0..<400) + [650]), (grown, Array(0..<400) + Array(650..<750))] {
            #expect(index.count == ids.count)
            #expect(ids.allSatisfy { index.vector(of: numbers($0)) == Array(data.row($0)) })
            #expect(Set(all).subtracting(ids).allSatisfy { !index.contains(numbers($0)) })
            var flat = try FlatIndex(dimension: 32, metric: .innerProduct)
            try flat.add(contentsOf: Matrix(rowArrays: ids.map { Array(data.row($0)) }), ids: ids.map(numbers))
            let r = recall(try index.search(queries: queries, k: 10, ef: 64), try flat.search(queries: queries, k: 10).map { $0.map(\.id) })
            #expect(r >= 0.95, "recall@10 = \(r) over \(ids.count) rows")
        }
    }

    @Test func singleQueriesMatchBatchedOnes() throws {
        let batched = try fixture.index.search(queries: fixture.queries, k: 10, ef: 64)
        for q in 0..<20 {
            #expect(try fixture.index.search(fixture.queries.row(q), k: 10, ef: 64) == batched[q])
        }
    }

    @Test func singleThreadedBuildsAreReproducible() throws {
        let data = clusteredVectors(count: 2000, dimension: 16, seed: 2)
        func build() throws -> HNSWIndex {
            var index = try HNSWIndex(dimension: 16, parameters: .init(m: 8, efConstruction: 50, seed: 7))
            try index.add(contentsOf: data, ids: (0..<2000).map(numbers), threads: 1)
            return index
        }
        let (a, b) = (try build(), try build())
        let queries = clusteredVectors(count: 50, dimension: 16, seed: 3)
        #expect(try a.search(queries: queries, k: 5, ef: 20) == b.search(queries: queries, k: 5, ef: 20))
    }

    /// A parallel build must not leave nodes without in-links (a thread once overwrote back links
    /// that another had just added): every vector, searched for with a wide beam, finds itself.
    @Test(arguments: [1, 2, 4])
    func everyNodeStaysReachable(threads: Int) throws {
        var lost = 0
        for round in 0..<8 {  // small graphs built many times: the interleavings that lose links
            var rng = SplitMix64(seed: 21 + UInt64(round))
            var data = Matrix.randomNormal(rows: 300, cols: 32, using: &rng)
            try data.normalizeRows()
            var index = try HNSWIndex(dimension: 32, parameters: .init(m: 16, efConstruction: 200))
            try index.add(contentsOf: data, ids: (0..<300).map(numbers), threads: threads)
            let found = try index.search(queries: data, k: 1, ef: 300)
            lost += found.enumerated().filter { $0.element.first?.id != numbers($0.offset) }.count
        }
        #expect(lost == 0, "\(lost) of 8 × 300 vectors unreachable with \(threads) threads")
    }

    @Test func removedVectorsAreNeverReturnedAndCompactKeepsRecall() throws {
        var index = fixture.index
        let removed = Set((0..<20_000).filter { $0 % 10 == 0 }.map(numbers))
        for id in removed { try index.remove(id) }
        #expect(index.count == 18_000 && index.tombstoneCount == 2000)
        #expect(!index.contains(0) && fixture.index.contains(0))  // the shared copy is untouched
        let flat = try { () throws -> FlatIndex in
            var flat = try FlatIndex(dimension: HNSWFixture.dimension)
            let keep = (0..<20_000).filter { $0 % 10 != 0 }
            try flat.add(contentsOf: Matrix(rowArrays: keep.map { Array(fixture.data.row($0)) }), ids: keep.map(numbers))
            return flat
        }()
        let exact = try flat.search(queries: fixture.queries, k: 10).map { $0.map(\.id) }
        let found = try index.search(queries: fixture.queries, k: 10, ef: 64)
        #expect(found.allSatisfy { $0.allSatisfy { !removed.contains($0.id) } })
        #expect(recall(found, exact) >= 0.95, "after removal: \(recall(found, exact))")
        try index.compact()
        #expect(index.count == 18_000 && index.tombstoneCount == 0)
        let compacted = try index.search(queries: fixture.queries, k: 10, ef: 64)
        #expect(recall(compacted, exact) >= 0.95, "after compact: \(recall(compacted, exact))")
        try index.add(fixture.data.row(0), id: 0)
        #expect(try index.search(fixture.data.row(0), k: 1).first?.id == 0)
    }

    @Test(arguments: [0.5, 0.05, 0.005])
    func filteredSearchReturnsOnlyAllowedIdsWithRecall(selectivity: Double) throws {
        var rng = SplitMix64(seed: UInt64(selectivity * 1000))
        let allowedRows = (0..<20_000).filter { _ in Double.random(in: 0..<1, using: &rng) < selectivity }
        let allowed = Set(allowedRows.map(numbers))
        let allowedSet = Set(allowedRows)
        let found = try fixture.index.search(queries: fixture.queries, k: 10, ef: 64, filter: .allowing(allowed))
        #expect(found.allSatisfy { $0.allSatisfy { allowed.contains($0.id) } })
        #expect(found.allSatisfy { $0.count == min(10, allowed.count) })
        let exact = (0..<fixture.queries.rows).map { q in
            naiveTopK(fixture.data, fixture.queries.row(q), k: 10) { allowedSet.contains($0) }.map(numbers)
        }
        #expect(recall(found, exact) >= 0.95, "selectivity \(selectivity): recall \(recall(found, exact))")
    }

    /// Excluding a few ids (the facade's blocked tools) leaves them out and keeps recall, and
    /// excluding all but a few answers exactly from the rest.
    @Test(arguments: [20, 19_990])
    func excludedIdsAreNeverReturned(excludedCount: Int) throws {
        var rng = SplitMix64(seed: UInt64(excludedCount))
        let excludedRows = Set((0..<20_000).shuffled(using: &rng).prefix(excludedCount))
        let excluded = Set(excludedRows.map(numbers))
        let found = try fixture.index.search(queries: fixture.queries, k: 10, ef: 64, filter: .excluding(excluded))
        #expect(found.allSatisfy { $0.count == 10 && $0.allSatisfy { !excluded.contains($0.id) } })
        let exact = (0..<fixture.queries.rows).map { q in
            naiveTopK(fixture.data, fixture.queries.row(q), k: 10) { !excludedRows.contains($0) }.map(numbers)
        }
        #expect(recall(found, exact) >= 0.95, "\(excludedCount) excluded: recall \(recall(found, exact))")
        if excludedCount > 19_000 { #expect(found.map { $0.map(\.id) } == exact) }
    }

    @Test func saveAndLoadGiveIdenticalResults() throws {
        var index = fixture.index
        try index.remove(5)
        let path = try temporaryPath("graph.gidx")
        try index.save(to: path)
        let loaded = try HNSWIndex.load(from: path)
        #expect(loaded.count == index.count && loaded.tombstoneCount == 1)
        #expect(loaded.parameters == index.parameters)
        #expect(try loaded.search(queries: fixture.queries, k: 10, ef: 64) == index.search(queries: fixture.queries, k: 10, ef: 64))
        #expect(!loaded.contains(5))
        #expect(try IndexFile.load(from: path).count == index.count)
    }

    @Test func damagedFilesAreTypedErrors() throws {
        let data = clusteredVectors(count: 40, dimension: 4, seed: 12)
        var index = try HNSWIndex(dimension: 4, parameters: .init(m: 4, efConstruction: 20))
        try index.add(contentsOf: data, ids: (0..<40).map(numbers))
        try index.remove(3)
        let path = try temporaryPath("small.gidx")
        try index.save(to: path)
        try expectDamagedCopiesRefused(of: path, flips: 300, seed: 13) { path throws(IndexError) in _ = try HNSWIndex.load(from: path) }
    }

    @Test func parametersAndInputAreValidated() throws {
        #expect(throws: IndexError.self) { try HNSWIndex(dimension: 8, parameters: .init(m: 1)) }
        #expect(throws: IndexError.self) { try HNSWIndex(dimension: 8, parameters: .init(efConstruction: 0)) }
        var index = try HNSWIndex(dimension: 3)
        #expect(try index.search([1, 0, 0], k: 3).isEmpty)
        try index.add([1, 0, 0], id: "x")
        #expect(throws: IndexError.duplicateID("x")) { try index.add([0, 1, 0], id: "x") }
        #expect(throws: IndexError.dimensionMismatch(expected: 3, found: 2)) { try index.search([1, 0], k: 1) }
        #expect(throws: IndexError.self) { try index.search([1, 0, 0], k: 1, ef: 0) }
        #expect(try index.search([1, 0, 0], k: 3).map(\.id) == ["x"])
    }

    /// Many threads searching one value at once must agree with a serial run. Run it under
    /// the thread sanitizer: `swift test --sanitize=thread --filter concurrentSearches`.
    @Test func concurrentSearchesAgreeWithSerialOnes() async throws {
        let index = fixture.index
        let queries = fixture.queries
        let serial = try (0..<queries.rows).map { try index.search(queries.row($0), k: 10, ef: 32) }
        let results = try await withThrowingTaskGroup(of: (Int, [SearchResult]).self) { group in
            for task in 0..<8 {
                group.addTask {
                    var out = [(Int, [SearchResult])]()
                    for q in stride(from: task, to: queries.rows, by: 8) {
                        out.append((q, try index.search(queries.row(q), k: 10, ef: 32)))
                    }
                    return out.last ?? (0, serial[0])
                }
            }
            var collected = [(Int, [SearchResult])]()
            for try await result in group { collected.append(result) }
            return collected
        }
        for (q, hits) in results { #expect(hits == serial[q]) }
    }
}

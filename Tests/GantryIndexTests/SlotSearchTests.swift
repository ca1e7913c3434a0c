import GantryIndex
import GantryMath
import Testing

/// Searches that answer with slots (`searchSlots`, `LexicalScores.topSlots`) for callers that
/// link two indexes by position: they answer as the id searches do, read through `slotIDs` and
/// `withSlotVectors`, also after removals moved rows (flat) or left tombstones (HNSW).
@Suite("Slot searches")
struct SlotSearchTests {
    /// `hits` read through `slotIDs` and the slot's vector equal `expected`: the same ids, the
    /// same scores, and each score the inner product with the vector at the slot.
    static func expectSameAnswer(_ hits: [ScoredIndex], _ expected: [SearchResult], ids: [VectorID], vectors: UnsafeBufferPointer<Float>,
                                 query: [Float], _ comment: Comment) {
        let dimension = query.count
        #expect(hits.map { ids[$0.index] } == expected.map(\.id) && hits.map(\.score) == expected.map(\.score), comment)
        for hit in hits {
            let row = UnsafeBufferPointer(rebasing: vectors[hit.index * dimension ..< (hit.index + 1) * dimension])
            let dot = query.withUnsafeBufferPointer { SIMDKernels.dot($0, row) }
            #expect(abs(dot - hit.score) < 1e-4, "\(comment): the vector at slot \(hit.index) scores \(dot), the hit \(hit.score)")
        }
    }

    static func filters(_ removed: Set<Int>) -> [SearchFilter?] {
        [nil, .excluding([numbers(3), numbers(4)]), .matching { if case .number(let n) = $0 { n % 3 == 0 } else { false } },
         .allowing(Set((0..<300).filter { !removed.contains($0) }.map(numbers)))]
    }

    /// `index` holding `count` clustered vectors answers slot searches as it answers searches,
    /// before and after a fifth of its vectors are removed.
    static func expectSlotSearchesAnswerAsSearches(_ index: inout some VectorIndex, count: Int) throws {
        let data = clusteredVectors(count: count, dimension: index.dimension, seed: UInt64(count))
        try index.add(contentsOf: data, ids: (0..<count).map(numbers))
        var removed = Set<Int>()
        for round in ["added", "after removals"] {
            for query in 0..<8 {
                let q = Array(data.row(query * 37 + 1))
                for filter in Self.filters(removed) {
                    let hits = try index.searchSlots(q, k: 10, filter: filter), expected = try index.search(q, k: 10, filter: filter)
                    let ids = index.slotIDs
                    index.withSlotVectors { Self.expectSameAnswer(hits, expected, ids: ids, vectors: $0, query: q, "\(round)") }
                    #expect(hits.allSatisfy { index.slot(of: ids[$0.index]) == $0.index }, "\(round): a hit at a removed vector's slot")
                }
            }
            for n in stride(from: 1, to: count, by: 5) where !removed.contains(n) { try index.remove(numbers(n)); removed.insert(n) }
        }
        let dimension = index.dimension
        #expect(throws: IndexError.self) { try index.searchSlots([Float](repeating: 1, count: dimension), k: -1, filter: nil) }
    }

    /// A flat index's removals shift the rows after them.
    @Test func flatSlotSearchesAnswerAsSearches() throws {
        var index = try FlatIndex(dimension: 16, metric: .innerProduct)
        try Self.expectSlotSearchesAnswerAsSearches(&index, count: 600)
    }

    /// A graph's removals leave tombstones, which keep their slots (and stale ids).
    @Test func hnswSlotSearchesAnswerAsSearches() throws {
        var index = try HNSWIndex(dimension: 16, metric: .innerProduct)
        try Self.expectSlotSearchesAnswerAsSearches(&index, count: 2_000)
        #expect(index.tombstoneCount > 0)
    }
}

/// A `k` far past the vectors held (up to `Int.max`), with or without a filter, answers every
/// vector allowed — nothing allocated for it, no overflow.
@Test func aHugeKAnswersWhatIsHeld() throws {
    let data = clusteredVectors(count: 50, dimension: 8, seed: 9)
    var flat = try FlatIndex(dimension: 8, metric: .innerProduct)
    var graph = try HNSWIndex(dimension: 8, metric: .innerProduct)
    try flat.add(contentsOf: data, ids: (0..<50).map(numbers))
    try graph.add(contentsOf: data, ids: (0..<50).map(numbers))
    let query = Array(data.row(0))
    for k in [1 << 40, Int.max] {
        for filter in [nil, SearchFilter.excluding([numbers(1)])] {
            let allowed = filter == nil ? 50 : 49
            #expect(try flat.searchSlots(query, k: k, filter: filter).count == allowed)
            #expect(try flat.search(query, k: k, filter: filter).count == allowed)
            #expect(try graph.searchSlots(query, k: k, filter: filter).count == allowed)
            #expect(try graph.search(query, k: k, ef: k, filter: filter).count == allowed)
        }
        #expect(try flat.search(queries: data, k: k).allSatisfy { $0.count == 50 })
        #expect(try graph.search(queries: data, k: k).allSatisfy { $0.count == 50 })
    }
}

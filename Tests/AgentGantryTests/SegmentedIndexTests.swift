import Foundation
import GantryIndex
import GantryMath
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

@Suite("Segmented index")
struct SegmentedIndexTests {
    static func unitVectors(_ count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let v = (0..<dimension).map { _ in random.nextGaussian() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
    }

    static func scan(_ vectors: [[Float]], _ query: [Float], k: Int) -> [(score: Float, payload: Int)] {
        Array(vectors.enumerated().map { (i, v) in (score: zip(v, query).reduce(0) { $0 + $1.0 * $1.1 }, payload: i) }
            .sorted { $0.score > $1.score }.prefix(k))
    }

    /// Past several seals, every search equals a scan of all rows, payloads follow their rows,
    /// and a copy taken earlier still reads what it had.
    @Test func searchesEqualAScanAcrossSeals() throws {
        let dimension = 16, total = 9 * 1024 + 37
        let vectors = Self.unitVectors(total, dimension: dimension, seed: 3)
        var index = try SegmentedIndex<Int>(dimension: dimension)
        var snapshot: SegmentedIndex<Int>?
        for (i, vector) in vectors.enumerated() {
            try index.append(vector, i)
            if i == 3000 { snapshot = index }
        }
        #expect(index.count == total)
        #expect(index.sealed.count == 9 && index.tail.payloads.count == 37 && index.graph == nil)
        for query in Self.unitVectors(20, dimension: dimension, seed: 4) {
            let scan = Self.scan(vectors, query, k: 10)
            let hits = try index.search(query, k: 10)
            #expect(hits.map { index[$0.location] } == scan.map(\.payload))
            #expect(zip(hits, scan).allSatisfy { abs($0.0.score - $0.1.score) < 1e-5 })
            let old = try #require(snapshot)
            #expect(try old.search(query, k: 10).allSatisfy { old[$0.location] <= 3000 })
        }
        let location = try #require(try index.search(vectors[5], k: 1).first?.location)
        index[location] = -5
        #expect(index[location] == -5 && snapshot.map { $0[location] } == 5)
    }

    /// The graph, built in two steps (the second extending the first on a later copy), covers
    /// every sealed row; searches through it find what a scan finds (recall of the best 16 over
    /// clustered rows ≥ 0.95, every row finds itself first), the rows it does not cover yet are
    /// scanned, and a graph built for another index, for a copy that went another way, or
    /// covering no more, is refused.
    @Test func theGraphCoversSealedRowsAndFindsWhatAScanFinds() throws {
        let dimension = 32
        let data = SyntheticEmbeddings.clustered(count: 6 * 1024 + 500, dimension: dimension, clusters: 40, seed: 5)
        let vectors = (0..<data.rows).map { row in let v = Array(data.row(row)); let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); return v.map { $0 / n } }
        var index = try SegmentedIndex<Int>(dimension: dimension)
        for i in 0..<(2 * 1024 + 10) { try index.append(vectors[i], i) }
        let first = try #require(index.graphJob())
        #expect(first.base == nil && first.segments.count == 2)
        let copy = index
        for i in (2 * 1024 + 10)..<vectors.count { try index.append(vectors[i], i) }
        let built = try first.build()
        let installed = index.install(built), again = index.install(built)
        #expect(installed && index.graphRows == 2048)
        #expect(!again)  // covers no more
        var other = try SegmentedIndex<Int>(dimension: dimension)
        for i in 0..<(3 * 1024) { try other.append(vectors[i], i) }
        let stranger = other.install(built)
        #expect(!stranger)  // another index
        let second = try #require(index.graphJob())
        #expect(second.base?.count == 2048 && second.segments.count == 4)
        let secondGraph = try second.build()
        var diverged = copy  // the same index, taken earlier, then given other rows
        for i in 0..<(4 * 1024 + 100) { try diverged.append(vectors[vectors.count - 1 - i], -i) }
        let wrongRows = diverged.install(secondGraph)
        #expect(!wrongRows && diverged.graph == nil)
        let extended = index.install(secondGraph)
        #expect(extended && index.graphRows == 6 * 1024 && index.graphJob() == nil)
        #expect(copy.graph == nil && copy.sealed[0].index.count == 1024)  // the copy taken before reads what it had
        #expect(index.sealed.allSatisfy { $0.index.count == 0 })  // the graph holds the covered rows' vectors
        for ordinal in [0, 1023, 1024, 5000, 6 * 1024 + 3] {
            #expect(index.vector(at: index.location(ofRow: ordinal)) == vectors[ordinal])
        }
        var found = 0, wanted = 0
        for q in stride(from: 0, to: vectors.count, by: 97) {
            let query = vectors[q]
            let hits = try index.search(query, k: 16)
            #expect(index[hits[0].location] == q || hits[0].score >= 1 - 1e-5)
            let exact = Set(Self.scan(vectors, query, k: 16).map(\.payload))
            found += hits.filter { exact.contains(index[$0.location]) }.count
            wanted += 16
        }
        #expect(Double(found) / Double(wanted) >= 0.95, "recall \(Double(found) / Double(wanted))")
        for q in (6 * 1024)..<vectors.count {  // the tail: scanned
            #expect(index[try index.search(vectors[q], k: 1)[0].location] == q)
        }
    }
}

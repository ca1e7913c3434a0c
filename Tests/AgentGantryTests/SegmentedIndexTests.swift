import Foundation
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

    /// Past several seals and a merge, every search equals a scan of all rows, payloads follow
    /// their rows, and a copy taken earlier still reads what it had.
    @Test func searchesEqualAScanAcrossSealsAndMerges() throws {
        let dimension = 16, total = 9 * 1024 + 37
        let vectors = Self.unitVectors(total, dimension: dimension, seed: 3)
        var index = try SegmentedIndex<Int>(dimension: dimension)
        var snapshot: SegmentedIndex<Int>?
        for (i, vector) in vectors.enumerated() {
            try index.append(vector, i)
            if i == 3000 { snapshot = index }
        }
        #expect(index.count == total)
        #expect(index.sealed.map(\.payloads.count) == [8192, 1024] && index.tail.payloads.count == 37)  // eight 1,024s merged
        for query in Self.unitVectors(20, dimension: dimension, seed: 4) {
            let scan = vectors.enumerated().map { (i, v) in (score: zip(v, query).reduce(0) { $0 + $1.0 * $1.1 }, payload: i) }
                .sorted { $0.score > $1.score }.prefix(10)
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
}

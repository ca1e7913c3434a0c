import Foundation
import GantryIndex
import GantryMath
import Testing

@_spi(StoreImplementation) @testable import AgentGantry

@Suite("Tool index")
struct ToolIndexTests {
    /// A process that keeps updating its tools (each update tombstones the old HNSW node) keeps
    /// at most a quarter more nodes than tools, and every tool is still found at its new vector;
    /// removed tools are never found. The soak found the graph growing by one node per update.
    @Test func updatesKeepTheGraphBoundedAndSearchable() throws {
        let (tools, dimension) = (400, 32)
        let names = (0..<tools).map { "tool_\($0)" }
        var vectors = SegmentedIndexTests.unitVectors(tools, dimension: dimension, seed: 1)
        var index = try ToolIndex(dimension: dimension, hnsw: true, names: names,
                                  vectors: try Matrix(rows: tools, cols: dimension, values: vectors.flatMap { $0 }))
        let bound = Int(ToolIndex.tombstoneShare * Double(tools))
        var largest = 0
        for round in 1...3 {
            let fresh = SegmentedIndexTests.unitVectors(tools, dimension: dimension, seed: UInt64(round + 1))
            for (i, name) in names.enumerated() {
                try index.upsert(name, fresh[i])
                vectors[i] = fresh[i]
                largest = max(largest, index.tombstoneCount)
            }
        }
        #expect(largest > 0, "updates tombstone nodes until the rebuild")
        #expect(largest <= bound + 1, "tombstones peaked at \(largest) for \(tools) tools")
        for i in stride(from: 0, to: tools, by: 7) {
            #expect(try index.nearest(to: vectors[i]) == .name(names[i]))
        }
        for name in names.prefix(150) { try index.remove(name) }
        #expect(index.tombstoneCount <= bound + 1)
        for i in 0..<tools {
            let found = try index.nearest(to: vectors[i])
            if i < 150 { #expect(found != .name(names[i])) } else { #expect(found == .name(names[i])) }
        }
    }

    /// Tools that barely vary along a direction still give a query along it their small spread
    /// (not 0, which would drop the lexical side of fusion): 200 nearly collinear tools — a shared
    /// direction, half a unit along a second, 1e-3 noise — and queries orthogonal to both.
    @Test func nearlyCollinearToolsKeepTheirSmallSpread() throws {
        let (count, dimension) = (200, 32)
        var rng = SplitMix64(seed: 11)
        let names = (0..<count).map { "tool_\($0)" }
        let rows = (0..<count).map { _ -> [Float] in
            let along = Float(rng.nextGaussian()) * 0.5
            return (0..<dimension).map { i in (i == 0 ? 1 : 0) + (i == 1 ? along : 0) + Float(rng.nextGaussian()) * 1e-3 }
        }
        var index = try ToolIndex(dimension: dimension, hnsw: false, names: names, vectors: try Matrix(rowArrays: rows))
        index.prepareForSearch()
        let units = rows.map { row in row.map { $0 / row.reduce(0) { $0 + $1 * $1 }.squareRoot() } }
        for seed in 0..<5 as Range<UInt64> {
            var q = SegmentedIndexTests.unitVectors(1, dimension: dimension, seed: 100 + seed)[0]
            (q[0], q[1]) = (0, 0)
            let norm = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
            q = q.map { $0 / norm }
            let scores = units.map { t in zip(q, t).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
            let mean = scores.reduce(0, +) / Double(count)
            let deviation = (scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(count)).squareRoot()
            let statistics = index.moments.statistics(of: q)
            #expect(abs(Double(statistics.deviation) - deviation) <= 0.05 * deviation, "moments give \(statistics.deviation), the scores \(deviation)")
        }
    }

    /// The dense side of hybrid fusion normalises with the catalogue's score statistics, taken
    /// from the index's moments: they equal the mean and deviation of a query's scores over every
    /// indexed tool (computed here one by one in Double) after upserts, replacements and removals,
    /// flat and HNSW, and for a graph loaded from a file.
    @Test(arguments: [false, true]) func momentsGiveEveryToolsScoreStatistics(hnsw: Bool) throws {
        let (tools, dimension) = (300, 24)
        var names = (0..<tools).map { "tool_\($0)" }
        var vectors = Dictionary(uniqueKeysWithValues: zip(names, SegmentedIndexTests.unitVectors(tools, dimension: dimension, seed: 3)))
        var index = try ToolIndex(dimension: dimension, hnsw: hnsw, names: names,
                                  vectors: try Matrix(rowArrays: names.map { vectors[$0]! }))
        let fresh = SegmentedIndexTests.unitVectors(80, dimension: dimension, seed: 4)
        for i in 0..<40 { try index.upsert(names[i], fresh[i]); vectors[names[i]] = fresh[i] }  // replaced
        for i in 40..<80 { try index.upsert("new_\(i)", fresh[i]); vectors["new_\(i)"] = fresh[i] }  // added
        for name in names[100..<160] { try index.remove(name); vectors[name] = nil }
        names = Array(vectors.keys)
        func expectExact(_ index: ToolIndex, tolerance: Double) throws {
            for query in SegmentedIndexTests.unitVectors(5, dimension: dimension, seed: 5) {
                let scores = names.map { name in zip(query, vectors[name]!).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
                let mean = scores.reduce(0, +) / Double(scores.count)
                let deviation = (scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count)).squareRoot()
                let statistics = index.moments.statistics(of: query)
                #expect(abs(Double(statistics.mean) - mean) < 1e-5 && abs(Double(statistics.deviation) - deviation) < tolerance * deviation,
                        "moments give \(statistics), the scores \(mean) ± \(deviation)")
            }
        }
        #expect(index.count == vectors.count && index.moments.count == vectors.count)
        try expectExact(index, tolerance: 1e-4)
        var prepared = index  // the packed covariance, its entries in bfloat16 (each within 2⁻⁹ of itself): within 0.1%
        prepared.prepareForSearch()
        #expect(prepared.moments.isPreparedForSearch && !index.moments.isPreparedForSearch)
        try expectExact(prepared, tolerance: 1e-3)
        if let graph = index.graph {
            let path = NSTemporaryDirectory() + "moments-\(UUID().uuidString).gidx"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try graph.save(to: path)
            try expectExact(try ToolIndex(loaded: HNSWIndex.load(from: path)), tolerance: 1e-4)
        }
    }
}

extension ToolIndex {
    /// The id of the nearest tool to `query`, read through its slot.
    func nearest(to query: [Float]) throws -> VectorID? {
        guard let hit = try searchSlots(query, k: 1, filter: nil).first else { return nil }
        return withSlots { ids, _ in ids[hit.index] }
    }
}

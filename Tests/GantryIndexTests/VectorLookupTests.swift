import Foundation
import GantryIndex
import GantryMath
import Testing

@Suite("vector(of:)")
struct VectorLookupTests {
    static func emptyIndex(_ kind: IndexFile.Kind, _ metric: Metric) throws -> any VectorIndex {
        switch kind {
        case .flat: try FlatIndex(dimension: 8, metric: metric)
        case .hnsw: try HNSWIndex(dimension: 8, metric: metric, parameters: .init(m: 4, efConstruction: 20))
        }
    }

    /// What the index should store for `row`: the row itself, or under cosine the row scaled to
    /// unit length (computed here in Double).
    static func stored(_ row: ArraySlice<Float>, _ metric: Metric) -> [Float] {
        guard metric == .cosine else { return Array(row) }
        let norm = row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return row.map { Float(Double($0) / norm) }
    }

    static func close(_ a: [Float]?, _ b: [Float]) -> Bool {
        guard let a, a.count == b.count else { return false }
        return zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 }
    }

    @Test(arguments: [IndexFile.Kind.flat, .hnsw], [Metric.cosine, .innerProduct])
    func returnsTheStoredVectorAndNilOnceRemoved(kind: IndexFile.Kind, metric: Metric) throws {
        let data = clusteredVectors(count: 60, dimension: 8, seed: 17)
        let ids = (0..<60).map { $0 % 2 == 0 ? numbers($0) : .name("tool_\($0)") }
        var index = try Self.emptyIndex(kind, metric)
        try index.add(contentsOf: data, ids: ids)
        try index.add([3, 0, 0, 0, 0, 0, 0, 4], id: "single")
        for (row, id) in ids.enumerated() { #expect(Self.close(index.vector(of: id), Self.stored(data.row(row), metric)), "\(id)") }
        #expect(Self.close(index.vector(of: "single"), metric == .cosine ? [0.6, 0, 0, 0, 0, 0, 0, 0.8] : [3, 0, 0, 0, 0, 0, 0, 4]))
        #expect(index.vector(of: "never added") == nil && index.vector(of: 1000) == nil)

        let removed: Set<Int> = [0, 1, 17, 59]
        for row in removed.sorted() { try index.remove(ids[row]) }
        for (row, id) in ids.enumerated() {
            if removed.contains(row) {
                #expect(index.vector(of: id) == nil, "\(id) was removed")
            } else {
                #expect(Self.close(index.vector(of: id), Self.stored(data.row(row), metric)), "\(id) after removals")
            }
        }

        let path = try temporaryPath("lookup.gidx")
        try index.save(to: path)
        let loaded = try IndexFile.load(from: path)
        for (row, id) in ids.enumerated() {
            #expect(loaded.vector(of: id) == index.vector(of: id), "\(id) after save and load")
            #expect((loaded.vector(of: id) == nil) == removed.contains(row))
        }
        try index.add(data.row(1), id: ids[1])  // a removed id can come back, with its vector
        #expect(Self.close(index.vector(of: ids[1]), Self.stored(data.row(1), metric)))
    }
}

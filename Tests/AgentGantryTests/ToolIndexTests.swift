import Foundation
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
            #expect(try index.search(vectors[i], k: 1, filter: nil).first?.id == .name(names[i]))
        }
        for name in names.prefix(150) { try index.remove(name) }
        #expect(index.tombstoneCount <= bound + 1)
        for i in 0..<tools {
            let found = try index.search(vectors[i], k: 1, filter: nil).first?.id
            if i < 150 { #expect(found != .name(names[i])) } else { #expect(found == .name(names[i])) }
        }
    }
}

@testable import AgentGantry
import Testing

/// The two helpers an open spreads its work with keep every output at its input's place.
@Suite("Parallel work")
struct ParallelWorkTests {
    @Test("a batch pipeline returns every output in input order, whatever the batch size", arguments: [1, 7, 2_048])
    func batchPipelineKeepsOrder(batchSize: Int) {
        for count in [0, 1, 6_000] {
            var pipeline = BatchPipeline<Int, String>(batchSize: batchSize) { String($0 * 3) }
            for i in 0..<count { pipeline.append(i) }
            #expect(pipeline.finish() == (0..<count).map { String($0 * 3) })
        }
    }

    @Test("a concurrent map equals a map, below and above the share that goes parallel")
    func concurrentMapKeepsOrder() {
        for count in [0, 5, 999, 1_000, 50_001] {
            let input = (0..<count).map { "tool_\($0)" }
            #expect(input.concurrentMap(minimumShare: 1_000) { $0.uppercased() } == input.map { $0.uppercased() })
        }
    }
}

import Foundation
import GantryAdapt
import GantryMath
import Testing

/// `Fixtures/adapter-v1.gadp` was written by the code before `FileEnvelope` (commit 58323a3):
/// adapter files (also kept as blobs in users' stores) of that layout must keep loading, and
/// encoding must keep giving the same bytes.
@Suite("Adapter files of format version 1")
struct AdapterFileCompatibilityTests {
    @Test func fixtureDecodesAndEncodesToTheSameBytes() throws {
        var rng = SplitMix64(seed: 8)
        var adapter = try LowRankAdapter.identity(dimension: 16, rank: 3, side: .both)
        adapter.up = Matrix.randomNormal(rows: 3, cols: 16, using: &rng)
        adapter.toolOffsets = ["cancel_subscription": (0..<16).map { _ in rng.nextGaussian() * 0.1 },
                               "pause": (0..<16).map { _ in rng.nextGaussian() * 0.1 }]
        let path = Bundle.module.url(forResource: "adapter-v1.gadp", withExtension: nil, subdirectory: "Fixtures")!.path
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let (loaded, header) = try AdapterFile.load(from: path, expectedModel: "fixture-model@1", expectedDimension: 16)
        #expect(loaded == adapter)
        #expect(header.trainingJSON == #"{"rank":3}"# && header.metricsJSON == #"{"mrr@10":0.5}"# && header.side == .both)
        #expect(try AdapterFile.decode(bytes, source: "blob").adapter == adapter)
        #expect(AdapterFile.encode(adapter, modelIdentity: "fixture-model@1", trainingJSON: #"{"rank":3}"#,
                                   metricsJSON: #"{"mrr@10":0.5}"#) == bytes)
    }
}

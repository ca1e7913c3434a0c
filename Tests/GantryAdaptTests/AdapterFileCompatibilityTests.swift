import Foundation
import GantryAdapt
import GantryIO
import GantryMath
import Testing

/// `Fixtures/adapter-v1.gadp` was written by the code before `FileEnvelope` (commit 58323a3):
/// adapter files (also kept as blobs in users' stores) of that layout must keep loading. Version 2
/// adds the lexical weight chosen with the adapter.
@Suite("Adapter files of format versions 1 and 2")
struct AdapterFileCompatibilityTests {
    @Test func versionOneFixtureDecodesAndVersionTwoKeepsTheLexicalWeight() throws {
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
        #expect(header.lexicalWeight == nil)
        #expect(try AdapterFile.decode(bytes, source: "blob").adapter == adapter)

        // Without a weight the bytes are version 1's, as earlier builds wrote them and read them.
        #expect(try AdapterFile.encode(adapter, modelIdentity: "fixture-model@1", trainingJSON: #"{"rank":3}"#,
                                       metricsJSON: #"{"mrr@10":0.5}"#) == bytes)
        for weight: Float? in [nil, 0, 0.25, 1] {
            let encoded = try AdapterFile.encode(adapter, modelIdentity: "fixture-model@1", trainingJSON: #"{"rank":3}"#,
                                             metricsJSON: #"{"mrr@10":0.5}"#, lexicalWeight: weight)
            #expect(encoded[8] == (weight == nil ? 1 : 2) && encoded[9] == 0, "version 2 only with a weight")
            let decoded = try AdapterFile.decode(encoded, source: "blob")
            #expect(decoded.adapter == adapter && decoded.header.lexicalWeight == weight)
        }
        for bad: Float in [1.5, -0.1, .nan] {
            #expect(throws: AdaptError.self) { try AdapterFile.encode(adapter, modelIdentity: "fixture-model@1", lexicalWeight: bad) }
        }
        // A version 2 file whose weight is outside 0...1 (checksums made right) is refused.
        let v2 = try AdapterFile.encode(adapter, modelIdentity: "fixture-model@1", lexicalWeight: 0.5)
        let weightAt = try #require((0..<(v2.count - 4)).first { Array(v2[$0..<($0 + 4)]) == Self.littleEndian(0.5) })
        var crafted = v2
        crafted.replaceSubrange(weightAt..<(weightAt + 4), with: Self.littleEndian(1.5))
        crafted = Self.resealed(crafted, headerEnd: weightAt + 4 + 4 + 8 + 4 + 4)  // weight, offsets, payload bytes and CRC, header CRC
        #expect(throws: AdaptError.self) { try AdapterFile.decode(crafted, source: "crafted") }
    }

    static func littleEndian(_ value: Float) -> [UInt8] { withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }

    /// `bytes` with the header checksum (the u32 ending at `headerEnd`) recomputed over the bytes before it.
    static func resealed(_ bytes: [UInt8], headerEnd: Int) -> [UInt8] {
        var bytes = bytes
        let crc = bytes[0..<(headerEnd - 4)].withUnsafeBytes { BinaryFile.checksum($0) }
        bytes.replaceSubrange((headerEnd - 4)..<headerEnd, with: withUnsafeBytes(of: UInt32(crc).littleEndian) { Array($0) })
        return bytes
    }
}

import Foundation
@testable import GantryAdapt
import GantryIO
import GantryMath
import Testing

@Suite("Low-rank adapter and its file")
struct AdapterTests {
    func trainedAdapter() -> LowRankAdapter {
        var rng = SplitMix64(seed: 8)
        var adapter = try! LowRankAdapter.identity(dimension: 16, rank: 3, side: .both)
        adapter.up = Matrix.randomNormal(rows: 3, cols: 16, using: &rng)
        adapter.toolOffsets = ["cancel_subscription": (0..<16).map { _ in rng.nextGaussian() * 0.1 }]
        return adapter
    }

    @Test func singleVectorMatchesTheBatchAndIdentityChangesNothing() throws {
        var rng = SplitMix64(seed: 9)
        var x = Matrix.randomNormal(rows: 5, cols: 16, using: &rng)
        try x.normalizeRows()
        let adapter = trainedAdapter()
        let batch = try adapter.adaptQueries(x)
        for row in 0..<5 {
            let single = try adapter.adaptQuery(x.row(row))
            #expect(zip(single, batch.row(row)).allSatisfy { abs($0 - $1) < 1e-5 })
            #expect(abs(single.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
        }
        let identity = try LowRankAdapter.identity(dimension: 16, rank: 3)
        #expect(identity.isIdentity)
        #expect(zip(try identity.adaptQueries(x).values, x.values).allSatisfy { abs($0 - $1) < 1e-6 })
        // Offsets apply to the named tool only, and only on the tool side.
        let tools = try adapter.adaptTools(x, ids: ["cancel_subscription", "other", "other", "other", "other"])
        #expect(zip(tools.row(1), batch.row(1)).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(zip(tools.row(0), batch.row(0)).contains { abs($0 - $1) > 1e-3 })
    }

    @Test func badInputIsRefused() throws {
        let adapter = trainedAdapter()
        #expect(throws: AdaptError.self) { try adapter.adaptQueries(Matrix(rows: 2, cols: 15)) }
        #expect(throws: AdaptError.self) { try adapter.adaptQueries(Matrix(rows: 1, cols: 16, repeating: .nan)) }
        #expect(throws: AdaptError.self) { try adapter.adaptQuery([Float](repeating: 0, count: 16)) }
        #expect(throws: AdaptError.self) { try LowRankAdapter.identity(dimension: 16, rank: 17) }
    }

    @Test func fileRoundTripsAndRefusesOtherModelsAndDamage() throws {
        let path = NSTemporaryDirectory() + "gantry-adapter-\(UUID().uuidString).gadp"
        let adapter = trainedAdapter()
        try AdapterFile.save(adapter, modelIdentity: "model-a", trainingJSON: #"{"rank":3}"#, metricsJSON: #"{"mrr@10":0.5}"#, to: path)
        let (loaded, header) = try AdapterFile.load(from: path, expectedModel: "model-a", expectedDimension: 16)
        #expect(loaded == adapter)
        #expect(header.trainingJSON == #"{"rank":3}"# && header.rank == 3 && header.side == .both)
        #expect(throws: AdaptError.self) { try AdapterFile.load(from: path, expectedModel: "model-b") }
        #expect(throws: AdaptError.self) { try AdapterFile.load(from: path, expectedDimension: 384) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let damaged = path + ".damaged"
        for length in 0..<bytes.count {  // every truncation
            try bytes.prefix(length).write(to: URL(fileURLWithPath: damaged))
            #expect(throws: AdaptError.self, "length \(length)") { try AdapterFile.load(from: damaged) }
        }
        var rng = SplitMix64(seed: 4)
        for _ in 0..<300 {  // random byte flips: a typed error, never a crash or a silent change
            var flipped = [UInt8](bytes)
            flipped[Int.random(in: 0..<flipped.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            try Data(flipped).write(to: URL(fileURLWithPath: damaged))
            #expect(throws: AdaptError.self) { try AdapterFile.load(from: damaged) }
        }
        // Found by fuzzing the index file, whose header ends the same way: a payload length near
        // UInt64.max (with a valid header checksum) must be a typed error, not an overflow trap.
        let original = [UInt8](bytes)
        let payloadBytes = 2 * 3 * 16 * 4 + (4 + "cancel_subscription".utf8.count + 16 * 4)  // Vᵀ, Uᵀ, one offset
        let headerEnd = original.count - payloadBytes
        for length in [UInt64.max, UInt64(Int.max), 1 << 40] {
            var patched = original
            withUnsafeBytes(of: length.littleEndian) { patched.replaceSubrange(headerEnd - 16..<headerEnd - 8, with: $0) }
            let crc = patched.withUnsafeBytes { BinaryFile.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<headerEnd - 4])) }
            withUnsafeBytes(of: crc.littleEndian) { patched.replaceSubrange(headerEnd - 4..<headerEnd, with: $0) }
            #expect(throws: AdaptError.self, "payload length \(length)") { try AdapterFile.decode(patched, source: "patched") }
        }
        // A failed save leaves the previous file intact.
        #expect(throws: AdaptError.self) { try AdapterFile.save(adapter, modelIdentity: "x", to: "/nonexistent/dir/a.gadp") }
        #expect(try AdapterFile.load(from: path).adapter == adapter)
    }
}

import Foundation
import GantryIndex
import GantryIO
import GantryMath
import Testing

func clusteredVectors(count: Int, dimension: Int, clusters: Int = 50, seed: UInt64) -> Matrix {
    SyntheticEmbeddings.clustered(count: count, dimension: dimension, clusters: clusters, seed: seed)
}

/// The exact top k by a naive scan in Double, ties to the lower row.
func naiveTopK(_ data: Matrix, _ query: ArraySlice<Float>, k: Int, allowed: (Int) -> Bool = { _ in true }) -> [Int] {
    var scored: [(row: Int, score: Double)] = []
    for row in 0..<data.rows where allowed(row) {
        var sum = 0.0
        for (x, y) in zip(data.row(row), query) { sum += Double(x) * Double(y) }
        scored.append((row, sum))
    }
    scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.row < $1.row }
    return scored.prefix(k).map(\.row)
}

/// Mean fraction of the exact top k found.
func recall(_ found: [[SearchResult]], _ exact: [[VectorID]]) -> Double {
    let hits = zip(found, exact).map { f, e in Double(Set(f.map(\.id)).intersection(e).count) / Double(max(e.count, 1)) }
    return hits.reduce(0, +) / Double(max(hits.count, 1))
}

func temporaryPath(_ name: String) throws -> String {
    let folder = NSTemporaryDirectory() + "gantry-index-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder + "/" + name
}

func numbers(_ value: Int) -> VectorID { .number(Int64(value)) }

/// Bytes of a hex string (regression inputs found by the fuzzer).
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}

/// Header length of an index file: magic, version, kind, metric, dimension, count, model
/// string, payload length, payload CRC, header CRC.
func headerBytes(_ file: [UInt8]) -> Int {
    let modelLength = Int(file[24]) | Int(file[25]) << 8 | Int(file[26]) << 16 | Int(file[27]) << 24
    return 28 + modelLength + 16
}

/// `file` with its payload-length field set to `length` and the header checksum recomputed, so
/// only the length is wrong.
func withPayloadLength(_ length: UInt64, _ file: [UInt8], payloadBytes: Int) -> [UInt8] {
    var patched = file
    let headerEnd = file.count - payloadBytes
    withUnsafeBytes(of: length.littleEndian) { patched.replaceSubrange(headerEnd - 16..<headerEnd - 8, with: $0) }
    let crc = patched.withUnsafeBytes { BinaryFile.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<headerEnd - 4])) }
    withUnsafeBytes(of: crc.littleEndian) { patched.replaceSubrange(headerEnd - 4..<headerEnd, with: $0) }
    return patched
}

/// Every truncation of the file at `path`, and `flips` copies with one random byte changed, are
/// refused by `load` with an `IndexError` (a damaged file never loads, nor crashes).
func expectDamagedCopiesRefused(of path: String, flips: Int, seed: UInt64, load: (String) throws(IndexError) -> Void) throws {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let damaged = path + ".bad"
    for length in 0..<bytes.count {
        try bytes.prefix(length).write(to: URL(fileURLWithPath: damaged))
        #expect(throws: IndexError.self, "length \(length)") { try load(damaged) }
    }
    var rng = SplitMix64(seed: seed)
    for _ in 0..<flips {
        var flipped = [UInt8](bytes)
        flipped[Int.random(in: 0..<flipped.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
        try Data(flipped).write(to: URL(fileURLWithPath: damaged))
        #expect(throws: IndexError.self) { try load(damaged) }
    }
}

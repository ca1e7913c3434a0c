import Foundation
@testable import GantryIndex
import GantryIO
import GantryMath
import Testing

/// Loading reads an index file once, with positioned reads straight into the index's final
/// buffers (about 1× the index in memory, not 2×), checksumming the payload as it lands; see
/// `IndexFile` for the design. These tests load indexes many reader windows long.
@Suite("Loading index files")
struct IndexLoadingTests {
    static let dimension = 64
    static let data = clusteredVectors(count: 6_000, dimension: dimension, seed: 41)  // 1.5 MB of vectors
    static let ids = (0..<6_000).map { $0 % 5 == 0 ? .name("tool_\($0)") : numbers($0) }

    static func builtIndex(_ kind: IndexFile.Kind) throws -> any VectorIndex {
        var index: any VectorIndex = switch kind {
        case .flat: try FlatIndex(dimension: dimension)
        case .hnsw: try HNSWIndex(dimension: dimension, parameters: .init(m: 8, efConstruction: 32))
        }
        try index.add(contentsOf: data, ids: ids)
        try index.remove(7)
        return index
    }

    static func isTruncation(_ error: IndexError?) -> Bool {
        if case .file(.truncated)? = error { true } else { false }
    }

    @Test(arguments: [IndexFile.Kind.flat, .hnsw])
    func largeIndexesLoadEqualAndFilesCutOnDiskAreTruncationErrors(kind: IndexFile.Kind) throws {
        let index = try Self.builtIndex(kind)
        let path = try temporaryPath("large.gidx")
        try index.save(to: path)
        let loaded = try IndexFile.load(from: path)
        #expect(loaded.count == index.count && loaded.count == 5_999)
        #expect(Self.ids.allSatisfy { loaded.vector(of: $0) == index.vector(of: $0) })
        let queries = clusteredVectors(count: 20, dimension: Self.dimension, seed: 42)
        #expect(try loaded.search(queries: queries, k: 10, filter: nil) == index.search(queries: queries, k: 10, filter: nil))

        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let cutPath = path + ".cut"
        for length in [10, 40, 200, bytes.count / 3, bytes.count / 2, bytes.count - 4, bytes.count - 1] {
            try Data(bytes.prefix(length)).write(to: URL(fileURLWithPath: cutPath))
            let error = #expect(throws: IndexError.self, "length \(length)") { try IndexFile.load(from: cutPath) }
            #expect(Self.isTruncation(error), "length \(length): \(String(describing: error))")
        }
    }

    /// Another process truncating the file after it was opened: the read that runs out throws
    /// `.file(.truncated)` naming the size it had and the size it has (no SIGBUS, as a memory
    /// mapping would give). Replacing it by rename, as `save` does, changes nothing for a load
    /// already under way: it reads the file it opened.
    @Test(arguments: [IndexFile.Kind.flat, .hnsw])
    func filesTruncatedOrReplacedWhileTheyLoad(kind: IndexFile.Kind) throws {
        let index = try Self.builtIndex(kind)
        let path = try temporaryPath("shrinking.gidx")
        try index.save(to: path)
        let size = Int(try FileManager.default.attributesOfItem(atPath: path)[.size] as! UInt64)
        func decode(_ file: FileEnvelope.Opened<IndexFile.Header>) throws(IndexError) -> any VectorIndex {
            kind == .flat ? try FlatIndex(decoding: file) : try HNSWIndex(decoding: file)
        }

        var opened = try IndexFile.open(path, expectedKind: kind)
        #expect(truncate(path, off_t(size / 2)) == 0)
        let error = #expect(throws: IndexError.self) { try decode(opened) }
        #expect(error == .file(.truncated(path: path, expectedBytes: size, foundBytes: size / 2)))

        try index.save(to: path)
        opened = try IndexFile.open(path, expectedKind: kind)
        var replacement = try FlatIndex(dimension: Self.dimension)
        try replacement.add(Self.data.row(0), id: "other")
        try replacement.save(to: path)
        let loaded = try decode(opened)
        #expect(loaded.count == index.count && Self.ids.allSatisfy { loaded.vector(of: $0) == index.vector(of: $0) })
        #expect(try IndexFile.load(from: path).count == 1)
    }
}

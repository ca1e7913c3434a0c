#if canImport(Glibc)
import Glibc
#endif
import GantryAdapt
import GantryIO
import GantryIndex
import GantryMath
import Synchronization

/// The adapted HNSW tool index, kept in files beside a store file (`<store>.tool-index-<hex>`,
/// one per identity), so an open loads the graph instead of building it (building takes seconds
/// at 10k tools, minutes at 100k), an adapter swap loads what the process that trained it saved,
/// and a withdrawal (`forget`, a retention purge) loads the graph of the version it goes back to.
///
/// Each file is an `IndexFile` (checksummed, written atomically) whose model identity names what
/// made its vectors: the embedding model and the adapter, by a checksum of its weights (the
/// frozen embeddings: no adapter); its name ends with the CRC-32C of that identity. A file of
/// another identity is not used. A file of the same identity is reconciled with the current
/// catalogue (`ToolIndex.reconcile`), so tools registered, changed or removed since it was saved
/// cost an insertion each, not a build — unless more than a quarter of the catalogue was added
/// or removed (then a build is cheaper). A damaged file is ignored and replaced. The `kept`
/// newest files stay; older ones are deleted when a graph is saved.
///
/// A process writes a file after it built a graph or changed one while reconciling it, on a
/// background task (`train()`: before it stores the adapter version, so that processes following
/// the store find the graph when they swap). Processes sharing the store may write one at the same
/// time (the last rename wins, either file is whole). Failing to read or write them never fails
/// an open: they are a cache.
struct ToolIndexCache: Sendable {
    /// The files' names, but for the identity's checksum: `<store>.tool-index`.
    let stem: String
    /// Whether graphs are saved (not for a store opened read-only: its open writes nothing).
    let writable: Bool
    /// Graph files kept (the newest), so that a withdrawal back to the frozen embeddings or an
    /// older adapter usually finds its graph: each is about 1.7 KB per tool at 384 dimensions.
    static let kept = 3

    /// The cache of the store file at `storePath`.
    init(store storePath: String, writable: Bool = true) {
        stem = storePath + ".tool-index"
        self.writable = writable
    }

    /// The file of the graph of `identity`.
    func path(for identity: String) -> String {
        let crc = Array(identity.utf8).withUnsafeBytes { BinaryFile.checksum($0) }
        let hex = String(crc, radix: 16)
        return stem + "-" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// The identity of vectors made by `model` and adapted by `adapter` (nil: the frozen embeddings).
    static func identity(model: String, adapter: LowRankAdapter?) -> String {
        guard let adapter else { return model + " · frozen" }
        var crc = checksum(of: adapter.down.values, continuing: 0)
        crc = checksum(of: adapter.up.values, continuing: crc)
        crc = checksum(of: Array("\(adapter.side)".utf8), continuing: crc)
        for (name, offset) in adapter.toolOffsets.sorted(by: { $0.key < $1.key }) {
            crc = checksum(of: Array(name.utf8), continuing: crc)
            crc = checksum(of: offset, continuing: crc)
        }
        return model + " · adapter crc32c " + String(crc, radix: 16) + " rank \(adapter.rank)"
    }

    private static func checksum<T>(of values: [T], continuing crc: UInt32) -> UInt32 {
        values.withUnsafeBytes { BinaryFile.checksum($0, continuing: crc) }
    }

    /// The graph saved for `identity` and `dimension`, or nil when there is none, it was made
    /// otherwise, or it does not load.
    func load(identity: String, dimension: Int) -> HNSWIndex? {
        let path = path(for: identity)
        guard let header = try? IndexFile.header(at: path),
              header.kind == .hnsw, header.metric == .innerProduct, header.dimension == dimension, header.modelIdentity == identity
        else { return nil }
        return try? HNSWIndex.load(from: path, expectedModel: identity)
    }

    /// A graph read before the open knew which identity it serves, handed over once
    /// (`take(identity:)`), so that the index it becomes is its only owner: a copy kept here
    /// would make the first change to the graph copy all of it.
    final class Prefetched: Sendable {
        private let content: Mutex<(identity: String, graph: HNSWIndex)?>

        init(identity: String, graph: HNSWIndex) {
            content = Mutex((identity, graph))
        }

        /// The graph if it was saved for `identity`, else nil; nil from then on either way.
        func take(identity: String) -> HNSWIndex? {
            content.withLock { content in
                defer { content = nil }
                return content?.identity == identity ? content?.graph : nil
            }
        }
    }

    /// Reads the newest saved graph of `dimension`, whatever its identity, on a background task:
    /// an open starts it before it opens the store, and takes the graph once it knows which
    /// adapter it serves (at 100k tools the read takes half a second, which the store's checks
    /// and reads hide).
    func prefetch(dimension: Int) -> Task<Prefetched?, Never> {
        let newest = graphFiles().first
        return Task.detached(priority: .userInitiated) {
            guard let path = newest, let header = try? IndexFile.header(at: path),
                  header.kind == .hnsw, header.metric == .innerProduct, header.dimension == dimension,
                  let graph = try? HNSWIndex.load(from: path, expectedModel: header.modelIdentity)
            else { return nil }
            return Prefetched(identity: header.modelIdentity, graph: graph)
        }
    }

    /// Writes `index` as the graph of `identity` now, unless the cache is read-only, then deletes
    /// the files beyond the `kept` newest. Errors are dropped, as in the background.
    func save(_ index: HNSWIndex, identity: String) {
        guard writable else { return }
        var labelled = index
        labelled.modelIdentity = identity
        guard (try? labelled.save(to: path(for: identity))) != nil else { return }
        for path in graphFiles().dropFirst(Self.kept) { unlink(path) }
        unlink(stem)  // the one file of versions before 2026-12-03, whatever its identity
    }

    /// Marks the graph of `identity` as just used (its modification time), so that it is the one
    /// the next open reads ahead and among the last deleted; nothing for a read-only cache.
    func markUsed(identity: String) {
        guard writable else { return }
        utimensat(AT_FDCWD, path(for: identity), nil, 0)
    }

    /// The graph files beside the store, newest first (by modification time).
    func graphFiles() -> [String] {
        let slash = stem.lastIndex(of: "/")
        let folder = slash.map { String(stem[..<$0]) } ?? "."
        let prefix = (slash.map { String(stem[stem.index(after: $0)...]) } ?? stem) + "-"
        guard let directory = opendir(folder.isEmpty ? "/" : folder) else { return [] }
        defer { closedir(directory) }
        var files = [(path: String, modified: Int)]()
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let suffix = name.dropFirst(prefix.count)
            guard name.hasPrefix(prefix), suffix.count == 8, suffix.allSatisfy(\.isHexDigit) else { continue }
            let path = (folder.isEmpty ? "" : folder) + "/" + name
            var status = stat()
            guard stat(path, &status) == 0 else { continue }
            files.append((path, status.st_mtim.tv_sec * 1_000_000_000 + status.st_mtim.tv_nsec))
        }
        return files.sorted { $0.modified > $1.modified }.map(\.path)
    }

    /// Writes `index` as the graph of `identity`, on a background task (a copy: the caller's
    /// index is not held up), unless the cache is read-only (nil). Errors are dropped: the next
    /// open builds the graph again.
    func saveInBackground(_ index: HNSWIndex, identity: String) -> Task<Void, Never>? {
        guard writable else { return nil }
        return Task.detached(priority: .utility) { [self] in save(index, identity: identity) }
    }
}

/// Where a tool index came from: built from the catalogue, or loaded from a `ToolIndexCache`
/// file and brought up to date with `changes` insertions or removals.
enum IndexOrigin: Equatable, Sendable {
    case built
    case loaded(changes: Int)
}

import GantryIO
import GantryMath

/// The former name of `IndexFile.Kind`.
@available(*, deprecated, renamed: "IndexFile.Kind")
public typealias IndexKind = IndexFile.Kind

/// The one-file format of both indexes, a `FileEnvelope` (little-endian throughout):
///
///     magic        8 bytes  "GNTRYIDX"
///     version      u16      1
///     kind         u8       0 flat, 1 HNSW
///     metric       u8       0 inner product, 1 cosine
///     dimension    u32
///     count        u64      vectors stored (HNSW: including tombstoned ones)
///     model        u32 byte count + UTF-8: the embedding model's identity
///     payloadBytes u64
///     payloadCRC   u32      CRC-32C of the payload
///     headerCRC    u32      CRC-32C of every header byte before it
///     payload      kind-specific: parameters, ids, vectors (one block of count×dimension
///                  floats), and for HNSW levels, tombstones and neighbor lists
///
/// Files are written to a temporary file, fsynced and renamed. Loading checks the magic, the
/// version, the header checksum and every count against the bytes present before allocating,
/// so a truncated or damaged file is a typed error, never a crash or a huge allocation.
///
/// Loading reads the file once, with `pread`, straight into the index's final buffers,
/// checksumming the payload as it lands there; the index is returned only if the checksum
/// matches. Peak memory is the index plus a 64 KiB window (reading the whole file first and
/// copying out of it took twice the index). Memory-mapping was the other way to 1×: the file
/// could be verified in place, but the vectors must still be copied into storage the index
/// owns (a value outlives the file), and a mapping turns a concurrent truncation into SIGBUS,
/// which no loader can turn into a typed error. With `pread`, another process that:
/// - replaces the file by rename (as `save` does): the open descriptor keeps reading the old
///   file, which loads whole and consistent;
/// - truncates it while it loads: the read that runs out throws `.file(.truncated)`;
/// - rewrites bytes in place: the payload (or header) checksum fails, `.file(.checksumMismatch)`.
public enum IndexFile {
    static let envelope = FileEnvelope(magic: "GNTRYIDX", name: "index", versions: 1...1)

    /// What the header of an index file says.
    public struct Header: Equatable, Sendable {
        /// Which index the payload holds.
        public var kind: Kind
        /// How the index scores.
        public var metric: Metric
        /// The length of every vector.
        public var dimension: Int
        /// Vectors stored (HNSW: including tombstoned ones).
        public var count: Int
        /// The embedding model that made the vectors.
        public var modelIdentity: String
    }

    /// The kind of index a file holds (not `RetrievalEvaluator.IndexKind`, which names the
    /// index an evaluation searches).
    public enum Kind: UInt8, Sendable, CustomStringConvertible {
        /// A `FlatIndex`: exact search.
        case flat = 0
        /// An `HNSWIndex`: approximate search on a graph.
        case hnsw = 1

        /// `flat` or `hnsw`, as `gantry index build --kind` spells it.
        public var description: String { self == .flat ? "flat" : "hnsw" }
    }

    /// Reads just the header of `path`, verified by its checksum (the payload is verified when
    /// the index is loaded).
    public static func header(at path: String) throws(IndexError) -> Header {
        try open(path).header
    }

    /// Loads whichever index `path` holds.
    public static func load(from path: String, expectedModel: String? = nil) throws(IndexError) -> any VectorIndex {
        let file = try open(path, expectedModel: expectedModel)
        switch file.header.kind {
        case .flat: return try FlatIndex(decoding: file)
        case .hnsw: return try HNSWIndex(decoding: file)
        }
    }

    static func write(_ header: Header, payload: [UInt8], to path: String) throws(IndexError) {
        do {
            try envelope.write(header: { writer in
                writer.append(header.kind.rawValue)
                writer.append(header.metric.rawValue)
                writer.append(UInt32(header.dimension))
                writer.append(UInt64(header.count))
                writer.append(header.modelIdentity)
            }, payload: payload, to: path)
        } catch {
            throw .file(error)
        }
    }

    /// Opens `path` and verifies its header; the payload is read by `readPayload`.
    static func open(_ path: String, expectedKind: Kind? = nil, expectedModel: String? = nil)
        throws(IndexError) -> FileEnvelope.Opened<Header>
    {
        let file: FileEnvelope.Opened<(kind: UInt8, metric: UInt8, dimension: Int, count: UInt64, model: String)>
        do {
            file = try envelope.open(path) { reader, _ throws(FileFormatError) in
                (try reader.read(UInt8.self), try reader.read(UInt8.self), Int(try reader.read(UInt32.self)),
                 try reader.read(UInt64.self), try reader.readString(maxBytes: 4096))
            }
        } catch {
            throw .file(error)
        }
        return try file.mapHeader { (fields) throws(IndexError) in
            guard let kind = Kind(rawValue: fields.kind), let metric = Metric(rawValue: fields.metric) else {
                throw .file(.unsupported(path: path, reason: "index kind \(fields.kind) / metric \(fields.metric)"))
            }
            guard fields.dimension > 0, fields.count <= UInt64(file.payloadBytes / (fields.dimension * 4)) else {
                throw .file(.malformed(path: path, reason: "dimension \(fields.dimension) and count \(fields.count) do not fit the payload"))
            }
            if let expectedKind, kind != expectedKind {
                throw .file(.unsupported(path: path, reason: "it holds a \(kind) index, not a \(expectedKind) one"))
            }
            if let expectedModel, expectedModel != fields.model {
                throw .modelMismatch(path: path, expected: expectedModel, found: fields.model)
            }
            return Header(kind: kind, metric: metric, dimension: fields.dimension, count: Int(fields.count), modelIdentity: fields.model)
        }
    }

    /// Decodes the payload of `file` (see `FileEnvelope.Opened.readPayload`), failing as an `IndexError`.
    static func readPayload<Value>(of file: FileEnvelope.Opened<Header>,
                                   _ decode: (inout BinaryReader) throws(FileFormatError) -> Value) throws(IndexError) -> Value {
        do { return try file.readPayload(decode) } catch { throw .file(error) }
    }

    static func append(_ ids: [VectorID], to writer: inout BinaryWriter) {
        for id in ids {
            switch id {
            case .number(let value):
                writer.append(UInt8(0))
                writer.append(value)
            case .name(let value):
                writer.append(UInt8(1))
                writer.append(value)
            }
        }
    }

    static func readIDs(_ count: Int, from reader: inout BinaryReader) throws(FileFormatError) -> [VectorID] {
        var ids = [VectorID]()
        ids.reserveCapacity(min(count, reader.remaining / 9))
        for _ in 0..<count {
            switch try reader.read(UInt8.self) {
            case 0: ids.append(.number(try reader.read(Int64.self)))
            case 1: ids.append(.name(try reader.readString(maxBytes: 4096)))
            case let tag: throw .malformed(path: reader.path, reason: "unknown id tag \(tag) at offset \(reader.offset - 1)")
            }
        }
        return ids
    }
}

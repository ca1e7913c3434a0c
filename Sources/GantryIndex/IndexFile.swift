import GantryIO
import GantryMath

/// The former name of `IndexFile.Kind`.
@available(*, deprecated, renamed: "IndexFile.Kind")
public typealias IndexKind = IndexFile.Kind

/// The one-file format of both indexes (little-endian throughout):
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
///                  floats), and for HNSW levels, tombstones and neighbour lists
///
/// Files are written to a temporary file, fsynced and renamed. Loading checks the magic, the
/// version, both checksums and every count against the bytes present before allocating, so
/// a truncated or damaged file is a typed error, never a crash or a huge allocation.
public enum IndexFile {
    static let magic = Array("GNTRYIDX".utf8)
    static let version: UInt16 = 1

    /// The kind of index a file holds (not `RetrievalEvaluator.IndexKind`, which names the
    /// index an evaluation searches).
    public enum Kind: UInt8, Sendable, CustomStringConvertible {
        case flat = 0
        case hnsw = 1

        public var description: String { self == .flat ? "flat" : "hnsw" }
    }

    /// What the header of an index file says.
    public struct Header: Equatable, Sendable {
        public var kind: Kind
        public var metric: Metric
        public var dimension: Int
        public var count: Int
        public var modelIdentity: String
    }

    /// Reads just the header of `path` (validated, including its checksum).
    public static func header(at path: String) throws(IndexError) -> Header {
        try open(path).header
    }

    /// Loads whichever index `path` holds.
    public static func load(from path: String, expectedModel: String? = nil) throws(IndexError) -> any VectorIndex {
        switch try header(at: path).kind {
        case .flat: try FlatIndex.load(from: path, expectedModel: expectedModel)
        case .hnsw: try HNSWIndex.load(from: path, expectedModel: expectedModel)
        }
    }

    static func write(_ header: Header, payload: [UInt8], to path: String) throws(IndexError) {
        var writer = BinaryWriter(reservingCapacity: payload.count + 128)
        magic.withUnsafeBytes { writer.append(bytes: $0) }
        writer.append(version)
        writer.append(header.kind.rawValue)
        writer.append(header.metric.rawValue)
        writer.append(UInt32(header.dimension))
        writer.append(UInt64(header.count))
        writer.append(header.modelIdentity)
        writer.append(UInt64(payload.count))
        writer.append(payload.withUnsafeBytes { BinaryFile.checksum($0) })
        let headerCRC = writer.bytes.withUnsafeBytes { BinaryFile.checksum($0) }
        writer.append(headerCRC)
        payload.withUnsafeBytes { writer.append(bytes: $0) }
        do {
            try BinaryFile.writeAtomically(writer.bytes, to: path)
        } catch {
            throw .file(error)
        }
    }

    /// Opens and verifies a file; returns its header and a reader positioned at the payload.
    static func open(_ path: String, expectedKind: Kind? = nil, expectedModel: String? = nil)
        throws(IndexError) -> (header: Header, payload: BinaryReader)
    {
        do {
            let bytes = try BinaryFile.read(path)
            var reader = BinaryReader(bytes, path: path)
            guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
                throw FileFormatError.malformed(path: path, reason: "not an AgentGantry index file (no GNTRYIDX magic)")
            }
            try reader.skip(magic.count)
            let fileVersion = try reader.read(UInt16.self)
            guard fileVersion == version else {
                throw FileFormatError.unsupported(path: path, reason: "index format version \(fileVersion); this build reads \(version)")
            }
            let kindByte = try reader.read(UInt8.self), metricByte = try reader.read(UInt8.self)
            let dimension = Int(try reader.read(UInt32.self))
            let count = try reader.read(UInt64.self)
            let model = try reader.readString(maxBytes: 4096)
            let payloadBytes = try reader.read(UInt64.self)
            let payloadCRC = try reader.read(UInt32.self)
            let headerEnd = reader.offset
            let headerCRC = try reader.read(UInt32.self)
            let computedHeaderCRC = bytes.withUnsafeBytes { BinaryFile.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<headerEnd])) }
            guard headerCRC == computedHeaderCRC else {
                throw FileFormatError.checksumMismatch(path: path, expected: headerCRC, found: computedHeaderCRC)
            }
            guard let kind = Kind(rawValue: kindByte), let metric = Metric(rawValue: metricByte) else {
                throw FileFormatError.unsupported(path: path, reason: "index kind \(kindByte) / metric \(metricByte)")
            }
            guard payloadBytes == UInt64(reader.remaining) else {
                if payloadBytes > UInt64(reader.remaining) {
                    throw FileFormatError.truncated(path: path, expectedBytes: reader.offset + Int(min(payloadBytes, UInt64(Int.max - reader.offset))),
                                                    foundBytes: bytes.count)
                }
                throw FileFormatError.malformed(path: path, reason: "\(UInt64(reader.remaining) - payloadBytes) bytes after the payload")
            }
            let computedPayloadCRC = bytes.withUnsafeBytes { BinaryFile.checksum(UnsafeRawBufferPointer(rebasing: $0[reader.offset...])) }
            guard payloadCRC == computedPayloadCRC else {
                throw FileFormatError.checksumMismatch(path: path, expected: payloadCRC, found: computedPayloadCRC)
            }
            guard dimension > 0, count <= UInt64(reader.remaining / max(dimension * 4, 1)) else {
                throw FileFormatError.malformed(path: path, reason: "dimension \(dimension) and count \(count) do not fit the payload")
            }
            let header = Header(kind: kind, metric: metric, dimension: dimension, count: Int(count), modelIdentity: model)
            if let expectedKind, kind != expectedKind {
                throw FileFormatError.unsupported(path: path, reason: "it holds a \(kind) index, not a \(expectedKind) one")
            }
            if let expectedModel, expectedModel != model {
                throw IndexError.modelMismatch(path: path, expected: expectedModel, found: model)
            }
            return (header, reader)
        } catch let error as FileFormatError {
            throw .file(error)
        } catch let error as IndexError {
            throw error
        } catch {
            throw .invalidParameter("\(error)")
        }
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

import GantryIO
import GantryMath

/// The kind of index a file holds.
public enum IndexKind: UInt8, Sendable, CustomStringConvertible {
    case flat = 0
    case hnsw = 1

    public var description: String { self == .flat ? "flat" : "hnsw" }
}

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

    /// What the header of an index file says.
    public struct Header: Equatable, Sendable {
        public var kind: IndexKind
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
    static func open(_ path: String, expectedKind: IndexKind? = nil, expectedModel: String? = nil)
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
            guard let kind = IndexKind(rawValue: kindByte), let metric = Metric(rawValue: metricByte) else {
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

extension FlatIndex {
    /// Writes the index to `path` atomically (format: `IndexFile`).
    public func save(to path: String) throws(IndexError) {
        var payload = BinaryWriter(reservingCapacity: vectors.count * 4 + count * 16)
        IndexFile.append(idMap.ids, to: &payload)
        payload.append(floats: vectors)
        try IndexFile.write(IndexFile.Header(kind: .flat, metric: metric, dimension: dimension, count: count,
                                             modelIdentity: modelIdentity), payload: payload.bytes, to: path)
    }

    /// Loads a flat index written by `save(to:)`; with `expectedModel`, refuses a file built
    /// from another embedding model.
    public static func load(from path: String, expectedModel: String? = nil) throws(IndexError) -> FlatIndex {
        var (header, reader) = try IndexFile.open(path, expectedKind: .flat, expectedModel: expectedModel)
        var index = try FlatIndex(dimension: header.dimension, metric: header.metric, modelIdentity: header.modelIdentity)
        do {
            let ids = try IndexFile.readIDs(header.count, from: &reader)
            index.vectors = try reader.readFloats(header.count * header.dimension)
            guard reader.remaining == 0 else {
                throw FileFormatError.malformed(path: path, reason: "\(reader.remaining) unexpected bytes at the end")
            }
            index.idMap = try IDMap(ids: ids)
        } catch let error as FileFormatError {
            throw .file(error)
        } catch let error as IndexError {
            throw error
        } catch {
            throw .invalidParameter("\(error)")
        }
        return index
    }
}

extension HNSWIndex {
    /// Writes the index to `path` atomically (format: `IndexFile`; payload: parameters,
    /// entry point, ids, levels, tombstones, vectors, layer-0 lists, upper-layer lists).
    public func save(to path: String) throws(IndexError) {
        let s = storage
        var payload = BinaryWriter(reservingCapacity: s.count * (dimension * 4 + s.stride0 * 4 + 16))
        payload.append(UInt32(parameters.m))
        payload.append(UInt32(parameters.efConstruction))
        payload.append(UInt32(parameters.efSearch))
        payload.append(parameters.seed)
        payload.append(s.entryPoint)
        payload.append(Int32(s.maxLevel))
        IndexFile.append(idMap.ids, to: &payload)
        payload.append(bytes: UnsafeRawBufferPointer(start: s.levels, count: s.count))
        payload.append(bytes: UnsafeRawBufferPointer(start: s.deleted, count: s.count))
        payload.append(bytes: UnsafeRawBufferPointer(start: s.vectors, count: s.count * dimension * 4))
        payload.append(bytes: UnsafeRawBufferPointer(start: s.links0, count: s.count * s.stride0 * 4))
        for slot in 0..<s.count {
            if let block = s.upper[slot] {
                payload.append(bytes: UnsafeRawBufferPointer(start: block, count: Int(s.levels[slot]) * s.strideUpper * 4))
            }
        }
        try IndexFile.write(IndexFile.Header(kind: .hnsw, metric: metric, dimension: dimension, count: s.count,
                                             modelIdentity: modelIdentity), payload: payload.bytes, to: path)
    }

    /// Loads an HNSW index written by `save(to:)`, checking the whole graph (every link in
    /// range and on a layer its target reaches) before use.
    public static func load(from path: String, expectedModel: String? = nil) throws(IndexError) -> HNSWIndex {
        var (header, reader) = try IndexFile.open(path, expectedKind: .hnsw, expectedModel: expectedModel)
        func malformed(_ reason: String) -> IndexError { .file(.malformed(path: path, reason: reason)) }
        do {
            let m = Int(try reader.read(UInt32.self))
            let efConstruction = Int(try reader.read(UInt32.self))
            let efSearch = Int(try reader.read(UInt32.self))
            let seed = try reader.read(UInt64.self)
            let parameters = HNSWIndex.Parameters(m: m, efConstruction: efConstruction, efSearch: efSearch, seed: seed)
            do { try parameters.validate() } catch { throw malformed("parameters: \(error)") }
            let entryPoint = try reader.read(Int32.self)
            let maxLevel = Int(try reader.read(Int32.self))
            let count = header.count, dimension = header.dimension
            let ids = try IndexFile.readIDs(count, from: &reader)
            let levels = try reader.readBytes(count)
            let deleted = try reader.readBytes(count)
            let vectors = try reader.readFloats(count * dimension)
            var index = try HNSWIndex(dimension: dimension, metric: header.metric, parameters: parameters,
                                      modelIdentity: header.modelIdentity)
            let s = index.storage
            let stride0 = s.stride0
            let links0 = try reader.readInt32s(count * stride0)
            guard vectors.allSatisfy(\.isFinite) else { throw malformed("a vector holds NaN or infinity") }
            guard levels.allSatisfy({ $0 <= 31 }), deleted.allSatisfy({ $0 <= 1 }) else { throw malformed("bad level or tombstone byte") }
            if count == 0 {
                guard entryPoint == -1 else { throw malformed("an empty graph with an entry point") }
            } else {
                guard entryPoint >= 0, Int(entryPoint) < count, Int(levels[Int(entryPoint)]) == maxLevel,
                      levels.allSatisfy({ Int($0) <= maxLevel })
                else { throw malformed("entry point \(entryPoint) / top level \(maxLevel) do not match the levels") }
            }
            s.reserve(count)
            for slot in 0..<count {
                let level = Int(levels[slot])
                vectors.withUnsafeBufferPointer { s.append(UnsafeBufferPointer(rebasing: $0[slot * dimension..<(slot + 1) * dimension]), level: level) }
            }
            // Layer 0, then each upper block, validated link by link.
            func check(_ list: ArraySlice<Int32>, capacity: Int, layer: Int, of slot: Int) throws(IndexError) {
                let n = Int(list.first!)
                guard n >= 0, n <= capacity else { throw malformed("node \(slot) layer \(layer) has \(n) links (limit \(capacity))") }
                for target in list.dropFirst().prefix(n) {
                    guard target >= 0, Int(target) < count, Int(levels[Int(target)]) >= layer, Int(target) != slot else {
                        throw malformed("node \(slot) layer \(layer) links to \(target)")
                    }
                }
            }
            for slot in 0..<count {
                let list = links0[slot * stride0..<(slot + 1) * stride0]
                try check(list, capacity: s.m0, layer: 0, of: slot)
                for (i, value) in list.enumerated() { s.links0[slot * stride0 + i] = value }
            }
            for slot in 0..<count where levels[slot] > 0 {
                let level = Int(levels[slot])
                let block = try reader.readInt32s(level * s.strideUpper)
                for layer in 1...level {
                    let start = (layer - 1) * s.strideUpper
                    try check(block[start..<start + s.strideUpper], capacity: s.m, layer: layer, of: slot)
                }
                block.withUnsafeBufferPointer { s.upper[slot]!.update(from: $0.baseAddress!, count: block.count) }
            }
            guard reader.remaining == 0 else { throw malformed("\(reader.remaining) unexpected bytes at the end") }
            s.entryPoint = entryPoint
            s.maxLevel = count == 0 ? -1 : maxLevel
            for slot in 0..<count where deleted[slot] == 1 {
                s.deleted[slot] = 1
                s.deletedCount += 1
            }
            index.idMap = try IDMap(ids: ids, live: { deleted[$0] == 0 })
            return index
        } catch let error as FileFormatError {
            throw .file(error)
        } catch let error as IndexError {
            throw error
        } catch {
            throw .invalidParameter("\(error)")
        }
    }
}

import Foundation
import GantryIO
import GantryMath

/// The adapter file (`.gadp`), little-endian throughout:
///
///     magic         8 bytes  "GNTRYADP"
///     version       u16      1
///     dimension     u32      d
///     rank          u32      r
///     side          u8       0 query, 1 both
///     model         string   the embedding model's identity (u32 byte count + UTF-8)
///     training      string   JSON: the training configuration
///     metrics       string   JSON: the metrics it reached (free-form, for people)
///     offsets       u32      number of tool offsets
///     payloadBytes  u64
///     payloadCRC    u32      CRC-32C of the payload
///     headerCRC     u32      CRC-32C of every header byte before it
///     payload       down (r·d floats), up (r·d floats), then per offset: tool id string, d floats
///
/// Written to a temporary file, fsynced and renamed; loading checks everything against the bytes
/// present before allocating, so a damaged file is a typed error.
public enum AdapterFile {
    static let magic = Array("GNTRYADP".utf8)
    static let version: UInt16 = 1

    /// What a file says besides the adapter itself.
    public struct Header: Sendable, Equatable {
        public var dimension: Int
        public var rank: Int
        public var side: LowRankAdapter.Side
        public var modelIdentity: String
        public var trainingJSON: String
        public var metricsJSON: String
    }

    public static func save(_ adapter: LowRankAdapter, modelIdentity: String, trainingJSON: String = "{}",
                            metricsJSON: String = "{}", to path: String) throws(AdaptError) {
        let bytes = encode(adapter, modelIdentity: modelIdentity, trainingJSON: trainingJSON, metricsJSON: metricsJSON)
        do { try BinaryFile.writeAtomically(bytes, to: path) } catch { throw .file(error) }
    }

    /// The bytes of an adapter file (for stores that keep it as a blob).
    public static func encode(_ adapter: LowRankAdapter, modelIdentity: String, trainingJSON: String = "{}",
                              metricsJSON: String = "{}") -> [UInt8] {
        var payload = BinaryWriter(reservingCapacity: (2 * adapter.rank + adapter.toolOffsets.count) * adapter.dimension * 4 + 64)
        payload.append(floats: adapter.down.values)
        payload.append(floats: adapter.up.values)
        for id in adapter.toolOffsets.keys.sorted() {
            payload.append(id)
            payload.append(floats: adapter.toolOffsets[id]!)
        }
        var writer = BinaryWriter(reservingCapacity: payload.bytes.count + 4096)
        magic.withUnsafeBytes { writer.append(bytes: $0) }
        writer.append(version)
        writer.append(UInt32(adapter.dimension))
        writer.append(UInt32(adapter.rank))
        writer.append(UInt8(adapter.side == .query ? 0 : 1))
        writer.append(modelIdentity)
        writer.append(trainingJSON)
        writer.append(metricsJSON)
        writer.append(UInt32(adapter.toolOffsets.count))
        writer.append(UInt64(payload.bytes.count))
        writer.append(payload.bytes.withUnsafeBytes { BinaryFile.checksum($0) })
        writer.append(writer.bytes.withUnsafeBytes { BinaryFile.checksum($0) })
        payload.bytes.withUnsafeBytes { writer.append(bytes: $0) }
        return writer.bytes
    }

    /// Loads and verifies `path`. With `expectedModel` / `expectedDimension`, an adapter made for
    /// another embedding model or dimension is refused.
    public static func load(from path: String, expectedModel: String? = nil, expectedDimension: Int? = nil)
        throws(AdaptError) -> (adapter: LowRankAdapter, header: Header)
    {
        let bytes: [UInt8]
        do { bytes = try BinaryFile.read(path) } catch { throw .file(error) }
        return try decode(bytes, source: path, expectedModel: expectedModel, expectedDimension: expectedDimension)
    }

    /// Decodes and verifies the bytes of an adapter file; `source` names them in errors.
    public static func decode(_ bytes: [UInt8], source path: String, expectedModel: String? = nil, expectedDimension: Int? = nil)
        throws(AdaptError) -> (adapter: LowRankAdapter, header: Header)
    {
        do {
            guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
                throw FileFormatError.malformed(path: path, reason: "not an AgentGantry adapter file (no GNTRYADP magic)")
            }
            var reader = BinaryReader(bytes, path: path)
            try reader.skip(magic.count)
            let fileVersion = try reader.read(UInt16.self)
            guard fileVersion == version else {
                throw FileFormatError.unsupported(path: path, reason: "adapter format version \(fileVersion); this build reads \(version)")
            }
            let dimension = Int(try reader.read(UInt32.self)), rank = Int(try reader.read(UInt32.self))
            let sideByte = try reader.read(UInt8.self)
            let model = try reader.readString(maxBytes: 4096)
            let training = try reader.readString(maxBytes: 1 << 20), metrics = try reader.readString(maxBytes: 1 << 20)
            let offsetCount = Int(try reader.read(UInt32.self))
            let payloadBytes = try reader.read(UInt64.self)
            let payloadCRC = try reader.read(UInt32.self)
            let headerEnd = reader.offset
            let headerCRC = try reader.read(UInt32.self)
            let computed = bytes.withUnsafeBytes { BinaryFile.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<headerEnd])) }
            guard headerCRC == computed else { throw FileFormatError.checksumMismatch(path: path, expected: headerCRC, found: computed) }
            guard payloadBytes == UInt64(reader.remaining) else {
                if payloadBytes > UInt64(reader.remaining) {
                    throw FileFormatError.truncated(path: path, expectedBytes: reader.offset + Int(min(payloadBytes, UInt64(Int.max - reader.offset))), foundBytes: bytes.count)
                }
                throw FileFormatError.malformed(path: path, reason: "\(UInt64(reader.remaining) - payloadBytes) bytes after the payload")
            }
            let payloadComputed = bytes.withUnsafeBytes { BinaryFile.checksum(UnsafeRawBufferPointer(rebasing: $0[reader.offset...])) }
            guard payloadCRC == payloadComputed else {
                throw FileFormatError.checksumMismatch(path: path, expected: payloadCRC, found: payloadComputed)
            }
            guard sideByte <= 1, dimension > 0, (1...dimension).contains(rank),
                  UInt64(2 * rank * dimension + offsetCount * dimension) * 4 <= payloadBytes else {
                throw FileFormatError.malformed(path: path, reason: "dimension \(dimension), rank \(rank), side \(sideByte) and \(offsetCount) offsets do not fit the payload")
            }
            if let expectedModel, expectedModel != model {
                throw AdaptError.incompatible("\(path) was trained on embeddings of \(model), not \(expectedModel); retrain it for this model")
            }
            if let expectedDimension, expectedDimension != dimension {
                throw AdaptError.incompatible("\(path) adapts \(dimension)-d embeddings, not \(expectedDimension)-d ones")
            }
            let down = try Matrix(rows: rank, cols: dimension, values: reader.readFloats(rank * dimension))
            let up = try Matrix(rows: rank, cols: dimension, values: reader.readFloats(rank * dimension))
            var offsets = [String: [Float]]()
            for _ in 0..<offsetCount {
                let id = try reader.readString(maxBytes: 4096)
                offsets[id] = try reader.readFloats(dimension)
            }
            guard reader.remaining == 0 else { throw FileFormatError.malformed(path: path, reason: "\(reader.remaining) stray payload bytes") }
            let adapter = LowRankAdapter(dimension: dimension, rank: rank, side: sideByte == 0 ? .query : .both,
                                         down: down, up: up, toolOffsets: offsets)
            let values = adapter.down.values + adapter.up.values + offsets.values.flatMap { $0 }
            guard values.allSatisfy(\.isFinite) else { throw FileFormatError.malformed(path: path, reason: "non-finite parameters") }
            return (adapter, Header(dimension: dimension, rank: rank, side: adapter.side, modelIdentity: model,
                                    trainingJSON: training, metricsJSON: metrics))
        } catch let error as FileFormatError {
            throw .file(error)
        } catch let error as AdaptError {
            throw error
        } catch let error as MathError {
            throw .math(error)
        } catch {
            throw .invalidSetting("\(error)")
        }
    }
}

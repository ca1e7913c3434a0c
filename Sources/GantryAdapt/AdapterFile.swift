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
/// A `FileEnvelope`. Written to a temporary file, fsynced and renamed; loading checks everything
/// against the bytes present before allocating, so a damaged file is a typed error.
public enum AdapterFile {
    static let envelope = FileEnvelope(magic: "GNTRYADP", name: "adapter", versions: 1...1)

    /// What a file says besides the adapter itself.
    public struct Header: Sendable, Equatable {
        /// d: the length of the embeddings the adapter maps.
        public var dimension: Int
        /// r: the rank of the adapter's update, in 1...d.
        public var rank: Int
        /// Whether the adapter maps queries only or queries and tools.
        public var side: LowRankAdapter.Side
        /// The identity of the embedding model the adapter was trained on (`Embedder.modelIdentity`).
        public var modelIdentity: String
        /// The training configuration as JSON, as the trainer wrote it (`{}` when none was given).
        public var trainingJSON: String
        /// The metrics the adapter reached as JSON, free-form, for people (`{}` when none was given).
        public var metricsJSON: String
    }

    /// The header as written, before its values are checked.
    private struct Fields {
        var dimension: Int, rank: Int, side: UInt8, model: String, training: String, metrics: String, offsetCount: Int

        init(reading reader: inout BinaryReader) throws(FileFormatError) {
            dimension = Int(try reader.read(UInt32.self))
            rank = Int(try reader.read(UInt32.self))
            side = try reader.read(UInt8.self)
            model = try reader.readString(maxBytes: 4096)
            training = try reader.readString(maxBytes: 1 << 20)
            metrics = try reader.readString(maxBytes: 1 << 20)
            offsetCount = Int(try reader.read(UInt32.self))
        }
    }

    /// Writes `adapter` to `path` atomically, with the model it adapts and what trained it.
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
        return envelope.encode(header: { writer in
            writer.append(UInt32(adapter.dimension))
            writer.append(UInt32(adapter.rank))
            writer.append(UInt8(adapter.side == .query ? 0 : 1))
            writer.append(modelIdentity)
            writer.append(trainingJSON)
            writer.append(metricsJSON)
            writer.append(UInt32(adapter.toolOffsets.count))
        }, payload: payload.bytes)
    }

    /// Loads and verifies `path`. With `expectedModel` / `expectedDimension`, an adapter made for
    /// another embedding model or dimension is refused.
    public static func load(from path: String, expectedModel: String? = nil, expectedDimension: Int? = nil)
        throws(AdaptError) -> (adapter: LowRankAdapter, header: Header)
    {
        let file: FileEnvelope.Opened<Fields>
        do { file = try envelope.open(path) { reader, _ throws(FileFormatError) in try Fields(reading: &reader) } } catch { throw .file(error) }
        return try decode(file, expectedModel: expectedModel, expectedDimension: expectedDimension)
    }

    /// Decodes and verifies the bytes of an adapter file; `source` names them in errors.
    public static func decode(_ bytes: [UInt8], source path: String, expectedModel: String? = nil, expectedDimension: Int? = nil)
        throws(AdaptError) -> (adapter: LowRankAdapter, header: Header)
    {
        let file: FileEnvelope.Opened<Fields>
        do {
            file = try envelope.open(bytes, source: path) { reader, _ throws(FileFormatError) in try Fields(reading: &reader) }
        } catch {
            throw .file(error)
        }
        return try decode(file, expectedModel: expectedModel, expectedDimension: expectedDimension)
    }

    private static func decode(_ file: FileEnvelope.Opened<Fields>, expectedModel: String?, expectedDimension: Int?)
        throws(AdaptError) -> (adapter: LowRankAdapter, header: Header)
    {
        let path = file.path, fields = file.header
        let (dimension, rank, offsetCount) = (fields.dimension, fields.rank, fields.offsetCount)
        let floats = (2 * rank + offsetCount).multipliedReportingOverflow(by: dimension)
        guard fields.side <= 1, dimension > 0, (1...dimension).contains(rank),
              !floats.overflow, floats.partialValue <= file.payloadBytes / 4 else {
            throw .file(.malformed(path: path, reason: "dimension \(dimension), rank \(rank), side \(fields.side) and \(offsetCount) offsets do not fit the payload"))
        }
        if let expectedModel, expectedModel != fields.model {
            throw .incompatible("\(path) was trained on embeddings of \(fields.model), not \(expectedModel); retrain it for this model")
        }
        if let expectedDimension, expectedDimension != dimension {
            throw .incompatible("\(path) adapts \(dimension)-d embeddings, not \(expectedDimension)-d ones")
        }
        let (down, up, offsets): ([Float], [Float], [String: [Float]])
        do {
            (down, up, offsets) = try file.readPayload { reader throws(FileFormatError) in
                let down = try reader.readFloats(rank * dimension), up = try reader.readFloats(rank * dimension)
                var offsets = [String: [Float]]()
                for _ in 0..<offsetCount {
                    let id = try reader.readString(maxBytes: 4096)
                    offsets[id] = try reader.readFloats(dimension)
                }
                guard down.allSatisfy(\.isFinite), up.allSatisfy(\.isFinite), offsets.values.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
                    throw .malformed(path: path, reason: "non-finite parameters")
                }
                return (down, up, offsets)
            }
        } catch {
            throw .file(error)
        }
        let side: LowRankAdapter.Side = fields.side == 0 ? .query : .both
        let adapter: LowRankAdapter
        do {
            adapter = LowRankAdapter(dimension: dimension, rank: rank, side: side, down: try Matrix(rows: rank, cols: dimension, values: down),
                                     up: try Matrix(rows: rank, cols: dimension, values: up), toolOffsets: offsets)
        } catch {
            throw .math(error)
        }
        return (adapter, Header(dimension: dimension, rank: rank, side: side, modelIdentity: fields.model,
                                trainingJSON: fields.training, metricsJSON: fields.metrics))
    }
}

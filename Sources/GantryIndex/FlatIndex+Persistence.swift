import GantryIO
import GantryMath

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

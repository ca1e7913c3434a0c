import GantryIO
import GantryMath

extension FlatIndex {
    /// Writes the index to `path` atomically (format: `IndexFile`; payload: ids, then the
    /// vectors in one block).
    public func save(to path: String) throws(IndexError) {
        var payload = BinaryWriter(reservingCapacity: vectors.count * 4 + count * 16)
        IndexFile.append(idMap.ids, to: &payload)
        payload.append(floats: vectors)
        try IndexFile.write(IndexFile.Header(kind: .flat, metric: metric, dimension: dimension, count: count,
                                             modelIdentity: modelIdentity), payload: payload.bytes, to: path)
    }

    /// Loads a flat index written by `save(to:)`; with `expectedModel`, refuses a file built
    /// from another embedding model. The vectors are read from the file straight into the
    /// index's storage (see `IndexFile` for what a concurrent truncation or rewrite does).
    public static func load(from path: String, expectedModel: String? = nil) throws(IndexError) -> FlatIndex {
        try FlatIndex(decoding: IndexFile.open(path, expectedKind: .flat, expectedModel: expectedModel))
    }

    /// The index in an opened flat index file.
    init(decoding file: FileEnvelope.Opened<IndexFile.Header>) throws(IndexError) {
        let header = file.header
        try self.init(dimension: header.dimension, metric: header.metric, modelIdentity: header.modelIdentity)
        (vectors, idMap) = try IndexFile.readPayload(of: file) { reader throws(FileFormatError) in
            let ids = try IndexFile.readIDs(header.count, from: &reader)
            try reader.checkRemaining(floats: header.count * header.dimension)
            let vectors = try HugePageFloats(count: header.count * header.dimension) { (buffer) throws(FileFormatError) in
                try reader.readFloats(into: buffer)
            }
            return (vectors, try IDMap(loading: ids, from: reader.path))
        }
    }
}

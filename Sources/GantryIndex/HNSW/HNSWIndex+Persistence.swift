import GantryIO
import GantryMath

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
    /// range and on a layer its target reaches) before use. Vectors and neighbor lists are
    /// read from the file straight into the graph's buffers (see `IndexFile` for what a
    /// concurrent truncation or rewrite does).
    public static func load(from path: String, expectedModel: String? = nil) throws(IndexError) -> HNSWIndex {
        try HNSWIndex(decoding: IndexFile.open(path, expectedKind: .hnsw, expectedModel: expectedModel))
    }

    /// The index in an opened HNSW index file.
    init(decoding file: FileEnvelope.Opened<IndexFile.Header>) throws(IndexError) {
        let header = file.header
        self = try IndexFile.readPayload(of: file) { reader throws(FileFormatError) in
            try HNSWIndex.decodePayload(&reader, header: header)
        }
    }

    private static func decodePayload(_ reader: inout BinaryReader, header: IndexFile.Header) throws(FileFormatError) -> HNSWIndex {
        let path = reader.path
        func malformed(_ reason: String) -> FileFormatError { .malformed(path: path, reason: reason) }
        let m = Int(try reader.read(UInt32.self))
        let efConstruction = Int(try reader.read(UInt32.self))
        let efSearch = Int(try reader.read(UInt32.self))
        let seed = try reader.read(UInt64.self)
        var index: HNSWIndex
        do {
            index = try HNSWIndex(dimension: header.dimension, metric: header.metric,
                                  parameters: Parameters(m: m, efConstruction: efConstruction, efSearch: efSearch, seed: seed),
                                  modelIdentity: header.modelIdentity)
        } catch {
            throw malformed("parameters: \(error)")
        }
        let entryPoint = try reader.read(Int32.self)
        let maxLevel = Int(try reader.read(Int32.self))
        let count = header.count
        let ids = try IndexFile.readIDs(count, from: &reader)
        let levels = try reader.readBytes(count)
        let deleted = try reader.readBytes(count)
        guard levels.allSatisfy({ $0 <= 31 }), deleted.allSatisfy({ $0 <= 1 }) else { throw malformed("bad level or tombstone byte") }
        if count == 0 {
            guard entryPoint == -1 else { throw malformed("an empty graph with an entry point") }
        } else {
            guard entryPoint >= 0, Int(entryPoint) < count, Int(levels[Int(entryPoint)]) == maxLevel,
                  levels.allSatisfy({ Int($0) <= maxLevel })
            else { throw malformed("entry point \(entryPoint) / top level \(maxLevel) do not match the levels") }
        }
        let s = index.storage
        try s.load(levels: levels, from: &reader)
        s.entryPoint = entryPoint
        s.maxLevel = count == 0 ? -1 : maxLevel
        for slot in 0..<count where deleted[slot] == 1 {
            s.deleted[slot] = 1
            s.deletedCount += 1
        }
        index.idMap = try IDMap(loading: ids, from: path, live: { deleted[$0] == 0 })
        return index
    }
}

extension HNSWStorage {
    /// Fills this empty storage with `levels.count` nodes read from `reader`: the vectors and
    /// layer-0 lists straight into their buffers, then each upper-layer block into its own.
    /// Checks every vector (finite) and every link (in range, not to itself, on a layer its
    /// target reaches) before returning.
    func load(levels: [UInt8], from reader: inout BinaryReader) throws(FileFormatError) {
        precondition(count == 0, "load fills an empty storage")
        let nodes = levels.count
        let path = reader.path
        // The buffers are sized from the counts: check them against the bytes present first.
        let (rowBytes, rowOverflow) = (dimension + stride0).multipliedReportingOverflow(by: 4)
        let (bytes, overflow) = nodes.multipliedReportingOverflow(by: rowBytes)
        guard !rowOverflow, !overflow, bytes <= reader.remaining else {
            throw .truncated(path: path, expectedBytes: overflow || rowOverflow ? Int.max : reader.offset + bytes, foundBytes: reader.totalBytes)
        }
        guard nodes > 0 else { return }
        reserve(nodes)
        upper.initialize(repeating: nil, count: nodes)
        levels.withUnsafeBufferPointer { self.levels.update(from: $0.baseAddress!, count: nodes) }
        deleted.update(repeating: 0, count: nodes)
        count = nodes  // from here on `deinit` frees any upper block allocated below
        let vectorBuffer = UnsafeMutableBufferPointer(start: vectors, count: nodes * dimension)
        try reader.readFloats(into: vectorBuffer)
        guard vectorBuffer.allSatisfy(\.isFinite) else { throw .malformed(path: path, reason: "a vector holds NaN or infinity") }
        encodeCodes(0..<nodes)
        try reader.readInt32s(into: UnsafeMutableBufferPointer(start: links0, count: nodes * stride0))
        for slot in 0..<nodes {
            try checkLinks(of: slot, layer: 0, path: path)
        }
        for slot in 0..<nodes where levels[slot] > 0 {
            let size = Int(levels[slot]) * strideUpper
            guard size * 4 <= reader.remaining else {
                throw .truncated(path: path, expectedBytes: reader.offset + size * 4, foundBytes: reader.totalBytes)
            }
            let block = UnsafeMutablePointer<Int32>.allocate(capacity: size)
            upper[slot] = block
            try reader.readInt32s(into: UnsafeMutableBufferPointer(start: block, count: size))
            for layer in 1...Int(levels[slot]) {
                try checkLinks(of: slot, layer: layer, path: path)
            }
        }
    }

    /// Throws unless `slot`'s list on `layer` holds at most its capacity of links, each to
    /// another node in range that reaches `layer`.
    private func checkLinks(of slot: Int, layer: Int, path: String) throws(FileFormatError) {
        let list = links(slot, layer: layer)
        let n = Int(list[0]), capacity = layer == 0 ? m0 : m
        guard n >= 0, n <= capacity else {
            throw .malformed(path: path, reason: "node \(slot) layer \(layer) has \(n) links (limit \(capacity))")
        }
        for target in UnsafeBufferPointer(start: list + 1, count: n) {
            guard target >= 0, Int(target) < count, Int(levels[Int(target)]) >= layer, Int(target) != slot else {
                throw .malformed(path: path, reason: "node \(slot) layer \(layer) links to \(target)")
            }
        }
    }
}

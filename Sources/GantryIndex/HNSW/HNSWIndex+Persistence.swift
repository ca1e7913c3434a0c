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

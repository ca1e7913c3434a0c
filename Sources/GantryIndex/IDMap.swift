import GantryIO
import GantryMath

/// Slot ↔ id bookkeeping shared by the indexes: slot i holds `ids[i]`.
struct IDMap: Sendable {
    private(set) var ids: [VectorID] = []
    private var slots: [VectorID: Int32] = [:]

    var count: Int { ids.count }

    /// Approximate bytes held: the id array, the lookup table (about 1.5 buckets per entry of
    /// key + value) and the bytes of name ids.
    var memoryFootprint: Int {
        let names = ids.reduce(0) { if case .name(let s) = $1 { $0 + s.utf8.count } else { $0 } }
        return ids.capacity * MemoryLayout<VectorID>.stride
            + slots.capacity * (MemoryLayout<VectorID>.stride + MemoryLayout<Int32>.stride) * 3 / 2 + names
    }

    func slot(of id: VectorID) -> Int32? { slots[id] }

    mutating func append(_ id: VectorID) {
        slots[id] = Int32(ids.count)
        ids.append(id)
    }

    /// Drops `id` from the lookup, keeping its slot (a tombstone) in `ids`.
    mutating func forget(_ id: VectorID) { slots[id] = nil }

    /// Throws unless every id is new and none repeats within `newIDs`.
    func checkNew(_ newIDs: [VectorID]) throws(IndexError) {
        var seen = Set<VectorID>(minimumCapacity: newIDs.count)
        for id in newIDs {
            guard slots[id] == nil, seen.insert(id).inserted else { throw .duplicateID(id) }
        }
    }

    /// Removes the slots in `removed` (ascending), shifting later slots down in order.
    mutating func compact(removing removed: Set<Int>) {
        ids = ids.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        slots = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, Int32($0)) })
    }

    /// Slots whose ids pass `filter`, ascending.
    func allowedSlots(_ filter: SearchFilter) -> [Int32] {
        switch filter {
        case .allowing(let allowed):
            return allowed.compactMap { slots[$0] }.sorted()
        case .matching(let predicate):
            return ids.indices.filter { predicate(ids[$0]) }.map { Int32($0) }
        case .excluding(let excluded):
            let mask = excludedMask(excluded).mask
            return mask.indices.filter { mask[$0] }.map { Int32($0) }
        }
    }

    /// A mask over slots that is false exactly at the slots of `excluded`'s indexed ids, and how
    /// many slots it leaves (tombstones included: they are never returned anyway).
    func excludedMask(_ excluded: Set<VectorID>) -> (mask: [Bool], allowed: Int) {
        var mask = [Bool](repeating: true, count: ids.count)
        var allowed = ids.count
        for id in excluded {
            if let slot = slots[id] { mask[Int(slot)] = false; allowed -= 1 }
        }
        return (mask, allowed)
    }

    init() {}

    /// Rebuilds the map from ids read from the file at `path`, looking up only slots for which
    /// `live` holds (tombstones keep their id but are not found); a repeated live id makes the
    /// file malformed.
    init(loading ids: [VectorID], from path: String, live: (Int) -> Bool = { _ in true }) throws(FileFormatError) {
        self.ids = ids
        slots.reserveCapacity(ids.count)
        for (slot, id) in ids.enumerated() where live(slot) {
            if let earlier = slots.updateValue(Int32(slot), forKey: id) {
                throw .malformed(path: path, reason: "id \(id) appears twice (slots \(earlier) and \(slot))")
            }
        }
    }
}

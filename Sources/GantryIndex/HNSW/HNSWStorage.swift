import GantryMath

/// The graph's buffers, laid out as `HNSWIndex` describes: flat, indexed by slot, no per-node
/// objects. Owned by one `HNSWIndex` value (copied on write: the copy shares the rows, see
/// `RowArena`, and copies the links); during a parallel build the workers share it, each
/// neighbor list guarded by its lock stripe.
final class HNSWStorage: @unchecked Sendable {
    let dimension: Int
    let m: Int
    let m0: Int
    var count = 0
    /// Nodes the link, level and tombstone buffers hold.
    var capacity = 0
    /// The rows, maybe shared with other copies; this storage's own claim on it ends at `claimedEnd`.
    private(set) var rows: RowArena
    private var claimedEnd = 0
    /// `rows`' buffers, read on every score.
    private(set) var vectors: UnsafeMutablePointer<Float>
    /// Each vector again as int8 codes, times `codeScales[slot]` (its largest magnitude / 127):
    /// what searches walk the graph on (a quarter of the bytes per score); results are rescored
    /// on `vectors`.
    private(set) var codes: UnsafeMutablePointer<Int8>
    private(set) var codeScales: UnsafeMutablePointer<Float>
    var links0: UnsafeMutablePointer<Int32>
    var upper: UnsafeMutablePointer<UnsafeMutablePointer<Int32>?>
    var levels: UnsafeMutablePointer<UInt8>
    var deleted: UnsafeMutablePointer<UInt8>
    var deletedCount = 0
    var entryPoint: Int32 = -1
    var maxLevel = -1
    /// Search scratch, shared by the copies (searches of any of them borrow from it).
    let scratch: ScratchPool

    var stride0: Int { 1 + m0 }
    var strideUpper: Int { 1 + m }

    init(dimension: Int, m: Int, rows: RowArena? = nil, scratch: ScratchPool = ScratchPool(),
         lockStripes: LockStripes = LockStripes(count: 4096)) {
        self.dimension = dimension
        self.m = m
        m0 = 2 * m
        self.rows = rows ?? RowArena(dimension: dimension, capacity: 0)
        vectors = self.rows.vectors
        codes = self.rows.codes
        codeScales = self.rows.scales
        self.scratch = scratch
        self.lockStripes = lockStripes
        links0 = .allocate(capacity: 1)
        upper = .allocate(capacity: 1)
        levels = .allocate(capacity: 1)
        deleted = .allocate(capacity: 1)
    }

    deinit {
        for slot in 0..<count { upper[slot]?.deallocate() }
        links0.deallocate()
        upper.deallocate()
        levels.deallocate()
        deleted.deallocate()
    }

    /// A copy for a mutation (copy-on-write of the owning value): the rows are shared (the
    /// copy appends after them when it may, see `RowArena`), the links, levels and tombstones
    /// copied with the same capacity, since the mutation that made the copy is often an
    /// insertion, which would otherwise move them all again.
    func copy() -> HNSWStorage {
        let other = HNSWStorage(dimension: dimension, m: m, rows: rows, scratch: scratch, lockStripes: lockStripes)
        other.claimedEnd = count
        other.reserveNodes(capacity)
        other.links0.update(from: links0, count: count * stride0)
        other.levels.update(from: levels, count: count)
        other.deleted.update(from: deleted, count: count)
        for slot in 0..<count {
            if let block = upper[slot] {
                let size = Int(levels[slot]) * strideUpper
                let copy = UnsafeMutablePointer<Int32>.allocate(capacity: size)
                copy.update(from: block, count: size)
                other.upper[slot] = copy
            } else {
                other.upper[slot] = nil
            }
        }
        other.count = count
        other.deletedCount = deletedCount
        other.entryPoint = entryPoint
        other.maxLevel = maxLevel
        return other
    }

    /// Makes room for `needed` nodes and claims their rows: appends may then write slots up to
    /// `needed`. Rows move to an arena of this storage's own when the shared one is full or
    /// another copy appended to it. Buffers grow by at least a quarter (amortised: each node is
    /// moved about four times over the index's life, a memcpy that costs far less than linking
    /// it); doubling would leave a catalogue that grew by one tool holding twice its graph's
    /// memory. Not thread-safe.
    func reserve(_ needed: Int) {
        reserveNodes(needed)
        guard needed > claimedEnd, !rows.claim(from: claimedEnd, to: needed) else {
            claimedEnd = max(claimedEnd, needed)
            return
        }
        rows = RowArena(dimension: dimension, capacity: max(needed, rows.capacity + rows.capacity / 4, 64), copying: count, of: rows)
        _ = rows.claim(from: count, to: needed)
        claimedEnd = needed
        vectors = rows.vectors
        codes = rows.codes
        codeScales = rows.scales
    }

    /// Grows the link, level and tombstone buffers to hold `needed` nodes (as `reserve`).
    private func reserveNodes(_ needed: Int) {
        guard needed > capacity else { return }
        let newCapacity = max(needed, capacity + capacity / 4, 64)
        func grow<T>(_ pointer: inout UnsafeMutablePointer<T>, _ stride: Int) {
            let bigger = UnsafeMutablePointer<T>.allocate(capacity: newCapacity * stride)
            bigger.moveInitialize(from: pointer, count: count * stride)
            pointer.deallocate()
            pointer = bigger
        }
        grow(&links0, stride0)
        grow(&upper, 1)
        grow(&levels, 1)
        grow(&deleted, 1)
        capacity = newCapacity
    }

    /// Writes the int8 codes of the vectors in `slots` (after they are final: normalized,
    /// loaded). Not thread-safe.
    func encodeCodes(_ slots: Range<Int>) {
        for slot in slots {
            codeScales[slot] = SIMDKernels.encodeInt8Row(UnsafeBufferPointer(start: vectors + slot * dimension, count: dimension),
                                                         into: codes + slot * dimension)
        }
    }

    /// Appends a node with no links yet (every list entry zero, so saved files hold no stale
    /// heap bytes) and no codes (`encodeCodes` once the vector is final). Not
    /// thread-safe; capacity must be reserved.
    func append(_ vector: UnsafeBufferPointer<Float>, level: Int) {
        let slot = count
        (vectors + slot * dimension).update(from: vector.baseAddress!, count: dimension)
        (links0 + slot * stride0).update(repeating: 0, count: stride0)
        levels[slot] = UInt8(level)
        deleted[slot] = 0
        if level > 0 {
            let block = UnsafeMutablePointer<Int32>.allocate(capacity: level * strideUpper)
            block.initialize(repeating: 0, count: level * strideUpper)
            upper[slot] = block
        } else {
            upper[slot] = nil
        }
        count += 1
    }

    func vector(_ slot: Int) -> [Float] { Array(UnsafeBufferPointer(start: vectors + slot * dimension, count: dimension)) }

    /// Scores of the rows at `slots` against `query` into `out`: on the int8 codes when
    /// `approximate` (graph walks of searches), else on the fp32 vectors (builds, rescoring).
    @inline(__always)
    func scores(_ query: UnsafePointer<Float>, slots: UnsafeBufferPointer<Int32>, approximate: Bool,
                into out: UnsafeMutablePointer<Float>) {
        let q = UnsafeBufferPointer(start: query, count: dimension)
        if approximate {
            SIMDKernels.gatherDots(int8Rows: codes, scales: codeScales, slots: slots, query: q, into: out)
        } else {
            SIMDKernels.gatherDots(rows: vectors, slots: slots, query: q, into: out)
        }
    }

    @inline(__always)
    func score(_ query: UnsafePointer<Float>, _ slot: Int) -> Float {
        SIMDKernels.dot(UnsafeBufferPointer(start: query, count: dimension),
                        UnsafeBufferPointer(start: vectors + slot * dimension, count: dimension))
    }

    /// The neighbor list of `slot` on `layer`: element 0 is the count.
    @inline(__always)
    func links(_ slot: Int, layer: Int) -> UnsafeMutablePointer<Int32> {
        layer == 0 ? links0 + slot * stride0 : upper[slot]! + (layer - 1) * strideUpper
    }

    // MARK: build-time locks

    /// Guard the neighbor lists during a parallel build (list of slot i: stripe i); shared by
    /// the copies (each build locks its own storage's lists; sharing only costs a rare wait).
    let lockStripes: LockStripes
    /// Guards `entryPoint` and `maxLevel` during a build.
    let entryLock = LockStripes(count: 1)
}

/// The rows of an HNSW graph — fp32 vectors, their int8 codes and a scale per row — shared by
/// the copies of one `HNSWStorage` (the copy-on-write of `HNSWIndex`). Rows are only appended
/// and never change once written, so a copy made for a mutation shares all of them and appends
/// after them: updating one tool of a published 100k-tool index no longer copies 190 MB of rows.
///
/// Rule: of the copies sharing an arena, the one whose rows end where the arena's claimed rows
/// end may claim the next ones (`claim(from:to:)`, under `lock`); any other copy that appends
/// moves to an arena of its own first. A copy reads only its own rows (below its `count`), which
/// nobody writes again, so reads take no lock.
final class RowArena: @unchecked Sendable {
    /// Rows the buffers hold.
    let capacity: Int
    let vectors: UnsafeMutablePointer<Float>
    let codes: UnsafeMutablePointer<Int8>
    let scales: UnsafeMutablePointer<Float>
    /// Rows claimed by some copy (written, or being written by their claimant). Guarded by `lock`.
    private var claimed: Int
    private let lock = LockStripes(count: 1)

    /// An arena of `capacity` rows holding a copy of the first `rows` of `source`, all of them
    /// claimed.
    init(dimension: Int, capacity: Int, copying rows: Int = 0, of source: RowArena? = nil) {
        self.capacity = max(capacity, 1)
        vectors = .allocate(capacity: self.capacity * dimension)
        codes = .allocate(capacity: self.capacity * dimension)
        scales = .allocate(capacity: self.capacity)
        if let source, rows > 0 {
            vectors.update(from: source.vectors, count: rows * dimension)
            codes.update(from: source.codes, count: rows * dimension)
            scales.update(from: source.scales, count: rows)
        }
        claimed = rows
    }

    deinit {
        vectors.deallocate()
        codes.deallocate()
        scales.deallocate()
    }

    /// Claims rows `end..<newEnd` for the copy whose claimed rows end at `end`: false when they
    /// do not fit or another copy claimed rows from `end` on first.
    func claim(from end: Int, to newEnd: Int) -> Bool {
        guard newEnd <= capacity else { return false }
        return lock.withLock(0) {
            guard claimed == end else { return false }
            claimed = newEnd
            return true
        }
    }
}

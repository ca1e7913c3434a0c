import GantryMath

/// Finds which stored unit vectors may lie within cos ≥ 1 − `tolerance` of a unit query, without
/// scanning them all: rows are bucketed by the signs of their inner products with `bits` fixed
/// random unit directions, and a query's candidates are the rows of every bucket whose signs
/// differ from the query's only where the query's product is too close to zero to tell.
///
/// Exact, not probabilistic: two unit vectors with cos ≥ 1 − t are at most √(2t) apart, so their
/// products with a unit direction differ by at most √(2t); a sign that flips between them comes
/// from a query product within `margin` = √(2t) (plus rounding) of zero, and both signs of that
/// bit are probed. At t = 1e-4 and d = 384 a query has about 3.5 such bits of 16 (about 11
/// buckets probed); beyond `maximumUncertainBits` the caller scans everything instead.
struct SignBuckets: Sendable {
    /// Directions, hence 2^bits buckets.
    static let bits = 16
    /// Uncertain bits beyond which `candidates(of:)` gives up (2^8 buckets probed at most).
    static let maximumUncertainBits = 8

    let dimension: Int
    let margin: Float
    /// `bits` unit rows of `dimension`, seeded: every process buckets alike.
    private let directions: [Float]
    /// Row ordinals per bucket, in blocks of `blockBuckets` buckets (a block is empty until a
    /// row falls into it). Two levels so that a copy's first insert — copies share their buckets,
    /// and every snapshot the writer publishes is one — copies 256 + 256 entries and one bucket,
    /// not all 2^16: a flat array of buckets made every success a server learned from cost
    /// ~65,000 retains, and as many releases when the snapshot before it went.
    private var blocks: [[[Int32]]]
    private static let blockBits = 8, blockBuckets = 1 << blockBits

    init(dimension: Int, tolerance: Float) {
        self.dimension = dimension
        margin = (2 * tolerance).squareRoot() * 1.01 + 1e-6
        var random = SplitMix64(seed: 0x5167_6e42_7563_6b74)
        var directions = [Float]()
        directions.reserveCapacity(Self.bits * dimension)
        for _ in 0..<Self.bits {
            let row = (0..<dimension).map { _ in random.nextGaussian() }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            directions += row.map { $0 / norm }
        }
        self.directions = directions
        blocks = Array(repeating: [], count: 1 << (Self.bits - Self.blockBits))
    }

    /// The products of `unit` with every direction.
    private func products(_ unit: [Float]) -> [Float] {
        directions.withUnsafeBufferPointer { all in
            unit.withUnsafeBufferPointer { q in
                (0..<Self.bits).map { SIMDKernels.dot(UnsafeBufferPointer(rebasing: all[$0 * dimension..<($0 + 1) * dimension]), q) }
            }
        }
    }

    private static func key(_ products: [Float]) -> Int {
        products.enumerated().reduce(0) { key, item in item.element >= 0 ? key | 1 << item.offset : key }
    }

    /// Files the row `ordinal` (a unit vector of `dimension`).
    mutating func insert(_ unit: [Float], ordinal: Int32) {
        let key = Self.key(products(unit)), block = key >> Self.blockBits
        if blocks[block].isEmpty { blocks[block] = Array(repeating: [], count: Self.blockBuckets) }
        blocks[block][key & (Self.blockBuckets - 1)].append(ordinal)
    }

    /// The row ordinals filed under bucket `key`.
    private func bucket(_ key: Int) -> [Int32] {
        let block = blocks[key >> Self.blockBits]
        return block.isEmpty ? [] : block[key & (Self.blockBuckets - 1)]
    }

    /// The ordinals of every row that may be within the tolerance of `unit` (and others), or nil
    /// when the query has more than `maximumUncertainBits` uncertain bits (scan all rows then).
    func candidates(of unit: [Float]) -> [Int32]? {
        let products = products(unit)
        let uncertain = products.indices.filter { abs(products[$0]) <= margin }
        guard uncertain.count <= Self.maximumUncertainBits else { return nil }
        let key = Self.key(products)
        var found = [Int32]()
        for choice in 0..<(1 << uncertain.count) {
            var probe = key
            for (i, bit) in uncertain.enumerated() where choice >> i & 1 == 1 { probe ^= 1 << bit }
            found += bucket(probe)
        }
        return found
    }
}

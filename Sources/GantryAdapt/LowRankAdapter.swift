import GantryMath

/// `x ↦ normalize(x + U(Vᵀx))` over frozen unit embeddings, with U and V of shape d × r, plus an
/// optional learned offset per known tool (tool side only): `t ↦ normalize(t + U(Vᵀt) + bₜ)`.
///
/// Stored as `down` = Vᵀ and `up` = Uᵀ (both r × d, row-major), so a single vector costs r dot
/// products and r scaled adds, and a batch two sgemm calls. `up` starts at zero: a new adapter is
/// the identity.
public struct LowRankAdapter: Sendable, Equatable {
    /// Where the adapter applies: to queries only, or to queries and tools (then the catalog is
    /// re-embedded through it and the index rebuilt).
    public enum Side: String, Sendable, CaseIterable, Codable {
        /// Queries only: tools keep their frozen vectors, so the index need not be rebuilt.
        case query
        /// Queries and tools (with the tools' learned offsets); the catalog's vectors are
        /// adapted too and the index rebuilt from them.
        case both
    }

    /// d: the length of the vectors the adapter maps.
    public let dimension: Int
    /// r: the rank of the update `U Vᵀ`, in 1...d; a vector costs about 2·r·d multiply-adds.
    public let rank: Int
    /// Whether tools are adapted too, or queries only.
    public var side: Side
    /// Vᵀ, r × d.
    public var down: Matrix
    /// Uᵀ, r × d.
    public var up: Matrix
    /// Learned offsets of tools seen in training, by tool id (d floats each). Tools without one
    /// (registered later) get none.
    public var toolOffsets: [String: [Float]]

    /// The identity adapter: `up` = 0, `down` seeded small random (so the first gradient of `up`
    /// is not zero).
    public static func identity(dimension: Int, rank: Int, side: Side = .both, seed: UInt64 = 1) throws(AdaptError) -> LowRankAdapter {
        guard dimension > 0, (1...dimension).contains(rank) else {
            throw .invalidSetting("rank must be in 1...\(dimension) (the embedding dimension); got \(rank)")
        }
        var rng = SplitMix64(seed: seed)
        var down = Matrix.randomNormal(rows: rank, cols: dimension, using: &rng)
        down.withUnsafeMutableBufferPointer { SIMDKernels.scale($0, by: 1 / Float(dimension).squareRoot()) }
        return LowRankAdapter(dimension: dimension, rank: rank, side: side, down: down,
                              up: Matrix(rows: rank, cols: dimension), toolOffsets: [:])
    }

    /// An adapter from its parts. Preconditions: `down` and `up` are `rank × dimension`, and every
    /// offset has `dimension` floats (a violation traps; `AdapterFile` checks files before this).
    public init(dimension: Int, rank: Int, side: Side, down: Matrix, up: Matrix, toolOffsets: [String: [Float]] = [:]) {
        precondition(down.shape == Shape(rows: rank, cols: dimension) && up.shape == down.shape)
        precondition(toolOffsets.values.allSatisfy { $0.count == dimension })
        self.dimension = dimension
        self.rank = rank
        self.side = side
        self.down = down
        self.up = up
        self.toolOffsets = toolOffsets
    }

    /// True when the adapter changes nothing (U = 0 and no offsets).
    public var isIdentity: Bool { up.values.allSatisfy { $0 == 0 } && toolOffsets.isEmpty }

    /// Adapts one query vector into `output` (d floats, unit length); no allocation.
    public func adaptQuery(_ x: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) throws(AdaptError) {
        try transform(x, offset: nil, into: output)
    }

    /// Adapts one query vector.
    public func adaptQuery(_ x: some ContiguousFloats) throws(AdaptError) -> [Float] {
        let input = x.withUnsafeBufferPointer { Array($0) }
        var output = [Float](repeating: 0, count: dimension)
        try input.withUnsafeBufferPointer { (source) throws(AdaptError) in
            try output.withUnsafeMutableBufferPointer { (out) throws(AdaptError) in try transform(source, offset: nil, into: out) }
        }
        return output
    }

    /// Adapted query rows (unit length): `X + (X Vᵀᵀ)Uᵀ` as two sgemm calls, then normalized.
    public func adaptQueries(_ x: Matrix) throws(AdaptError) -> Matrix {
        try batch(x, offsets: nil)
    }

    /// Adapted tool rows (unit length). With side `.query` only the offsets apply; `ids` (one per
    /// row) select them.
    public func adaptTools(_ t: Matrix, ids: [String]? = nil) throws(AdaptError) -> Matrix {
        let offsets = ids.map { ids in ids.map { toolOffsets[$0] } }
        if side == .query {
            var out = t
            if let offsets { out.addRows(offsets) }
            do { try out.normalizeRows() } catch { throw .math(error) }
            return out
        }
        return try batch(t, offsets: offsets)
    }

    private func batch(_ x: Matrix, offsets: [[Float]?]?) throws(AdaptError) -> Matrix {
        guard x.cols == dimension else {
            throw .incompatible("vectors of dimension \(x.cols) given to an adapter of dimension \(dimension)")
        }
        if let bad = x.firstNonFinite() { throw .invalidSetting("non-finite value in row \(bad.row), column \(bad.col)") }
        do {
            let hidden = try Matrix.product(x, down, transposeB: true)
            var out = x
            try Matrix.gemm(hidden, up, beta: 1, into: &out)
            if let offsets { out.addRows(offsets) }
            try out.normalizeRows()
            return out
        } catch {
            throw .math(error)
        }
    }

    private func transform(_ x: UnsafeBufferPointer<Float>, offset: [Float]?, into output: UnsafeMutableBufferPointer<Float>) throws(AdaptError) {
        guard x.count == dimension, output.count == dimension else {
            throw .incompatible("a vector of \(x.count) floats given to an adapter of dimension \(dimension)")
        }
        _ = output.initialize(from: x)
        down.withUnsafeBufferPointer { v in
            up.withUnsafeBufferPointer { u in
                for j in 0..<rank {
                    let h = SIMDKernels.dot(UnsafeBufferPointer(rebasing: v[j * dimension..<(j + 1) * dimension]), x)
                    SIMDKernels.axpy(h, UnsafeBufferPointer(rebasing: u[j * dimension..<(j + 1) * dimension]), output)
                }
            }
        }
        guard SIMDKernels.normalize(output) else {
            throw .invalidSetting("the adapted vector is all zero or not finite (a zero or non-finite input)")
        }
    }
}

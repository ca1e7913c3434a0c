import GantryKernels

/// Vector kernels over contiguous `Float` buffers: dot product, squared L2 distance, norm,
/// scaling and normalization. Each runs the AVX-512, AVX2+FMA or SSE2 variant of one C body,
/// chosen at load time for this CPU (see `activeLevel`). Shape contract: equal lengths.
public enum SIMDKernels {
    /// The level the kernels run at now: `.avx512`, `.avx2` or `.sse`.
    public static var activeLevel: SIMDLevel { level(of: gk_active_isa()) }

    /// The widest level these kernels can use on this CPU.
    public static var bestLevel: SIMDLevel { level(of: gk_best_isa()) }

    /// Switches every kernel to `level` (`.avx` selects the SSE2 variant: there is no
    /// separate AVX one). Returns false, changing nothing, if the CPU lacks the level.
    /// Meant for benchmarks and tests; the default is the best level.
    @discardableResult
    public static func select(_ level: SIMDLevel) -> Bool {
        switch level {
        case .sse, .avx: gk_select_isa(GK_ISA_GENERIC)
        case .avx2: gk_select_isa(GK_ISA_AVX2)
        case .avx512: gk_select_isa(GK_ISA_AVX512)
        }
    }

    private static func level(of isa: gk_isa) -> SIMDLevel {
        switch isa {
        case GK_ISA_AVX512: .avx512
        case GK_ISA_AVX2: .avx2
        default: .sse
        }
    }

    // MARK: buffers (hot paths; lengths are the caller's contract)

    /// `Σ a[i]·b[i]`. Precondition: equal lengths.
    @inlinable
    public static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        precondition(a.count == b.count, "dot: lengths \(a.count) and \(b.count) differ")
        return gk_dot(a.baseAddress, b.baseAddress, a.count)
    }

    /// `Σ (a[i] − b[i])²`. Precondition: equal lengths.
    @inlinable
    public static func squaredDistance(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        precondition(a.count == b.count, "squaredDistance: lengths \(a.count) and \(b.count) differ")
        return gk_l2sq(a.baseAddress, b.baseAddress, a.count)
    }

    /// `y += alpha · x` (equal lengths).
    @inlinable
    public static func axpy(_ alpha: Float, _ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == y.count, "axpy of \(x.count) and \(y.count) floats")
        gk_axpy(alpha, x.baseAddress, y.baseAddress, x.count)
    }

    /// Adds `weights[t]` × row t to `x` for every row, four rows per pass over `x` (one pass for
    /// up to four rows), and returns, from the last pass, `Σ x`, `Σ x²` (in float lanes, totalled
    /// in Double) and the largest value of each run of `block` values of the result (the last run
    /// may be shorter): `block` a positive multiple of 16. Without rows `x` is only read. Meant
    /// for scores: squares beyond `Float`'s range (values past about 1e18) make `squares`
    /// infinite.
    ///
    /// A row is stored masked (`MaskedRow`), so that a row can cost its nonzero entries and a bit
    /// per entry in memory traffic rather than `x.count` floats: AVX-512 expands 16 entries with
    /// one load; other instruction sets take a step per set bit, except that 16 set bits are 16
    /// values read at once — so a row with every bit set (a dense row) costs them what a plain
    /// row would. Preconditions: each row's `masks` holds ⌈`x.count` / 16⌉ words, no bit at or
    /// past `x.count`, and its `values` one float per set bit.
    public static func addMaskedRows(_ rows: [MaskedRow], weights: [Float], to x: UnsafeMutableBufferPointer<Float>,
                                     block: Int) -> (sum: Double, squares: Double, blockMaxima: [Float]) {
        precondition(block > 0 && block % 16 == 0, "blocks of \(block) values: a positive multiple of 16")
        precondition(rows.count == weights.count, "\(rows.count) rows and \(weights.count) weights")
        var sums = [0.0, 0.0]
        let maxima = [Float](unsafeUninitializedCapacity: (x.count + block - 1) / block) { maxima, written in
            var cursors = rows.map { Optional($0.values) }
            rows.map { Optional($0.masks) }.withUnsafeBufferPointer { masks in
                gk_add_masked_rows_summary(x.baseAddress, x.count, masks.baseAddress, &cursors, weights, weights.count, block, &sums,
                                           maxima.baseAddress)
            }
            written = maxima.count
        }
        return (sums[0], sums[1], maxima)
    }

    /// A row of floats stored by its entries that a mask selects (`addMaskedRows`): bit `i % 16`
    /// of `masks[i / 16]` is set where `values` holds entry `i` (a clear bit: the entry is 0), and
    /// `values` holds those entries in order — its nonzero ones, or all of them.
    public struct MaskedRow {
        /// One 16-bit word per 16 entries: bit `i % 16` of word `i / 16` set where `values` holds entry `i`.
        public let masks: UnsafePointer<UInt16>
        /// The entries, in order: one per set bit of `masks`.
        public let values: UnsafePointer<Float>

        /// The row of `masks` and `values` (neither is copied: they must outlive the row's use).
        public init(masks: UnsafePointer<UInt16>, values: UnsafePointer<Float>) {
            (self.masks, self.values) = (masks, values)
        }
    }

    /// One AdamW step (Loshchilov & Hutter) over `x` with gradient `g`; the moments `m`, `v`
    /// are updated in place; `corrections` are the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ.
    public static func adamW(_ x: UnsafeMutableBufferPointer<Float>, gradient g: UnsafeBufferPointer<Float>,
                             first m: UnsafeMutableBufferPointer<Float>, second v: UnsafeMutableBufferPointer<Float>,
                             learningRate: Float, weightDecay: Float, beta1: Float, beta2: Float, epsilon: Float,
                             corrections: (Float, Float)) {
        precondition(g.count == x.count && m.count == x.count && v.count == x.count, "adamW: lengths differ")
        let settings: [Float] = [learningRate, weightDecay, beta1, beta2, epsilon, corrections.0, corrections.1]
        gk_adamw(x.baseAddress, g.baseAddress, m.baseAddress, v.baseAddress, x.count, settings)
    }

    /// `x[i] *= alpha` for every i.
    @inlinable
    public static func scale(_ x: UnsafeMutableBufferPointer<Float>, by alpha: Float) {
        gk_scale(x.baseAddress, alpha, x.count)
    }

    /// `out[i] = dot(rows[slots[i]], query)` for scattered rows of a row-major buffer with
    /// `query.count` columns (the scoring step of graph search), with prefetching.
    /// Preconditions: every slot is a valid row; `out` holds `slots.count` floats.
    @inlinable
    public static func gatherDots(rows: UnsafePointer<Float>, slots: UnsafeBufferPointer<Int32>,
                                  query: UnsafeBufferPointer<Float>, into out: UnsafeMutablePointer<Float>) {
        gk_dot_gather(rows, query.count, slots.baseAddress, slots.count, query.baseAddress, out)
    }

    /// `gatherDots` over rows stored as int8 codes (row-major, `query.count` columns), each
    /// multiplied by its scale: `out[i] = scales[slots[i]] · dot(rows[slots[i]], query)`. A
    /// quarter of the bytes of fp32 rows per score, for walks that are bound by memory.
    /// Preconditions as for `gatherDots`; `scales` holds a float per row.
    @inlinable
    public static func gatherDots(int8Rows rows: UnsafePointer<Int8>, scales: UnsafePointer<Float>,
                                  slots: UnsafeBufferPointer<Int32>, query: UnsafeBufferPointer<Float>,
                                  into out: UnsafeMutablePointer<Float>) {
        gk_dot_gather_i8(rows, scales, query.count, slots.baseAddress, slots.count, query.baseAddress, out)
    }

    /// Writes `row · 127 / max|row|` rounded to nearest (ties to even) to `out` and returns
    /// `max|row| / 127`, the scale `gatherDots(int8Rows:…)` multiplies back (0 for a zero row).
    /// Error per element at most half a step: `max|row| / 254`. Precondition: `row` is finite
    /// and `out` holds `row.count` values.
    @inlinable
    public static func encodeInt8Row(_ row: UnsafeBufferPointer<Float>, into out: UnsafeMutablePointer<Int8>) -> Float {
        gk_i8_row(row.baseAddress, row.count, out)
    }

    // MARK: arrays and slices (checked)

    /// `Σ a[i]·b[i]`; throws `MathError.lengthMismatch` on different lengths.
    public static func dot(_ a: some ContiguousFloats, _ b: some ContiguousFloats) throws(MathError) -> Float {
        guard a.count == b.count else { throw .lengthMismatch(operation: "dot", left: a.count, right: b.count) }
        return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in dot(pa, pb) } }
    }

    /// `Σ (a[i] − b[i])²`; throws `MathError.lengthMismatch` on different lengths.
    public static func squaredDistance(_ a: some ContiguousFloats, _ b: some ContiguousFloats) throws(MathError) -> Float {
        guard a.count == b.count else {
            throw .lengthMismatch(operation: "squaredDistance", left: a.count, right: b.count)
        }
        return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in squaredDistance(pa, pb) } }
    }

    /// The Euclidean norm `√(Σ x[i]²)`.
    public static func norm(_ x: some ContiguousFloats) -> Float {
        x.withUnsafeBufferPointer { norm($0) }
    }

    /// Scales `x` to unit length. A zero, NaN or infinite norm leaves `x` untouched and
    /// throws `MathError.cannotNormalize` instead of producing NaNs.
    public static func normalize(_ x: inout [Float]) throws(MathError) {
        guard x.withUnsafeMutableBufferPointer({ normalize($0) }) else { throw .cannotNormalize(rows: [0]) }
    }

    // MARK: norms over Float's whole range

    /// The Euclidean norm `√(Σ x[i]²)`, exact to rounding for any finite values, including those
    /// whose squares underflow (below about 1e-19) or overflow (above about 1e19) in `Float`.
    /// Infinity when the norm itself exceeds `Float.greatestFiniteMagnitude`; NaN for NaN input.
    public static func norm(_ x: UnsafeBufferPointer<Float>) -> Float {
        let squares = dot(x, x)
        return hasAccurateSquares(squares) ? squares.squareRoot() : Float(wideNorm(x))
    }

    /// Scales `x` to unit length in place and returns true; returns false, leaving `x` untouched,
    /// when `x` is all zero or holds NaN or infinity. Any other vector, however tiny (subnormal
    /// values) or large (values up to `Float.greatestFiniteMagnitude`), becomes a finite unit vector.
    public static func normalize(_ x: UnsafeMutableBufferPointer<Float>) -> Bool {
        normalize(x, squares: dot(UnsafeBufferPointer(x), UnsafeBufferPointer(x)))
    }

    /// `normalize(x)` given `squares`, the SIMD sum of squares of `x` (computed already).
    static func normalize(_ x: UnsafeMutableBufferPointer<Float>, squares: Float) -> Bool {
        if hasAccurateSquares(squares) {  // the fast path: one SIMD pass for the sum, one to scale
            scale(x, by: 1 / squares.squareRoot())
            return true
        }
        let length = wideNorm(UnsafeBufferPointer(x))
        guard length > 0, length.isFinite else { return false }  // all zero, or NaN / infinity
        let factor = 1 / length  // up to about 1e45: beyond Float, so applied in Double
        for i in x.indices { x[i] = Float(Double(x[i]) * factor) }
        return true
    }

    /// Whether `x` has a direction: finite values, not all zero (what `normalize` accepts),
    /// given its SIMD sum of squares `squares`.
    static func hasDirection(_ x: UnsafeBufferPointer<Float>, squares: Float) -> Bool {
        if squares > 0, squares.isFinite { return true }
        let length = wideNorm(x)
        return length > 0 && length.isFinite
    }

    /// Whether a `Float` sum of squares gives the norm to `Float` precision: finite and at
    /// least 2⁻¹⁰², where squares rounded to subnormals or to zero (an error of at most 2⁻¹⁵⁰
    /// each) cannot move the sum by a rounding step (2⁻²⁴ of it) for any length below 2²⁴.
    /// Smaller sums (zero for vectors of values below about 1e-23) and infinite ones take the
    /// `Double` path.
    private static func hasAccurateSquares(_ squares: Float) -> Bool {
        squares >= 0x1p-102 && squares < .infinity
    }

    /// `√(Σ x[i]²)` accumulated in `Double`, whose range holds the square of every finite
    /// `Float` (2⁻²⁹⁸ to 2²⁵⁶) and any sum of them: no underflow, no overflow.
    private static func wideNorm(_ x: UnsafeBufferPointer<Float>) -> Double {
        x.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }
}

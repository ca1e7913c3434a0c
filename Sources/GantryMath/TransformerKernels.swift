import GantryKernels

/// Element-wise and attention kernels of a transformer encoder (BERT), on row-major buffers of
/// `dim`-float rows. SIMD variants are chosen like `SIMDKernels`'. Shapes are the caller's
/// contract (preconditions).
public enum TransformerKernels {
    /// LayerNorm of every row in place: `(x − mean) / √(var + eps) · gamma + beta`.
    public static func layerNorm(_ x: UnsafeMutableBufferPointer<Float>, dimension: Int,
                                 gamma: UnsafeBufferPointer<Float>, beta: UnsafeBufferPointer<Float>, epsilon: Float) {
        precondition(gamma.count == dimension && beta.count == dimension && x.count % dimension == 0)
        gk_layer_norm(x.baseAddress, x.count / dimension, dimension, gamma.baseAddress, beta.baseAddress, epsilon)
    }

    /// GELU in place, erf form: `x · (1 + erf(x / √2)) / 2` (erf to within 1e-7).
    public static func gelu(_ x: UnsafeMutableBufferPointer<Float>) {
        gk_gelu(x.baseAddress, x.count)
    }

    /// `out[r] = base[r] + bias` for every row (`base` nil: `out[r] = bias`).
    public static func addBias(_ bias: UnsafeBufferPointer<Float>, to base: UnsafeBufferPointer<Float>?,
                               into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count % bias.count == 0 && (base == nil || base!.count == out.count))
        gk_add_bias_rows(out.baseAddress, base?.baseAddress, out.count / bias.count, bias.count, bias.baseAddress)
    }

    /// The precision of a `PackedMatrix`'s weights, and of the products `multiplyAdd` runs on them.
    public enum WeightPrecision: String, Sendable, CaseIterable {
        /// 32-bit floats, as given.
        case float32 = "fp32"
        /// bfloat16 (a float's upper 16 bits, rounded to the nearest): weights and, at each
        /// product, the input rows rounded so; products exact and sums in float. Half the bytes
        /// of weights, and where the CPU has AVX-512 BF16 (`bf16DotProducts`) twice the
        /// multiply-adds per instruction.
        case bfloat16 = "bf16"
        /// 8-bit integers: each weight column scaled to −127…127 (its own scale), and at each
        /// product each input row to unsigned bytes over its range (a scale and a zero point per
        /// row); sums exact in 32-bit integers, then scaled back. The few inputs of a row and
        /// weights of a column beyond 6 × its root mean square are kept exactly beside the codes
        /// (so they do not set the step). A quarter of the bytes of weights, and where the CPU
        /// has AVX-512 VNNI (`int8DotProducts`) four times the multiply-adds per instruction of
        /// a float FMA.
        case int8
    }

    /// Rows worth one thread's share of a row-wise step (the rounding of a product's inputs, an
    /// encoder's element-wise steps): a batch of long texts holds thousands, a query a few dozen,
    /// not worth a hand-off.
    public static let rowsPerShare = 128

    /// Whether bfloat16 products use the CPU's `vdpbf16ps` (AVX-512 BF16, with the AVX-512
    /// variant active); otherwise they widen to floats, with the same rounded inputs.
    public static var bf16DotProducts: Bool { gk_bf16_dot_active() }

    /// Turns `vdpbf16ps` on or off for bfloat16 products; false when it is not available here.
    @discardableResult
    public static func useBF16DotProducts(_ use: Bool) -> Bool { gk_use_bf16_dot(use) }

    /// Whether 8-bit products use the CPU's `vpdpbusd` (AVX-512 VNNI, with the AVX-512 variant
    /// active); otherwise they widen each byte, with the same integer sums.
    public static var int8DotProducts: Bool { gk_i8_dot_active() }

    /// Turns `vpdpbusd` on or off for 8-bit products; false when it is not available here.
    @discardableResult
    public static func useInt8DotProducts(_ use: Bool) -> Bool { gk_use_i8_dot(use) }

    /// Whether bfloat16 and 8-bit products run on the CPU's AMX tiles (`tdpbf16ps`, `tdpbusd`:
    /// a 16-row block times 32 columns in two instructions per 32 or 64 k-values), which take
    /// precedence over the dot-product instructions above. On by default where the CPU has them,
    /// the AVX-512 variant is active and the operating system grants their state (Linux asks
    /// once, at the first product). The 8-bit results are the same to the bit either way.
    public static var tileProducts: Bool { gk_amx_active() }

    /// Whether this process may run the AMX tile products: the CPU has them and the operating
    /// system granted their state (asked once). Unlike `tileProducts`, not changed by the switch.
    public static var tileProductsAvailable: Bool { gk_amx_permitted() }

    /// Turns the AMX tile products on or off; false when they are not available here.
    @discardableResult
    public static func useTileProducts(_ use: Bool) -> Bool { gk_use_amx(use) }

    /// A `k × n` matrix packed for `multiplyAdd`: 32-column panels, each `k × 32` contiguous
    /// (floats), or of `k/2` row pairs (bfloat16: `gk_pack_panels_bf16`), or of `k/4` row quads
    /// with a scale and a sum of codes per column (8-bit: `gk_pack_panels_i8`).
    public struct PackedMatrix: Sendable {
        /// Rows of the unpacked matrix (`k`, the inner dimension of `multiplyAdd`).
        public let rows: Int
        /// Columns of the unpacked matrix (`n`, the width of the output rows); padded to a
        /// multiple of 32 inside the panels.
        public let columns: Int
        /// How the weights are stored, and the products run.
        public let precision: WeightPrecision
        fileprivate let floatPanels: [Float]
        fileprivate let bfloat16Panels: [UInt16]
        fileprivate let int8Weights: Int8Weights?

        /// The most rows an 8-bit matrix may have: its products' integer sums fit 32 bits up to
        /// 255 · 127 · 66,000.
        public static let int8RowLimit = 66_000

        /// Packs `w` (`rows × columns`, row-major), stored at `precision` (`.int8`: each weight
        /// rounded to its nearest code, `Int8Quantization(roundingToNearest:…)`; at most
        /// `int8RowLimit` rows).
        public init(_ w: UnsafeBufferPointer<Float>, rows: Int, columns: Int, precision: WeightPrecision = .float32) {
            precondition(w.count == rows * columns)
            precondition(precision != .int8 || rows <= Self.int8RowLimit, "an 8-bit matrix has at most \(Self.int8RowLimit) rows")
            self.rows = rows
            self.columns = columns
            self.precision = precision
            let panels = (columns + 31) / 32
            var (floats, bfloat16s, int8s): ([Float], [UInt16], Int8Weights?) = ([], [], nil)
            switch precision {
            case .float32:
                floats = [Float](unsafeUninitializedCapacity: panels * 32 * rows) { buffer, initialized in
                    gk_pack_panels(w.baseAddress, rows, columns, buffer.baseAddress)
                    initialized = buffer.count
                }
            case .bfloat16:
                bfloat16s = [UInt16](unsafeUninitializedCapacity: panels * 64 * ((rows + 1) / 2)) { buffer, initialized in
                    gk_pack_panels_bf16(w.baseAddress, rows, columns, buffer.baseAddress)
                    initialized = buffer.count
                }
            case .int8:
                int8s = Int8Weights(Int8Quantization(roundingToNearest: w, rows: rows, columns: columns))
            }
            (floatPanels, bfloat16Panels, int8Weights) = (floats, bfloat16s, int8s)
        }

        /// Packs 8-bit codes made elsewhere (`Int8Quantization(minimizingOutputError:…)`):
        /// precision `.int8`, at most `int8RowLimit` rows.
        public init(_ quantized: Int8Quantization) {
            precondition(quantized.rows <= Self.int8RowLimit, "an 8-bit matrix has at most \(Self.int8RowLimit) rows")
            rows = quantized.rows
            columns = quantized.columns
            precision = .int8
            (floatPanels, bfloat16Panels, int8Weights) = ([], [], Int8Weights(quantized))
        }

        /// Bytes of packed weights (with the 8-bit columns' scales, sums and outlier weights).
        public var byteCount: Int {
            floatPanels.count * MemoryLayout<Float>.stride + bfloat16Panels.count * MemoryLayout<UInt16>.stride + (int8Weights?.byteCount ?? 0)
        }
    }

    /// `c += x · w` with x `rows × w.rows` and c `rows × w.columns` (row-major); with `threads`
    /// above 1 the 32-column panels are shared out, two shares per thread, in a section of
    /// `WorkerPool.shared`. No packing per call: for the few rows of one or a
    /// few sentences this beats a BLAS call, which repacks its operand every time. At bfloat16, x
    /// is rounded once (into pairs) before the split; at 8 bits, quantised once (into quads).
    public static func multiplyAdd(_ x: UnsafeBufferPointer<Float>, rows: Int, _ w: PackedMatrix,
                                   into c: UnsafeMutableBufferPointer<Float>, threads: Int = 1) {
        let (k, n) = (w.rows, w.columns)
        precondition(x.count >= rows * k && c.count >= rows * n && threads >= 1)
        let panels = (n + 31) / 32
        let parts = threads == 1 ? 1 : min(2 * threads, panels)
        switch w.precision {
        case .float32:
            w.floatPanels.withUnsafeBufferPointer { packed in
                let (xp, wp, cp) = (x.baseAddress, packed.baseAddress, c.baseAddress)
                WorkerPool.shared.run(sharing: panels, parts: parts) { share, _ in gk_gemm_panels(xp, rows, k, wp, n, cp, share.lowerBound, share.upperBound) }
            }
        case .bfloat16:
            let pairCount = (k + 1) / 2
            let pairs = [UInt32](unsafeUninitializedCapacity: rows * pairCount) { buffer, initialized in
                // Rounded in shares of rows on the pool when there are many (a batch of long texts).
                let (xp, pp) = (x.baseAddress, buffer.baseAddress)
                WorkerPool.shared.run(sharing: rows, parts: max(1, min(threads, rows / rowsPerShare))) { share, _ in
                    gk_bf16_pairs(xp.map { $0 + share.lowerBound * k }, share.count, k, pp.map { $0 + share.lowerBound * pairCount })
                }
                initialized = buffer.count
            }
            pairs.withUnsafeBufferPointer { pairs in
                w.bfloat16Panels.withUnsafeBufferPointer { packed in
                    let (xp, wp, cp) = (pairs.baseAddress, packed.baseAddress, c.baseAddress)
                    WorkerPool.shared.run(sharing: panels, parts: parts) { share, _ in gk_gemm_panels_bf16(xp, rows, pairCount, wp, n, cp, share.lowerBound, share.upperBound) }
                }
            }
        case .int8:
            let weights = w.int8Weights!
            withExtendedLifetime(weights) {
                Int8Rows.quantising(x, rows: rows, k: k, parts: parts) { quantised in
                    let (operand, cp) = (weights.operand, c.baseAddress)
                    WorkerPool.shared.run(sharing: panels, parts: parts) { share, _ in
                        gk_gemm_panels_i8(quantised, rows, operand, cp, share.lowerBound, share.upperBound)
                    }
                }
            }
        }
    }

    /// Self-attention of one sequence: `qkv` holds `length` rows of [q | k | v] (each
    /// `heads · headDimension` wide); writes the context columns of the heads in `headRange`
    /// (default all) to `out` (`length` rows of `heads · headDimension`): per head,
    /// `softmax(q·kᵀ / √headDimension) · v`. `scratch` holds at least
    /// `attentionScratchCount(length:headDimension:)` floats.
    public static func attention(_ qkv: UnsafeBufferPointer<Float>, length: Int, heads: Int, headDimension: Int,
                                 headRange: Range<Int>? = nil,
                                 into out: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>) {
        let width = heads * headDimension
        let range = headRange ?? 0..<heads
        precondition(qkv.count >= length * 3 * width && out.count >= length * width && range.clamped(to: 0..<heads) == range
            && scratch.count >= attentionScratchCount(length: length, headDimension: headDimension))
        gk_attention(qkv.baseAddress, length, heads, headDimension, range.lowerBound, range.upperBound, out.baseAddress, scratch.baseAddress)
    }

    /// Floats of scratch `attention` needs: the keys of one head transposed, and one row of scores.
    public static func attentionScratchCount(length: Int, headDimension: Int) -> Int {
        (headDimension + 1) * ((length + 15) / 16 * 16)
    }
}

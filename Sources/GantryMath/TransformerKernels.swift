import Dispatch
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

    /// A `k × n` matrix packed for `multiplyAdd`: 32-column panels, each `k × 32` contiguous.
    public struct PackedMatrix: Sendable {
        /// Rows of the unpacked matrix (`k`, the inner dimension of `multiplyAdd`).
        public let rows: Int
        /// Columns of the unpacked matrix (`n`, the width of the output rows); padded to a
        /// multiple of 32 inside the panels.
        public let columns: Int
        let panels: [Float]

        /// Packs `w` (`rows × columns`, row-major).
        public init(_ w: UnsafeBufferPointer<Float>, rows: Int, columns: Int) {
            precondition(w.count == rows * columns)
            self.rows = rows
            self.columns = columns
            panels = [Float](unsafeUninitializedCapacity: (columns + 31) / 32 * 32 * rows) { buffer, count in
                gk_pack_panels(w.baseAddress, rows, columns, buffer.baseAddress)
                count = buffer.count
            }
        }
    }

    /// `c += x · w` with x `rows × w.rows` and c `rows × w.columns` (row-major), the column
    /// panels split between `threads` threads. No packing per call: for the few rows of one or a
    /// few sentences this beats a BLAS call, which repacks its operand every time.
    public static func multiplyAdd(_ x: UnsafeBufferPointer<Float>, rows: Int, _ w: PackedMatrix,
                                   into c: UnsafeMutableBufferPointer<Float>, threads: Int = 1) {
        let (k, n) = (w.rows, w.columns)
        precondition(x.count >= rows * k && c.count >= rows * n && threads >= 1)
        let panels = (n + 31) / 32
        let parts = min(threads, panels)
        w.panels.withUnsafeBufferPointer { packed in
            guard parts > 1 else {
                gk_gemm_panels(x.baseAddress, rows, k, packed.baseAddress, n, c.baseAddress, 0, panels)
                return
            }
            nonisolated(unsafe) let (xp, wp, cp) = (x.baseAddress, packed.baseAddress, c.baseAddress)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                gk_gemm_panels(xp, rows, k, wp, n, cp, panels * part / parts, panels * (part + 1) / parts)
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

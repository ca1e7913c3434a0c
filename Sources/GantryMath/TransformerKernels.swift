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

    /// Self-attention of one sequence: `qkv` holds `length` rows of [q | k | v] (each
    /// `heads · headDimension` wide); writes `length` context rows of `heads · headDimension`
    /// to `out`: per head, `softmax(q·kᵀ / √headDimension) · v`. `scratch` holds ≥ `length` floats.
    public static func attention(_ qkv: UnsafeBufferPointer<Float>, length: Int, heads: Int, headDimension: Int,
                                 into out: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>) {
        let width = heads * headDimension
        precondition(qkv.count >= length * 3 * width && out.count >= length * width && scratch.count >= length)
        gk_attention(qkv.baseAddress, length, heads, headDimension, out.baseAddress, scratch.baseAddress)
    }
}

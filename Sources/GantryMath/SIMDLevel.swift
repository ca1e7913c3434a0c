/// Vector instruction-set levels, in increasing order of width.
public enum SIMDLevel: Int, Comparable, Sendable, CustomStringConvertible {
    /// SSE2, the x86-64 baseline: the kernels' portable (generic) variant.
    case sse = 0
    /// AVX without AVX2 and FMA. The SIMD kernels have no variant of their own for it and run
    /// the SSE2 one; it matters for naming OpenBLAS kernels (Sandy Bridge).
    case avx
    /// AVX2 with FMA: the kernels' 256-bit variant, OpenBLAS's Haswell kernels.
    case avx2
    /// AVX-512 (F, CD, BW, DQ, VL): the kernels' 512-bit variant, OpenBLAS's SkylakeX kernels.
    case avx512

    /// Whether `lhs` is narrower than `rhs` (`.sse < .avx < .avx2 < .avx512`).
    public static func < (lhs: SIMDLevel, rhs: SIMDLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The level's usual name: `SSE`, `AVX`, `AVX2` or `AVX-512`.
    public var description: String {
        switch self {
        case .sse: "SSE"
        case .avx: "AVX"
        case .avx2: "AVX2"
        case .avx512: "AVX-512"
        }
    }
}

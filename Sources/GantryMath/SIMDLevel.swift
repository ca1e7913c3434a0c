/// Vector instruction-set levels, in increasing order of width.
public enum SIMDLevel: Int, Comparable, Sendable, CustomStringConvertible {
    case sse = 0, avx, avx2, avx512

    public static func < (lhs: SIMDLevel, rhs: SIMDLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .sse: "SSE"
        case .avx: "AVX"
        case .avx2: "AVX2"
        case .avx512: "AVX-512"
        }
    }
}

import GantryKernels

/// The vector features of the CPU this process runs on (CPUID, with OS support checked).
public struct CPUFeatures: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let sse42 = CPUFeatures(rawValue: UInt32(GK_CPU_SSE42))
    public static let avx = CPUFeatures(rawValue: UInt32(GK_CPU_AVX))
    public static let avx2 = CPUFeatures(rawValue: UInt32(GK_CPU_AVX2))
    public static let fma = CPUFeatures(rawValue: UInt32(GK_CPU_FMA))
    public static let avx512f = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512F))
    public static let avx512cd = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512CD))
    public static let avx512bw = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512BW))
    public static let avx512dq = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512DQ))
    public static let avx512vl = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512VL))
    public static let avx512vnni = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512VNNI))
    public static let avx512bf16 = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512BF16))

    private static let names: [(CPUFeatures, String)] = [
        (.sse42, "sse4.2"), (.avx, "avx"), (.avx2, "avx2"), (.fma, "fma"),
        (.avx512f, "avx512f"), (.avx512cd, "avx512cd"), (.avx512bw, "avx512bw"),
        (.avx512dq, "avx512dq"), (.avx512vl, "avx512vl"), (.avx512vnni, "avx512vnni"),
        (.avx512bf16, "avx512bf16"),
    ]

    /// The features of this machine's CPU.
    public static let current = CPUFeatures(rawValue: gk_cpu_features())

    /// The widest level whose instructions are all present (AVX-512 means F, CD, BW, DQ, VL:
    /// the set OpenBLAS's SkylakeX kernels use).
    public var simdLevel: SIMDLevel {
        if contains([.avx512f, .avx512cd, .avx512bw, .avx512dq, .avx512vl, .avx2, .fma]) { return .avx512 }
        if contains([.avx2, .fma]) { return .avx2 }
        if contains(.avx) { return .avx }
        return .sse
    }

    public var description: String {
        let present = Self.names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "none beyond SSE2" : present.joined(separator: " ")
    }
}

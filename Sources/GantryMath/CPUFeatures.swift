import GantryKernels

/// The vector features of the CPU this process runs on (CPUID, with OS support checked).
public struct CPUFeatures: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The feature bits, as `gk_cpu_features()` in GantryKernels sets them (`GK_CPU_*`).
    public let rawValue: UInt32
    /// A set from feature bits (`GK_CPU_*`); unknown bits are kept but name no feature.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// SSE4.2: what the hardware CRC-32C of `BinaryFile.checksum` uses.
    public static let sse42 = CPUFeatures(rawValue: UInt32(GK_CPU_SSE42))
    /// AVX (256-bit floating point, without AVX2's integer and FMA instructions).
    public static let avx = CPUFeatures(rawValue: UInt32(GK_CPU_AVX))
    /// AVX2: with `fma`, what the kernels' AVX2 variant and OpenBLAS's Haswell kernels need.
    public static let avx2 = CPUFeatures(rawValue: UInt32(GK_CPU_AVX2))
    /// FMA3 fused multiply-add.
    public static let fma = CPUFeatures(rawValue: UInt32(GK_CPU_FMA))
    /// AVX-512 Foundation.
    public static let avx512f = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512F))
    /// AVX-512 Conflict Detection.
    public static let avx512cd = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512CD))
    /// AVX-512 Byte and Word instructions.
    public static let avx512bw = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512BW))
    /// AVX-512 Doubleword and Quadword instructions.
    public static let avx512dq = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512DQ))
    /// AVX-512 Vector Length extensions (AVX-512 instructions on 128- and 256-bit registers).
    public static let avx512vl = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512VL))
    /// AVX-512 Vector Neural Network Instructions (`vpdpbusd`: the 8-bit encoder products).
    public static let avx512vnni = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512VNNI))
    /// AVX-512 bfloat16 instructions (`vdpbf16ps`: the bfloat16 encoder products).
    public static let avx512bf16 = CPUFeatures(rawValue: UInt32(GK_CPU_AVX512BF16))
    /// AMX tiles with 8-bit and bfloat16 products (AMX-TILE, -INT8, -BF16): the encoder's
    /// products at those precisions, once the operating system grants the tiles' state.
    public static let amx = CPUFeatures(rawValue: UInt32(GK_CPU_AMX))

    private static let names: [(CPUFeatures, String)] = [
        (.sse42, "sse4.2"), (.avx, "avx"), (.avx2, "avx2"), (.fma, "fma"),
        (.avx512f, "avx512f"), (.avx512cd, "avx512cd"), (.avx512bw, "avx512bw"),
        (.avx512dq, "avx512dq"), (.avx512vl, "avx512vl"), (.avx512vnni, "avx512vnni"),
        (.avx512bf16, "avx512bf16"), (.amx, "amx"),
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

    /// The features present, by their lowercase CPUID names separated by spaces (`sse4.2 avx avx2 fma`),
    /// or `none beyond SSE2`.
    public var description: String {
        let present = Self.names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "none beyond SSE2" : present.joined(separator: " ")
    }
}

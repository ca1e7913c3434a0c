/// OpenBLAS core types (the names `OPENBLAS_CORETYPE` takes) and the vector level of their kernels.
public enum OpenBLASCores {
    private static let levels: [String: SIMDLevel] = {
        var table = [String: SIMDLevel]()
        for name in ["skylakex", "cooperlake", "sapphirerapids"] { table[name] = .avx512 }
        for name in ["haswell", "zen"] { table[name] = .avx2 }
        for name in ["sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"] { table[name] = .avx }
        for name in ["prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "nano", "opteron",
                     "opteron_sse3", "barcelona", "bobcat", "katmai", "coppermine", "northwood", "banias",
                     "athlon"] { table[name] = .sse }
        return table
    }()

    /// The vector level of a core type's kernels, or nil for a name we do not know.
    public static func level(of coreName: String) -> SIMDLevel? { levels[coreName.lowercased()] }

    /// The core type with the widest kernels `features` can run, or nil to leave the choice to
    /// OpenBLAS (CPUs without AVX).
    public static func best(for features: CPUFeatures) -> String? {
        switch features.simdLevel {
        case .avx512: "SkylakeX"
        case .avx2: "Haswell"
        case .avx: "Sandybridge"
        case .sse: nil
        }
    }
}

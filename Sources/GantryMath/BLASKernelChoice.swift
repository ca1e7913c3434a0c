/// Which OpenBLAS kernels to use, decided once, when GantryMath first opens OpenBLAS.
///
/// OpenBLAS picks its kernels while it loads, from `OPENBLAS_CORETYPE` or CPUID. GantryMath
/// opens it on first use (not at process start), so the choice can still be made from code
/// (`BLAS.useKernels`) or from our variable `GANTRY_BLAS_KERNELS` (`best`, `environment` or
/// an OpenBLAS core name such as `Haswell`). Kernels the CPU lacks are refused.
public enum BLASKernelChoice: Hashable, Sendable, CustomStringConvertible {
    /// Respect `OPENBLAS_CORETYPE` as the environment sets it (OpenBLAS's own detection if unset).
    case environment
    /// The widest kernels this CPU runs (SkylakeX on AVX-512, Haswell on AVX2).
    case best
    /// One OpenBLAS core type, e.g. `Haswell`.
    case named(String)

    /// Parses `best`, `environment` or a core name.
    public init(parsing text: String) {
        switch text.lowercased() {
        case "best": self = .best
        case "environment", "env", "": self = .environment
        default: self = .named(text)
        }
    }

    /// The choice as `GANTRY_BLAS_KERNELS` spells it: `environment`, `best` or the core name.
    public var description: String {
        switch self {
        case .environment: "environment"
        case .best: "best"
        case .named(let name): name
        }
    }
}

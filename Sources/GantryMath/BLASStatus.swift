/// What `BLAS.status()` reports about the BLAS library in use.
public struct BLASStatus: Sendable {
    /// The file the library was opened from.
    public var libraryPath: String
    /// OpenBLAS's kernel family (`openblas_get_corename`), e.g. `Haswell`.
    public var coreName: String?
    /// The vector level of those kernels, if the name is known.
    public var coreLevel: SIMDLevel?
    /// OpenBLAS's build configuration (`openblas_get_config`).
    public var configuration: String?
    /// The threads one matrix product may use (`BLAS.threadCount`).
    public var threadCount: Int?
    /// The kernel choice in force when the library was opened.
    public var choice: BLASKernelChoice
    /// `OPENBLAS_CORETYPE` as the environment set it.
    public var environmentCoreType: String?
    /// The core type GantryMath requested instead, if any.
    public var requestedCoreType: String?
}

extension BLASStatus {
    /// Advice when OpenBLAS runs narrower kernels than `cpu` supports (nil when it does not).
    public func kernelAdvice(cpu: CPUFeatures) -> String? {
        guard let level = coreLevel, level < cpu.simdLevel, let best = OpenBLASCores.best(for: cpu) else { return nil }
        let cause = environmentCoreType.map { "OPENBLAS_CORETYPE=\($0) is set" } ?? "OpenBLAS chose them"
        return "OpenBLAS runs \(coreName ?? "?") (\(level)) kernels but this CPU runs \(best) "
            + "(\(cpu.simdLevel)) ones; \(cause). Set GANTRY_BLAS_KERNELS=best to use \(best), "
            + "or unset OPENBLAS_CORETYPE."
    }
}

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
    /// OpenBLAS's thread count.
    public var threadCount: Int?
    /// The kernel choice in force when the library was opened.
    public var choice: BLASKernelChoice
    /// `OPENBLAS_CORETYPE` as the environment set it.
    public var environmentCoreType: String?
    /// The core type GantryMath requested instead, if any.
    public var requestedCoreType: String?
}

import CBLAS

/// The BLAS runtime: which library and kernels are in use, its thread count, and the
/// vector-shaped BLAS level-1 routines (matrix routines are on `Matrix`).
///
/// OpenBLAS is opened on first use. Every routine throws `MathError.libraryUnavailable`
/// (with the command that installs it) when it cannot be opened.
public enum BLAS {
    /// Chooses OpenBLAS's kernels; must run before the first BLAS call of the process (later
    /// calls throw, since OpenBLAS fixes its kernels when it loads). Overrides
    /// `GANTRY_BLAS_KERNELS`.
    public static func useKernels(_ choice: BLASKernelChoice) throws(MathError) {
        guard !BLASLibrary.loadStarted.load(ordering: .sequentiallyConsistent) else {
            let current = (try? BLASLibrary.current())?.choice ?? .environment
            if current == choice { return }
            throw .kernelSelection(reason: "OpenBLAS is already loaded with the '\(current)' choice; "
                + "call BLAS.useKernels before any matrix operation, or set GANTRY_BLAS_KERNELS")
        }
        BLASLibrary.requestedChoice.withLock { $0 = choice }
    }

    /// Opens the library if needed and describes it.
    public static func status() throws(MathError) -> BLASStatus {
        let library = try BLASLibrary.current()
        let functions = library.functions
        let coreName = functions.openblas_get_corename.flatMap { $0() }.map { String(cString: $0) }
        let config = functions.openblas_get_config.flatMap { $0() }.map { String(cString: $0) }
        return BLASStatus(
            libraryPath: library.path, coreName: coreName,
            coreLevel: coreName.flatMap(OpenBLASCores.level(of:)), configuration: config,
            threadCount: threadCount,
            choice: library.choice, environmentCoreType: library.environmentCoreType,
            requestedCoreType: library.requestedCoreType)
    }

    /// The path of the LAPACKE library in use (opening it if needed).
    public static func lapackePath() throws(MathError) -> String { try LAPACKELibrary.current().path }

    /// The threads one matrix product may use, or nil if the library is not OpenBLAS. OpenBLAS
    /// itself runs on the calling thread: `Matrix.gemm` shares a large product's rows out over
    /// `WorkerPool.shared` when this is above 1 (at most one share per lane of the pool at a
    /// time). Starts at OpenBLAS's own setting (OPENBLAS_NUM_THREADS, else the cores).
    public static var threadCount: Int? {
        guard (try? BLASLibrary.current())?.functions.openblas_set_num_threads != nil else { return nil }
        return BLASLibrary.productThreads.load(ordering: .relaxed)
    }

    /// Sets the threads one matrix product may use (1: every product on its caller's thread).
    public static func setThreadCount(_ count: Int) throws(MathError) {
        precondition(count >= 1, "thread count must be at least 1")
        guard try BLASLibrary.current().functions.openblas_set_num_threads != nil else {
            throw .libraryUnavailable(library: try BLASLibrary.current().path,
                                      reason: "it has no openblas_set_num_threads",
                                      remedy: "Use OpenBLAS to control BLAS threads from GantryMath.")
        }
        BLASLibrary.productThreads.store(count, ordering: .relaxed)
    }

    /// `y ← α·x + y`.
    public static func axpy(_ alpha: Float, _ x: [Float], _ y: inout [Float]) throws(MathError) {
        guard x.count == y.count else { throw .lengthMismatch(operation: "axpy", left: x.count, right: y.count) }
        let count = try blasInt(x.count, "axpy")
        let saxpy = try BLASLibrary.current().functions.saxpy!
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in saxpy(count, alpha, px.baseAddress, 1, py.baseAddress, 1) }
        }
    }

    /// `x ← α·x`.
    public static func scal(_ alpha: Float, _ x: inout [Float]) throws(MathError) {
        let count = try blasInt(x.count, "scal")
        let sscal = try BLASLibrary.current().functions.sscal!
        x.withUnsafeMutableBufferPointer { sscal(count, alpha, $0.baseAddress, 1) }
    }

    /// `‖x‖₂`, computed by BLAS without overflow for large elements.
    public static func nrm2(_ x: [Float]) throws(MathError) -> Float {
        let count = try blasInt(x.count, "nrm2")
        let snrm2 = try BLASLibrary.current().functions.snrm2!
        return x.withUnsafeBufferPointer { snrm2(count, $0.baseAddress, 1) }
    }
}

/// A dimension as BLAS/LAPACK's 32-bit integer, or a typed error.
func blasInt(_ value: Int, _ operation: String) throws(MathError) -> Int32 {
    guard let converted = Int32(exactly: value) else { throw .dimensionTooLarge(operation: operation, dimension: value) }
    return converted
}

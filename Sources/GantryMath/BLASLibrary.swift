import CBLAS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An opened BLAS library: its path and the entry points GantryMath calls.
/// Immutable once loaded; the function pointers are safe to call from any thread.
final class BLASLibrary: @unchecked Sendable {
    let functions: gantry_blas_table
    let path: String
    let choice: BLASKernelChoice
    /// `OPENBLAS_CORETYPE` as the environment had it before GantryMath loaded OpenBLAS.
    let environmentCoreType: String?
    /// The core type GantryMath asked OpenBLAS for, if it overrode the environment.
    let requestedCoreType: String?

    private init(functions: gantry_blas_table, path: String, choice: BLASKernelChoice,
                 environmentCoreType: String?, requestedCoreType: String?) {
        self.functions = functions
        self.path = path
        self.choice = choice
        self.environmentCoreType = environmentCoreType
        self.requestedCoreType = requestedCoreType
    }

    /// The library, opened on first access; a failure is kept and reported on every use.
    static let shared: Result<BLASLibrary, MathError> = Result { () throws(MathError) in
        loadStarted.store(true, ordering: .sequentiallyConsistent)
        return try load()
    }

    static func current() throws(MathError) -> BLASLibrary { try shared.get() }

    static let requestedChoice = Mutex<BLASKernelChoice?>(nil)
    /// How many threads one matrix product may use (`BLAS.threadCount`): OpenBLAS's thread count
    /// when the library was opened; 1 with a CBLAS library that is not OpenBLAS (its threading,
    /// if any, is left to it).
    static let productThreads = Atomic<Int>(1)
    static let loadStarted = Atomic<Bool>(false)

    static let remedy = "Install it with `apt-get install libopenblas-dev liblapacke-dev` (or run "
        + "`scripts/bootstrap`), or set GANTRY_BLAS_LIBRARY to the path of a CBLAS library."

    private static func load() throws(MathError) -> BLASLibrary {
        let choice = requestedChoice.withLock { $0 }
            ?? environmentValue("GANTRY_BLAS_KERNELS").map(BLASKernelChoice.init(parsing:))
            ?? .environment
        let environmentCoreType = environmentValue("OPENBLAS_CORETYPE")
        let requestedCoreType: String?
        switch choice {
        case .environment:
            requestedCoreType = nil
        case .best:
            requestedCoreType = OpenBLASCores.best(for: .current)
        case .named(let name):
            guard let level = OpenBLASCores.level(of: name) else {
                throw .kernelSelection(reason: "unknown OpenBLAS core type '\(name)'; use best, environment, "
                    + "SkylakeX, Haswell, Sandybridge or another OPENBLAS_CORETYPE name")
            }
            guard level <= CPUFeatures.current.simdLevel else {
                throw .kernelSelection(reason: "\(name) kernels need \(level), this CPU has "
                    + "\(CPUFeatures.current.simdLevel) at most")
            }
            requestedCoreType = name
        }

        // OpenBLAS reads OPENBLAS_CORETYPE in its load-time constructor: set it around dlopen
        // only, so child processes still see the user's own setting.
        if choice != .environment {
            if let core = requestedCoreType { setenv("OPENBLAS_CORETYPE", core, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
        }
        defer {
            if choice != .environment {
                if let original = environmentCoreType { setenv("OPENBLAS_CORETYPE", original, 1) } else { unsetenv("OPENBLAS_CORETYPE") }
            }
        }

        let candidates = environmentValue("GANTRY_BLAS_LIBRARY").map { [$0] } ?? defaultBLASNames
        let (handle, path) = try SharedLibrary.open(candidates, describedAs: "OpenBLAS", probe: "cblas_sgemm", remedy: remedy)
        var table = gantry_blas_table()
        try SharedLibrary.bind(&table, \.sgemm, "cblas_sgemm", in: handle, path: path)
        try SharedLibrary.bind(&table, \.sgemv, "cblas_sgemv", in: handle, path: path)
        try SharedLibrary.bind(&table, \.saxpy, "cblas_saxpy", in: handle, path: path)
        try SharedLibrary.bind(&table, \.sscal, "cblas_sscal", in: handle, path: path)
        try SharedLibrary.bind(&table, \.snrm2, "cblas_snrm2", in: handle, path: path)
        try SharedLibrary.bind(&table, \.ssyrk, "cblas_ssyrk", in: handle, path: path)
        // OpenBLAS's extensions: absent from other CBLAS libraries, so optional.
        SharedLibrary.bindIfPresent(&table, \.openblas_get_config, "openblas_get_config", in: handle)
        SharedLibrary.bindIfPresent(&table, \.openblas_get_corename, "openblas_get_corename", in: handle)
        SharedLibrary.bindIfPresent(&table, \.openblas_get_num_threads, "openblas_get_num_threads", in: handle)
        SharedLibrary.bindIfPresent(&table, \.openblas_set_num_threads, "openblas_set_num_threads", in: handle)
        // OpenBLAS's own threads wait for each other by spinning on sched_yield: with the other
        // core busy, `gantry train` took twice as long on two of them as on one (8.1 s against
        // 3.9 s). It runs on the calling thread, and `Matrix.gemm` shares large products out over
        // `WorkerPool` instead, as many ways as OpenBLAS would have used (its setting, from
        // OPENBLAS_NUM_THREADS or the cores).
        if let get = table.openblas_get_num_threads, let set = table.openblas_set_num_threads {
            productThreads.store(max(1, Int(get())), ordering: .relaxed)
            set(1)
        }
        return BLASLibrary(functions: table, path: path, choice: choice,
                           environmentCoreType: environmentCoreType, requestedCoreType: requestedCoreType)
    }

    #if os(macOS)
    static let defaultBLASNames = ["libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
                                   "/usr/local/opt/openblas/lib/libopenblas.dylib"]
    #else
    static let defaultBLASNames = ["libopenblas.so.0", "libopenblas.so"]
    #endif
}

/// The value of an environment variable, if set.
func environmentValue(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

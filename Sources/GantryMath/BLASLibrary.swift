import CBLAS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    public var description: String {
        switch self {
        case .environment: "environment"
        case .best: "best"
        case .named(let name): name
        }
    }
}

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

/// An opened LAPACKE library. Some OpenBLAS builds carry LAPACKE themselves; Debian's
/// does not, and LAPACKE comes from liblapacke (which calls OpenBLAS's LAPACK).
final class LAPACKELibrary: @unchecked Sendable {
    let functions: gantry_lapacke_table
    let path: String

    private init(functions: gantry_lapacke_table, path: String) {
        self.functions = functions
        self.path = path
    }

    static let shared: Result<LAPACKELibrary, MathError> = Result { () throws(MathError) in try load() }

    static func current() throws(MathError) -> LAPACKELibrary { try shared.get() }

    private static func load() throws(MathError) -> LAPACKELibrary {
        let explicit = environmentValue("GANTRY_LAPACKE_LIBRARY")
        var candidates = explicit.map { [$0] } ?? defaultNames
        // Prefer LAPACKE inside the BLAS library when it has one.
        if explicit == nil, case .success(let blas) = BLASLibrary.shared { candidates.insert(blas.path, at: 0) }
        var failures = [String]()
        for candidate in candidates {
            do {
                let (handle, path) = try SharedLibrary.open([candidate], describedAs: "LAPACKE", probe: "LAPACKE_sgesv",
                                                            remedy: BLASLibrary.remedy)
                var table = gantry_lapacke_table()
                try SharedLibrary.bind(&table, \.sgesdd, "LAPACKE_sgesdd", in: handle, path: path)
                try SharedLibrary.bind(&table, \.ssyevd, "LAPACKE_ssyevd", in: handle, path: path)
                try SharedLibrary.bind(&table, \.sgeqrf, "LAPACKE_sgeqrf", in: handle, path: path)
                try SharedLibrary.bind(&table, \.sorgqr, "LAPACKE_sorgqr", in: handle, path: path)
                try SharedLibrary.bind(&table, \.sposv, "LAPACKE_sposv", in: handle, path: path)
                try SharedLibrary.bind(&table, \.sgesv, "LAPACKE_sgesv", in: handle, path: path)
                return LAPACKELibrary(functions: table, path: path)
            } catch {
                if case .libraryUnavailable(_, let reason, _) = error { failures.append(reason) }
            }
        }
        throw .libraryUnavailable(library: "LAPACKE (tried \(candidates.joined(separator: ", ")))",
                                  reason: failures.joined(separator: "; "), remedy: BLASLibrary.remedy)
    }

    #if os(macOS)
    static let defaultNames = ["liblapacke.dylib"]
    #else
    static let defaultNames = ["liblapacke.so.3", "liblapacke.so"]
    #endif
}

/// dlopen/dlsym with errors a user can act on.
enum SharedLibrary {
    /// Opens the first candidate that loads; `probe` is a symbol it should define, used to
    /// report the file it really came from.
    static func open(_ candidates: [String], describedAs name: String, probe: String, remedy: String)
        throws(MathError) -> (handle: UnsafeMutableRawPointer, path: String)
    {
        var reasons = [String]()
        for candidate in candidates {
            if let handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL) {
                return (handle, resolvedPath(handle, probe: probe) ?? candidate)
            }
            reasons.append(dlerror().map { String(cString: $0) } ?? "\(candidate): cannot be opened")
        }
        throw .libraryUnavailable(library: "\(name) (tried \(candidates.joined(separator: ", ")))",
                                  reason: reasons.joined(separator: "; "), remedy: remedy)
    }

    static func bind<Table, Function>(
        _ table: inout Table, _ field: WritableKeyPath<Table, Function?>, _ symbol: String,
        in handle: UnsafeMutableRawPointer, path: String
    ) throws(MathError) {
        guard let address = dlsym(handle, symbol) else {
            throw .libraryUnavailable(library: path, reason: "it has no symbol \(symbol)",
                                      remedy: "Point GANTRY_BLAS_LIBRARY / GANTRY_LAPACKE_LIBRARY at a complete library.")
        }
        table[keyPath: field] = unsafeBitCast(address, to: Function.self)
    }

    static func bindIfPresent<Table, Function>(
        _ table: inout Table, _ field: WritableKeyPath<Table, Function?>, _ symbol: String,
        in handle: UnsafeMutableRawPointer
    ) {
        if let address = dlsym(handle, symbol) { table[keyPath: field] = unsafeBitCast(address, to: Function.self) }
    }

    /// The file that defines `probe` for this handle (the library itself or a dependency).
    private static func resolvedPath(_ handle: UnsafeMutableRawPointer, probe: String) -> String? {
        guard let address = dlsym(handle, probe) else { return nil }
        var info = gantry_dl_info()
        guard gantry_dladdr(address, &info) != 0, let name = info.dli_fname else { return nil }
        return String(cString: name)
    }
}

/// The value of an environment variable, if set.
func environmentValue(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

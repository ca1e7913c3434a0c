import CBLAS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
                try SharedLibrary.bind(&table, \.spotrf, "LAPACKE_spotrf", in: handle, path: path)
                try SharedLibrary.bind(&table, \.spotri, "LAPACKE_spotri", in: handle, path: path)
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

import CBLAS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

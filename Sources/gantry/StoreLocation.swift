import AgentGantry
import AgentGantryPostgres
import Foundation
import GantryEval

/// Where a command's store is: a SQLite file, or a PostgreSQL database named by a
/// `postgres://` or `postgresql://` URL. Commands take it from `--store`, or from the
/// environment variable `GANTRY_STORE_URL` when `--store` is not given.
enum StoreLocation: CustomStringConvertible {
    case file(String)
    case postgres(url: String)

    /// The environment variable commands read when `--store` is absent.
    static let environmentVariable = "GANTRY_STORE_URL"

    /// The help line of a command's `--store`.
    static let help = "The store: a SQLite file, or a postgres:// URL (default: $GANTRY_STORE_URL)."

    /// `option`, or `GANTRY_STORE_URL`; throws when neither is given.
    init(_ option: String?) throws {
        guard let value = option ?? ProcessInfo.processInfo.environment[Self.environmentVariable].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw GantryError.invalidInput("give the store with --store (a SQLite file or a postgres:// URL) or in \(Self.environmentVariable)")
        }
        let lowered = value.lowercased()
        self = lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") ? .postgres(url: value) : .file(value)
    }

    /// The file's path, or the URL without its password.
    var description: String {
        switch self {
        case .file(let path): path
        case .postgres(let url): PostgresStore.redacted(url)
        }
    }

    /// An `AgentGantry` on this store: `configuration` with this file as its store, or on a
    /// `PostgresStore` of the URL; a store that does not exist is created, unless `create` is
    /// false: then it is refused with `hint`.
    func openGantry(_ configuration: GantryConfiguration, create: Bool = true, hint: String = "") async throws -> AgentGantry {
        if !create { try requireExisting(hint: hint) }
        switch self {
        case .file(let path):
            var configuration = configuration
            configuration.storePath = path
            return try await AgentGantry(configuration: configuration)
        case .postgres(let url):
            return try await AgentGantry(configuration: configuration, store: try await PostgresStore(url: url, create: create))
        }
    }

    /// Throws unless a file store exists (commands that must not create one); a database is
    /// checked by opening it (`openStore(create: false, hint:)`).
    private func requireExisting(hint: String) throws {
        if case .file(let path) = self, !FileManager.default.fileExists(atPath: path) {
            throw EvalError.missingFile(path: path, hint: hint)
        }
    }
}

extension StoreLocation {
    /// The store itself (not an `AgentGantry` on it): a SQLite file or a PostgreSQL database,
    /// created if missing when `create`, otherwise refused (the file not found, or no store in
    /// the database) with `hint`.
    func openStore(create: Bool, hint: String) async throws -> any GantryStore {
        if !create { try requireExisting(hint: hint) }
        switch self {
        case .file(let path): return try SQLiteStore(path: path)
        case .postgres(let url): return try await PostgresStore(url: url, create: create)
        }
    }
}

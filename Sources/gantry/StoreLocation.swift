import AgentGantry
import AgentGantryPostgres
import ArgumentParser
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

    /// `option`, or `GANTRY_STORE_URL`; a usage error (`ValidationError`) when neither is given,
    /// or when the value is a URL of another scheme (a misspelt `postgres://` must not become a
    /// folder named after the URL, password and all). `flag` names the option in messages.
    init(_ option: String?, flag: String = "--store") throws {
        guard let given = option ?? ProcessInfo.processInfo.environment[Self.environmentVariable].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ValidationError("give the store with \(flag) (a SQLite file or a postgres:// URL) or in \(Self.environmentVariable)")
        }
        let value = given.trimmingCharacters(in: .whitespacesAndNewlines)
        if let scheme = value.range(of: "://").map({ value[..<$0.lowerBound].lowercased() }), scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) {
            guard scheme == "postgres" || scheme == "postgresql" else {
                throw ValidationError("\(PostgresStore.redacted(value)) is a URL of scheme '\(scheme)': a store is a SQLite file or a "
                                      + "postgres:// (or postgresql://) URL")
            }
            self = .postgres(url: value)
        } else {
            guard !value.isEmpty else { throw ValidationError("\(flag) is empty: give a SQLite file or a postgres:// URL") }
            self = .file(given)
        }
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

    /// Throws unless a file store exists (commands that must not create one), looking at the
    /// file without opening it as a store; a database is checked by opening it
    /// (`openStore(create: false, hint:)`).
    func requireExisting(hint: String) throws {
        guard case .file(let path) = self else { return }
        guard FileManager.default.fileExists(atPath: path) else { throw EvalError.missingFile(path: path, hint: hint) }
        guard SQLiteStore.holdsStore(at: path) else {
            throw GantryError.invalidInput("\(path) is not an AgentGantry store (no store tables in it); \(hint)")
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

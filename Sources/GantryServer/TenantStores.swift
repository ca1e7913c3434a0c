import AgentGantry
import AgentGantryPostgres
import Foundation
import GantryEmbed

/// Where the tenants' stores are: each tenant has a store of its own, so no tenant's tools,
/// feedback, adapter, breakers or learned state can reach another's.
public enum TenantStores: Sendable, CustomStringConvertible {
    /// SQLite: `folder/<tenant>.sqlite` (the folder is created when missing).
    case folder(String)
    /// PostgreSQL: one database, a schema `gantry_<tenant>` per tenant (created on first use).
    case postgres(url: String)
    /// No store: everything is lost when the server stops (trials and tests).
    case memory

    /// Where the stores are, in words (a URL without its password).
    public var description: String {
        switch self {
        case .folder(let path): "SQLite files in \(path)"
        case .postgres(let url): "PostgreSQL schemas at \(PostgresStore.redacted(url))"
        case .memory: "memory (nothing kept)"
        }
    }

    /// The PostgreSQL URL of `tenant`'s schema: `url` with `options=-c search_path=gantry_<tenant>`.
    static func url(_ url: String, tenant: String) -> String {
        url + (url.contains("?") ? "&" : "?") + "options=-c%20search_path%3Dgantry_" + tenant
    }

    /// `tenant`'s gantry, its store (and the folder of SQLite stores) created when missing. Without
    /// `embedder`, the gantry loads the MiniLM encoder of `configuration.modelDirectory` at the
    /// precision of the store's tools (one encoder per precision in the process).
    public func openGantry(of tenant: String, configuration: GantryConfiguration, embedder: (any Embedder)? = nil) async throws -> AgentGantry {
        var configuration = configuration
        switch self {
        case .folder(let path):
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            configuration.storePath = URL(fileURLWithPath: path).appendingPathComponent(tenant + ".sqlite").path
            return try await AgentGantry(configuration: configuration, embedder: embedder)
        case .postgres(let url):
            let store = try await PostgresStore(url: Self.url(url, tenant: tenant), create: true)
            return try await AgentGantry(configuration: configuration, embedder: embedder, store: store)
        case .memory:
            configuration.storePath = nil
            return try await AgentGantry(configuration: configuration, embedder: embedder)
        }
    }
}

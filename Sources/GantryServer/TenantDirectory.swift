import AgentGantry
import AgentGantryPostgres
import Foundation
import GantryEmbed
import Logging

/// The open gantry of each tenant, opened on its first request and kept until the server stops,
/// with the supervisor of its declared MCP servers when it has some (`ServerOptions.mcpServers`).
/// They share one embedder (the model is loaded once), or without one each loads the MiniLM
/// encoder at its store's precision (shared by the tenants of a precision), and serve concurrently.
actor TenantDirectory {
    /// A tenant's gantry and the supervisor of its MCP servers.
    struct Opened: Sendable {
        let gantry: AgentGantry
        let upstreams: UpstreamSupervisor?
    }

    private let stores: TenantStores
    private let embedder: (any Embedder)?
    private let configuration: GantryConfiguration
    private let options: ServerOptions?
    private let logger: Logger
    private var opening: [String: Task<Opened, any Error>] = [:]

    init(stores: TenantStores, embedder: (any Embedder)?, configuration: GantryConfiguration, options: ServerOptions? = nil,
         logger: Logger = Logger(label: "gantry.serve")) throws(GantryError) {
        (self.options, self.logger) = (options, logger)
        if case .postgres(let url) = stores, url.contains("search_path") {
            throw .invalidInput("each tenant's schema is gantry_<tenant>: leave search_path out of the store URL")
        }
        if case .folder(let path) = stores {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
                throw .invalidInput("\(path) is a file: with tenants the store is a folder, each tenant's store FOLDER/<tenant>.sqlite")
            }
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw .invalidInput("cannot create the store folder \(path): \(error.localizedDescription)")
            }
        }
        (self.stores, self.embedder, self.configuration) = (stores, embedder, configuration)
    }

    /// `tenant`'s gantry (opened now if it is not open; one open however many ask at once).
    func gantry(of tenant: String) async throws -> AgentGantry {
        try await opened(tenant).gantry
    }

    /// `tenant`'s gantry and the supervisor of its MCP servers (opened now if it is not open).
    func opened(_ tenant: String) async throws -> Opened {
        if let task = opening[tenant] { return try await task.value }
        let (stores, embedder, configuration, options, logger) = (stores, embedder, configuration, options, logger)
        let task = Task { () throws -> Opened in
            let gantry = try await stores.openGantry(of: tenant, configuration: configuration, embedder: embedder)
            guard let options, let folder = options.mcpServers else { return Opened(gantry: gantry, upstreams: nil) }
            let file = URL(fileURLWithPath: folder).appendingPathComponent(tenant + ".json").path
            var tenantLogger = logger
            tenantLogger[metadataKey: "tenant"] = "\(tenant)"
            let declarations: UpstreamDeclarations
            do { declarations = try UpstreamDeclarations(contentsOf: file) } catch {
                // A damaged servers file costs the tenant its MCP servers, not its router.
                tenantLogger.error("the tenant's MCP servers are not started: \(error)")
                return Opened(gantry: gantry, upstreams: nil)
            }
            guard !declarations.servers.isEmpty else { return Opened(gantry: gantry, upstreams: nil) }
            let upstreams = UpstreamSupervisor(declarations, file: file, gantry: gantry, startTimeout: options.mcpStartTimeout,
                                               callTimeout: options.mcpCallTimeout, logger: tenantLogger)
            await upstreams.start()
            return Opened(gantry: gantry, upstreams: upstreams)
        }
        opening[tenant] = task
        do {
            return try await task.value
        } catch {
            opening[tenant] = nil  // the next request tries again (a store that was down may be up)
            throw error
        }
    }

    /// Stops every tenant's MCP servers.
    func stopUpstreams() async {
        for task in opening.values { await (try? task.value)?.upstreams?.stop() }
    }

    /// The gantries open now, by tenant.
    var openGantries: [(tenant: String, gantry: AgentGantry)] {
        get async {
            var open = [(tenant: String, gantry: AgentGantry)]()
            for (tenant, task) in opening.sorted(by: { $0.key < $1.key }) {
                if let opened = try? await task.value { open.append((tenant, opened.gantry)) }
            }
            return open
        }
    }
}

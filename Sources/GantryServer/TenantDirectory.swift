import AgentGantry
import AgentGantryPostgres
import Foundation
import GantryEmbed

/// The open gantry of each tenant, opened on its first request and kept until the server stops.
/// They share one embedder (the model is loaded once) and serve concurrently.
actor TenantDirectory {
    private let stores: TenantStores
    private let embedder: any Embedder
    private let configuration: GantryConfiguration
    private var opening: [String: Task<AgentGantry, any Error>] = [:]

    init(stores: TenantStores, embedder: any Embedder, configuration: GantryConfiguration) throws(GantryError) {
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
        if let task = opening[tenant] { return try await task.value }
        let (stores, embedder, configuration) = (stores, embedder, configuration)
        let task = Task { () throws -> AgentGantry in try await stores.openGantry(of: tenant, configuration: configuration, embedder: embedder) }
        opening[tenant] = task
        do {
            return try await task.value
        } catch {
            opening[tenant] = nil  // the next request tries again (a store that was down may be up)
            throw error
        }
    }

    /// The gantries open now, by tenant.
    var openGantries: [(tenant: String, gantry: AgentGantry)] {
        get async {
            var open = [(tenant: String, gantry: AgentGantry)]()
            for (tenant, task) in opening.sorted(by: { $0.key < $1.key }) {
                if let gantry = try? await task.value { open.append((tenant, gantry)) }
            }
            return open
        }
    }
}

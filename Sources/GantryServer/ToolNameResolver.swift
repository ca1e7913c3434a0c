import AgentGantry
import Foundation

/// Finds the registered tool a caller names: by its own name, or by the name the model
/// providers get (`ProviderNames`), which is what an agent saw and reports. The exported names
/// are cached per gantry and rebuilt when the cache names no tool registered now.
final class ToolNameResolver: Sendable {
    private let resolvers = NSLock.Protected([ObjectIdentifier: ProviderNames.Resolver]())

    /// The registered tool `name` names: itself when a tool has that name, else the tool exported
    /// under it; the name itself when none (the gantry then answers `unknown_tool`).
    func resolve(_ name: String, on gantry: AgentGantry) async -> String {
        if gantry.tool(named: name) != nil { return name }
        let key = ObjectIdentifier(gantry)
        if let original = resolvers.withLock({ $0[key]?.original(of: name) }), gantry.tool(named: original) != nil { return original }
        let resolver = ProviderNames.Resolver(names: await gantry.tools.map(\.name))
        resolvers.withLock { $0[key] = resolver }
        return resolver.original(of: name) ?? name
    }
}

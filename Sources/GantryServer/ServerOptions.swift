import AgentGantry

/// How `gantry serve` serves: where it listens, where the tenants' stores are, who may call it,
/// and the limits on each request.
public struct ServerOptions: Sendable {
    /// The address to listen on: loopback unless told otherwise.
    public var host = "127.0.0.1"
    /// The port (0: any free port; the one taken is reported to `onListening`).
    public var port = 8080
    /// Where each tenant's store is.
    public var stores: TenantStores
    /// Who may call: each token's tenant.
    public var tokens: TenantTokens
    /// The largest request body, in bytes, but for imports.
    public var bodyBytes = 1 << 20
    /// The largest event-log import, in bytes.
    public var importBytes = 64 << 20
    /// Requests per tenant (a token bucket: this many at once, refilled at this rate).
    public var rateLimit = try! RateLimit(requests: 60_000, period: 60)
    /// A connection idle this long is closed (a client that stops sending half-way holds nothing).
    public var idleTimeout: Duration = .seconds(30)
    /// A request's body must arrive within this (408 after): one sending a byte now and then,
    /// which no idle timeout catches, holds its connection no longer.
    public var bodyTimeout: Duration = .seconds(30)
    /// A folder of MCP servers files, `<folder>/<tenant>.json` (`UpstreamDeclarations`): a tenant
    /// with one has its servers started when its gantry opens, their tools routed and callable
    /// through `/mcp` (`call_tool`), and listed, enabled and disabled at `/v1/mcp/servers`. Nil:
    /// none.
    public var mcpServers: String?
    /// How long a declared server may take to start; how long a call of its tool may take.
    public var mcpStartTimeout: Duration = .seconds(10), mcpCallTimeout: Duration = .seconds(60)
    /// Each tenant's gantry is opened with this configuration (its store set per tenant).
    public var configuration = GantryConfiguration(storePath: nil)

    /// The defaults, serving the tenants of `tokens` from `stores`.
    public init(stores: TenantStores, tokens: TenantTokens) {
        (self.stores, self.tokens) = (stores, tokens)
    }
}

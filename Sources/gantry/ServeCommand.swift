import AgentGantry
import AgentGantryPostgres
import ArgumentParser
import Foundation
import GantryEmbed
import GantryIO
import GantryServer
import Logging

/// `gantry serve`: AgentGantry over HTTP for agents in any language, one isolated gantry per
/// tenant of the tokens file.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve stores over HTTP (every tenant of a tokens file), or one store over MCP on stdin/stdout.",
        discussion: """
            Each tenant has a store of its own: FOLDER/<tenant>.sqlite, or the schema gantry_<tenant> of a \
            PostgreSQL database. Make a token with `gantry token --tenant NAME --tokens FILE`; clients send it \
            as `Authorization: Bearer <token>`. Prints "listening on http://HOST:PORT" once it takes \
            connections; logs (never query text or user names) go to standard error. SIGTERM or SIGINT \
            stops it after the requests under way are answered. The API: HTTP-API.md, and GET /openapi.json. \
            POST /mcp serves the token's tenant over the Model Context Protocol; with --mcp-servers FOLDER, a \
            tenant's MCP servers declared in FOLDER/<tenant>.json are started and their tools routed.

            With --mcp-stdio it is a Model Context Protocol server on standard input and output (for an \
            agent that starts it): tools find_tools, report_outcome and report_wrong_tool on one store — \
            --store (a SQLite file or a postgres:// URL; with --tenant, that tenant's store in a folder or \
            database laid out as above), else $GANTRY_STORE_URL, else the default store \
            (~/.local/share/agent-gantry/gantry.sqlite). Only protocol messages go to standard output. \
            With --mcp-servers FILE it starts the MCP servers declared there (`gantry mcp add`), registers \
            their tools as <server>__<tool>, and offers call_tool to call them.
            """
    )

    @Option(help: "The address to listen on (loopback unless you mean otherwise).") var bind = "127.0.0.1"
    @Option(help: "The port (0: any free port).") var port = 8080
    @Option(help: "The tenants' stores: a folder of SQLite files, or a postgres:// URL (default: $GANTRY_STORE_URL).")
    var store: String?
    @Flag(help: "Keep nothing: every tenant's gantry lives in memory (for trials).") var inMemory = false
    @Option(help: "The tokens file: the SHA-256 of each token and its tenant (HTTP).") var tokens: String?
    @Flag(help: "Serve one store over the Model Context Protocol on stdin/stdout instead of HTTP.") var mcpStdio = false
    @Option(help: "With --mcp-stdio: the tenant whose store to serve (FOLDER/<tenant>.sqlite or schema gantry_<tenant>).")
    var tenant: String?
    @Option(help: "The MCP servers whose tools to route and call: with --mcp-stdio a servers file (`gantry mcp add` writes it), over HTTP a folder of them, FOLDER/<tenant>.json.")
    var mcpServers: String?
    @Option(help: "Seconds a declared MCP server may take to start and list its tools.") var mcpStartTimeout = 10
    @Option(help: "Seconds a call of a declared MCP server's tool may take.") var mcpCallTimeout = 60
    @Option(help: "Requests per tenant: N/s, N/min or N/h.") var rateLimit = "60000/min"
    @Option(help: "The largest request body, in KiB (imports excepted).") var bodyLimitKib = 1_024
    @Option(help: "The largest event-log import, in MiB.") var importLimitMib = 64
    @Option(help: "Seconds a request's body may take to arrive.") var bodyTimeout = 30
    @Option(help: "How often each gantry applies what other processes stored, in milliseconds.") var followMs = 250
    @Option(help: "The MiniLM model folder (default: found as `gantry doctor` says).") var model: String?

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535, got \(port)") }
        guard bodyLimitKib > 0, importLimitMib > 0, followMs > 0, bodyTimeout > 0 else {
            throw ValidationError("--body-limit-kib, --import-limit-mib, --body-timeout and --follow-ms must be positive")
        }
        do { _ = try RateLimit(parsing: rateLimit) } catch { throw ValidationError("--rate-limit: \(error)") }
        guard !(inMemory && store != nil) else { throw ValidationError("give --store or --in-memory, not both") }
        guard mcpStartTimeout > 0, mcpCallTimeout > 0 else { throw ValidationError("--mcp-start-timeout and --mcp-call-timeout must be positive") }
        if mcpStdio {
            guard tokens == nil else { throw ValidationError("--tokens is for HTTP; --mcp-stdio serves whoever started it") }
            if let tenant { try TenantTokens.checkTenant(tenant) }
        } else {
            guard tokens != nil else { throw ValidationError("give the tokens file with --tokens (make one with `gantry token`)") }
            guard tenant == nil else { throw ValidationError("--tenant is for --mcp-stdio; over HTTP the token names the tenant") }
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        if mcpStdio { return try await serveMCPStdio() }
        let stores: TenantStores
        if inMemory {
            stores = .memory
        } else {
            switch try StoreLocation(store) {
            case .file(let path): stores = .folder(path)
            case .postgres(let url): stores = .postgres(url: url)
            }
        }
        guard let tokens else { throw ValidationError("give the tokens file with --tokens (make one with `gantry token`)") }
        var isFolder: ObjCBool = false
        if let mcpServers, FileManager.default.fileExists(atPath: mcpServers, isDirectory: &isFolder), !isFolder.boolValue {
            throw ValidationError("over HTTP --mcp-servers is a folder of servers files, FOLDER/<tenant>.json; \(mcpServers) is a file")
        }
        var options = ServerOptions(stores: stores, tokens: try TenantTokens(contentsOf: tokens))
        (options.host, options.port, options.rateLimit) = (bind, port, try RateLimit(parsing: rateLimit))
        (options.bodyBytes, options.importBytes) = (bodyLimitKib << 10, importLimitMib << 20)
        options.configuration.followInterval = .milliseconds(followMs)
        options.bodyTimeout = .seconds(bodyTimeout)
        (options.mcpServers, options.mcpStartTimeout, options.mcpCallTimeout) = (mcpServers, .seconds(mcpStartTimeout), .seconds(mcpCallTimeout))
        // Each tenant's gantry loads the encoder at its store's precision when it opens; the model
        // and a precision asked for must be right now, not at a tenant's first request.
        _ = try ModelLocator.locate(model)
        _ = try MiniLMEncoder.requestedPrecision()
        options.configuration.modelDirectory = model
        let server = try GantryHTTPServer(options: options)
        let (bind, tenants) = (bind, options.tokens.tenantNames.count)
        try await server.run { port in
            let line = "listening on http://\(bind):\(port) (\(tenants) tenant\(tenants == 1 ? "" : "s"), stores: \(stores))\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }
}

extension ServeCommand {
    /// `--mcp-stdio`: the store served over MCP on stdin/stdout until the input ends.
    private func serveMCPStdio() async throws {
        var configuration = GantryConfiguration(storePath: nil)
        configuration.followInterval = .milliseconds(followMs)
        configuration.modelDirectory = model  // loaded by the gantry, at the precision of its store's tools
        let gantry: AgentGantry
        if inMemory {
            gantry = try await AgentGantry(configuration: configuration)
        } else if let tenant {
            let stores: TenantStores = switch try StoreLocation(store) {
            case .file(let path): .folder(path)
            case .postgres(let url): .postgres(url: url)
            }
            gantry = try await stores.openGantry(of: tenant, configuration: configuration)
        } else {
            let location = store ?? ProcessInfo.processInfo.environment[StoreLocation.environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
            switch try StoreLocation(location ?? GantryConfiguration.defaultStorePath) {
            case .file(let path):
                try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                        withIntermediateDirectories: true)
                configuration.storePath = path
                gantry = try await AgentGantry(configuration: configuration)
            case .postgres(let url):
                gantry = try await AgentGantry(configuration: configuration, store: try await PostgresStore(url: url, create: true))
            }
        }
        var upstreams: UpstreamSupervisor?
        if let mcpServers {
            var logger = Logger(label: "gantry.mcp.servers")
            logger.logLevel = .info
            upstreams = UpstreamSupervisor(try UpstreamDeclarations(contentsOf: mcpServers), gantry: gantry, startTimeout: .seconds(mcpStartTimeout),
                                           callTimeout: .seconds(mcpCallTimeout), logger: logger)
        }
        try await GantryMCPServer.serveStdio(gantry, upstreams: upstreams)
    }
}

/// `gantry token`: a new token for a tenant, its SHA-256 added to the tokens file.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Make a token for a tenant of `gantry serve` and add its SHA-256 to the tokens file.",
        discussion: "The token is printed once and kept nowhere; the file (created when missing) holds only its SHA-256."
    )

    @Option(help: "The tenant (1 to 48 of a-z, 0-9 and _).") var tenant: String
    @Option(help: "The tokens file.") var tokens: String

    func run() throws {
        try TenantTokens.checkTenant(tenant)
        var entries = [[String: String]]()
        if FileManager.default.fileExists(atPath: tokens) {
            let data = try Data(contentsOf: URL(fileURLWithPath: tokens))
            _ = try TenantTokens(json: data)  // a damaged file is refused, not overwritten
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            entries = object?["tokens"] as? [[String: String]] ?? []
        }
        let (token, digest) = TenantTokens.newToken()
        entries.append(["sha256": digest, "tenant": tenant])
        let data = try JSONSerialization.data(withJSONObject: ["tokens": entries], options: [.prettyPrinted, .sortedKeys])
        try BinaryFile.writeAtomically(Array(data) + Array("\n".utf8), to: tokens)
        print(token)
    }
}

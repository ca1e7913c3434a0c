import AgentGantry
import Foundation
import Logging
import MCP

/// AgentGantry as a Model Context Protocol server: an agent that speaks MCP asks it for the right
/// tools among thousands (`find_tools`) and reports what worked (`report_outcome`,
/// `report_wrong_tool`), with no client of ours. `serveStdio(_:)` serves one gantry over
/// standard input and output (`gantry serve --mcp-stdio`); `GantryHTTPServer` serves every
/// tenant's at `/mcp` (streamable HTTP).
public enum GantryMCPServer {
    /// The name and version the server gives clients at initialisation.
    static let name = "agent-gantry"
    static let version = "0.2.0"

    /// Instructions clients may show the model.
    static let instructions = """
        AgentGantry knows the tools registered with it and learns which ones serve which requests. \
        Call find_tools with the user's request to get the few tools that fit, then call one; report \
        how it went with report_outcome, or report_wrong_tool when it could not do the request.
        """

    /// Serves `gantry` over standard input and output until the input ends: only protocol
    /// messages on standard output (`logger` should write to standard error; by default it
    /// says only warnings and errors). Reports are answered once stored. With `upstreams`
    /// (`UpstreamSupervisor`, started here and stopped at the end), `call_tool` calls their tools.
    public static func serveStdio(_ gantry: AgentGantry, upstreams: UpstreamSupervisor? = nil, logger: Logger = quietLogger) async throws {
        await upstreams?.start()
        do {
            try await serve(gantry, toolbox: MCPToolbox(upstreams: upstreams), logger: logger)
        } catch {
            await upstreams?.stop()
            throw error
        }
        await upstreams?.stop()
    }

    private static func serve(_ gantry: AgentGantry, toolbox: MCPToolbox, logger: Logger) async throws {
        let server = await server(on: gantry, toolbox: toolbox)
        let transport = LineTransport(shortcut: ToolCallShortcut(toolbox: toolbox, gantry: gantry), logger: logger)
        try await server.start(transport: transport)
        await server.waitUntilCompleted()
        await transport.drain(within: .seconds(30))
        await server.stop()
    }

    /// The default logger of `serveStdio`: warnings and errors only.
    public static var quietLogger: Logger {
        var logger = Logger(label: "gantry.mcp")
        logger.logLevel = .warning
        return logger
    }

    /// A server (not started) answering `tools/list` and `tools/call` on `gantry`.
    static func server(on gantry: AgentGantry, toolbox: MCPToolbox) async -> Server {
        let server = Server(name: name, version: version, title: "AgentGantry tool router", instructions: instructions,
                            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: toolbox.definitions) }
        await server.withMethodHandler(CallTool.self) { parameters in try await toolbox.call(parameters, on: gantry) }
        return server
    }
}

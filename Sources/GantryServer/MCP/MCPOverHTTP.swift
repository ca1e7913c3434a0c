import AgentGantry
import Foundation
import Hummingbird
import MCP
import NIOCore

/// The Model Context Protocol's streamable HTTP transport at `/mcp` of `gantry serve`, without
/// sessions: every POST is answered on its own (JSON, no event stream) by a server made for it
/// on the caller's tenant (the bearer token names it, as for `/v1`). Why no sessions: our tools
/// send nothing unprompted, so a session would only hold state — the SDK's stateful transport
/// keeps every message of a session for replay, memory that grows as long as an agent runs — and
/// would tie a client to one process, where any of several `gantry serve` behind a balancer can
/// answer a session-less request. A client's `initialize` is answered like any request; GET and
/// DELETE are refused (405), as the protocol allows a server without sessions to. `tools/call`
/// requests are answered by `ToolCallShortcut` after the same checks of the headers.
struct MCPOverHTTP: Sendable {
    /// Exported names found, shared by every request's toolbox.
    private let names = ToolNameResolver()
    private let validation: StandardValidationPipeline

    /// A transport for a server listening on `host`: DNS-rebinding protection (the `Host` and
    /// `Origin` headers must name the loopback) when that is the loopback, none otherwise.
    init(host: String) {
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(host)
        validation = StandardValidationPipeline(validators: [
            loopback ? OriginValidator.localhost() : OriginValidator.disabled,
            AcceptHeaderValidator(mode: .jsonOnly),
            ContentTypeValidator(),
            ProtocolVersionValidator(),
        ])
    }

    /// The answer to `request`, whose body is `body`, on `gantry` (whose declared MCP servers
    /// `upstreams` supervises, if it has some).
    func answer(_ request: Request, body: Data, on gantry: AgentGantry, upstreams: UpstreamSupervisor?) async -> Response {
        let toolbox = MCPToolbox(upstreams: upstreams, names: names)
        var headers = [String: String]()
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let message = MCP.HTTPRequest(method: request.method.rawValue, headers: headers, body: body, path: request.uri.path)
        if let call = ToolCallShortcut.toolCall(in: body) {
            let context = HTTPValidationContext(httpMethod: "POST", sessionID: nil, isInitializationRequest: false,
                                                supportedProtocolVersions: Version.supported)
            if let refusal = validation.validate(message, context: context) { return Self.response(refusal) }
            let answer = await ToolCallShortcut(toolbox: toolbox, gantry: gantry).answer(call)
            return Self.response(.data(answer, headers: ["Content-Type": "application/json"]))
        }
        let transport = StatelessHTTPServerTransport(validationPipeline: validation)
        let server = await GantryMCPServer.server(on: gantry, toolbox: toolbox)
        let answer: MCP.HTTPResponse
        do {
            try await server.start(transport: transport)
            answer = await transport.handleRequest(message)
        } catch {
            answer = .error(statusCode: 500, .internalError("the MCP server did not start: \(error)"))
        }
        await server.stop()
        return Self.response(answer)
    }

    /// `answer` as Hummingbird's response.
    private static func response(_ answer: MCP.HTTPResponse) -> Response {
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let name = HTTPFields.Element.Name(name) { fields[name] = value }
        }
        if case .stream(let events, _) = answer {
            return Response(status: .init(code: answer.statusCode), headers: fields,
                            body: ResponseBody(asyncSequence: events.map { ByteBuffer(bytes: $0) }))
        }
        return Response(status: .init(code: answer.statusCode), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.bodyData ?? Data())))
    }
}

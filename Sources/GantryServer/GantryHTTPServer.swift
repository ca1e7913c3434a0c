import AgentGantry
import Foundation
import GantryEmbed
import Hummingbird
import Logging
import NIOCore

/// AgentGantry over HTTP: the JSON API of `Endpoints` for every tenant of the tokens file, each
/// tenant an isolated gantry of its own (`TenantDirectory`). Every `/v1` request carries
/// `Authorization: Bearer <token>`; `/healthz` and `/readyz` need none. Errors are
/// `{"error": {"code", "message"}}` with a 4xx status for the caller's mistakes. A report is
/// answered once it is stored. `/openapi.json` describes the API (OpenAPI 3.1); `/metrics` is
/// for Prometheus (`ServerMetrics`). SIGTERM (or SIGINT) stops taking connections and ends once the
/// requests under way are answered.
public struct GantryHTTPServer: Sendable {
    let options: ServerOptions
    let tenants: TenantDirectory
    let endpoints: Endpoints
    let limiter: RateLimiter
    let bodies = BodyReader()
    let metrics = ServerMetrics()
    let mcp: MCPOverHTTP
    let logger: Logger

    /// A server of `options` whose gantries embed with `embedder` (one model for every tenant), or
    /// without one with the MiniLM encoder of `options.configuration.modelDirectory`, each tenant
    /// at the precision its store's tools were embedded at (`GANTRY_ENCODER_PRECISION`, when set,
    /// for all; one encoder per precision).
    public init(options: ServerOptions, embedder: (any Embedder)? = nil, logger: Logger = Logger(label: "gantry.serve")) throws(GantryError) {
        guard options.bodyBytes > 0, options.importBytes > 0 else {
            throw .invalidInput("the body limits must be positive")
        }
        self.options = options
        tenants = try TenantDirectory(stores: options.stores, embedder: embedder, configuration: options.configuration, options: options, logger: logger)
        endpoints = Endpoints(jobs: TrainingJobs(metrics: metrics))
        limiter = RateLimiter(options.rateLimit)
        mcp = MCPOverHTTP(host: options.host)
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT; `onListening` gets the port once connections are taken.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let idle = options.idleTimeout.components
        let app = Application(
            router: router(),
            server: .http1(configuration: .init(idleTimeout: TimeAmount.nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))),
            configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: "agent-gantry"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.runService()  // SIGTERM and SIGINT end it gracefully
        await tenants.stopUpstreams()
    }

    /// The routes.
    func router() -> Router<BasicRequestContext> {
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: ErrorAnswers())
        router.get("healthz") { _, _ in Self.json(.object(["status": .string("ok")])) }
        router.get("readyz") { _, _ in Self.json(.object(["status": .string("ready")])) }
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("metrics") { _, _ in
            let text = await self.metrics.exposition(of: await self.tenants.openGantries)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        let endpoints = endpoints
        router.get("v1/tools") { request, _ in try await self.serve(request, "/v1/tools") { _, gantry, _ in await endpoints.tools(on: gantry) } }
        router.post("v1/tools") { request, _ in try await self.serve(request, "/v1/tools") { body, gantry, _ in try await endpoints.register(body, on: gantry) } }
        router.delete("v1/tools/:name") { request, context in
            let name = context.parameters.get("name")?.removingPercentEncoding
            return try await self.serve(request, "/v1/tools/{name}") { _, gantry, _ in
                guard let name, !name.isEmpty else { throw APIError.badRequest("the tool's name in the path is not valid percent-encoded UTF-8") }
                return try await endpoints.remove(name, on: gantry)
            }
        }
        router.post("v1/retrieve") { request, _ in
            try await self.serve(request, "/v1/retrieve") { body, gantry, _ in try await endpoints.retrieve(body, on: gantry) }
        }
        let reports: [(path: String, kind: String, record: @Sendable (Data, AgentGantry) async throws -> JSONValue)] = [
            ("v1/selections", "selection", { try await endpoints.selection($0, on: $1) }),
            ("v1/executions", "execution", { try await endpoints.execution($0, on: $1) }),
            ("v1/feedback", "feedback", { try await endpoints.feedback($0, on: $1) }),
        ]
        for (path, kind, record) in reports {
            router.post(RouterPath(path)) { request, _ in
                try await self.serve(request, "/" + path) { body, gantry, tenant in
                    let answer = try await record(body, gantry)
                    self.metrics.report(kind, tenant: tenant)
                    return answer
                }
            }
        }
        router.post("v1/forget") { request, _ in try await self.serve(request, "/v1/forget") { body, gantry, _ in try await endpoints.forget(body, on: gantry) } }
        router.get("v1/breakers") { request, _ in try await self.serve(request, "/v1/breakers") { _, gantry, _ in await endpoints.breakers(on: gantry) } }
        router.post("v1/train") { request, _ in
            try await self.serve(request, "/v1/train") { body, gantry, tenant in
                if !body.isEmpty { _ = try RequestFields(body, known: []) }  // nothing, or {}
                let job = await endpoints.train(tenant, on: gantry)
                return (.object(["job": .number(Double(job.job)), "state": .string("running")]), job.started ? .accepted : .ok)
            }
        }
        router.get("v1/train/:job") { request, context in
            let job = context.parameters.get("job") ?? ""
            return try await self.serve(request, "/v1/train/{job}") { _, _, tenant in try await endpoints.trainingJob(tenant, job) }
        }
        router.get("v1/events") { request, _ in
            try await self.serve(request, "/v1/events", text: true) { _, gantry, _ in .string(try await gantry.exportEvents(includingRetrievals: true)) }
        }
        router.post("v1/events") { request, _ in
            try await self.serve(request, "/v1/events", bodyLimit: self.options.importBytes) { body, gantry, _ in
                guard let text = String(data: body, encoding: .utf8), !text.allSatisfy(\.isWhitespace) else {
                    throw APIError.badRequest("the body must be an event log: UTF-8 JSON lines, as GET /v1/events gives them")
                }
                return .object(["imported": .number(Double(try await gantry.importEvents(text)))])
            }
        }
        router.post("mcp") { request, _ in
            try await self.serve(request, "/mcp") { body, gantry, tenant in
                await self.mcp.answer(request, body: body, on: gantry, upstreams: try await self.tenants.opened(tenant).upstreams)
            }
        }
        router.get("v1/mcp/servers") { request, _ in
            try await self.serve(request, "/v1/mcp/servers") { _, _, tenant in
                await endpoints.mcpServers(try await self.tenants.opened(tenant).upstreams)
            }
        }
        for (action, enabled) in [("enable", true), ("disable", false)] {
            router.post(RouterPath("v1/mcp/servers/:name/" + action)) { request, context in
                let name = context.parameters.get("name") ?? ""
                return try await self.serve(request, "/v1/mcp/servers/{name}/" + action) { body, _, tenant in
                    if !body.isEmpty { _ = try RequestFields(body, known: []) }  // nothing, or {}
                    return try await endpoints.setMCPServer(name, enabled: enabled, try await self.tenants.opened(tenant).upstreams)
                }
            }
        }
        return router
    }

    /// Answers `request` (to `route`, a template) for its tenant: the token checked, the
    /// tenant's rate limit applied, the body read up to `bodyLimit` bytes, `body` run on the
    /// tenant's gantry; its JSON (or, with `text`, a string sent as JSON lines) with 200, or the
    /// error's answer. Counts it (`ServerMetrics`) and logs the method, route, status, tenant and
    /// time — never a body (queries and user names stay out).
    private func serve(_ request: Request, _ route: String, bodyLimit: Int? = nil, text: Bool = false,
                       _ body: @Sendable (Data, AgentGantry, String) async throws -> JSONValue) async throws -> Response {
        try await serve(request, route, bodyLimit: bodyLimit, text: text) { data, gantry, tenant in (try await body(data, gantry, tenant), .ok) }
    }

    /// `serve(_:_:bodyLimit:text:_:)` whose `body` also gives the status of a success.
    private func serve(_ request: Request, _ route: String, bodyLimit: Int? = nil, text: Bool = false,
                       _ body: @Sendable (Data, AgentGantry, String) async throws -> (JSONValue, HTTPResponse.Status)) async throws -> Response {
        try await serve(request, route, bodyLimit: bodyLimit) { data, gantry, tenant in
            let (result, status) = try await body(data, gantry, tenant)
            if text, case .string(let lines) = result {
                return Response(status: status, headers: [.contentType: "application/x-ndjson"], body: ResponseBody(byteBuffer: ByteBuffer(string: lines)))
            }
            return Self.json(result, status: status)
        }
    }

    /// `serve(_:_:bodyLimit:text:_:)` whose `body` makes the whole response of a success.
    private func serve(_ request: Request, _ route: String, bodyLimit: Int? = nil,
                       _ body: @Sendable (Data, AgentGantry, String) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var tenant = "-"
        let response: Response
        do {
            guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
                  let found = options.tokens.tenant(of: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) else {
                throw APIError(status: .unauthorized, code: "unauthorized", message: "give a token of the tokens file as Authorization: Bearer <token>")
            }
            tenant = found
            if let wait = limiter.admit(tenant) {
                throw APIError(status: .tooManyRequests, code: "rate_limited",
                               message: "more than \(options.rateLimit) requests: wait \(wait) s", retryAfter: wait)
            }
            let data = try await readBody(of: request, limit: bodyLimit ?? options.bodyBytes, within: options.bodyTimeout)
            response = try await body(data, try await tenants.gantry(of: tenant), tenant)
        } catch {
            response = Self.answer(to: error)
        }
        let elapsed = ContinuousClock.now - started
        metrics.request(route: route, status: response.status.code, tenant: tenant, duration: elapsed)
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        logger.info("request", metadata: ["method": "\(request.method)", "route": "\(route)", "status": "\(response.status.code)",
                                          "tenant": "\(tenant)", "ms": "\((milliseconds * 100).rounded() / 100)"])
        return response
    }

    /// The body's bytes, at most `limit` (413 beyond), all within `deadline` (408 after:
    /// `BodyReader`); a body that cannot be read (a malformed chunk) is a 400. GET and HEAD
    /// requests have none.
    private func readBody(of request: Request, limit: Int, within deadline: Duration) async throws -> Data {
        if request.method == .get || request.method == .head { return Data() }
        do {
            guard let buffer = try await bodies.body(of: request, upTo: limit, within: deadline) else {
                throw APIError(status: .requestTimeout, code: "body_timeout", message: "the body did not arrive within \(deadline)")
            }
            return Data(buffer.readableBytesView)
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError(status: .contentTooLarge, code: "body_too_large", message: "the body is over \(limit) bytes")
        } catch {
            throw APIError(status: .badRequest, code: "invalid_body", message: "the body could not be read: \(error)")
        }
    }

    /// `value` as a JSON answer of `status`.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: value.jsonBuffer))
    }

    /// The answer to `error`: an `APIError` as it says, a `GantryError` as `APIError(_:)` maps it,
    /// anything else 500.
    static func answer(to error: any Error) -> Response {
        let api: APIError = switch error {
        case let error as APIError: error
        case let error as GantryError: APIError(error)
        case let error as any HTTPResponseError: APIError(status: error.status, code: "http", message: "\(error)")
        default: APIError(status: .internalServerError, code: "internal", message: "\(error)")
        }
        var response = json(api.body, status: api.status)
        if let wait = api.retryAfter { response.headers[.retryAfter] = "\(wait)" }
        return response
    }
}

import AgentGantry
import Hummingbird

/// Turns what the router itself refuses into the API's JSON errors: a path no route has is a
/// 404, a method a route does not take a 405 naming the ones it does (`Allow`).
struct ErrorAnswers: RouterMiddleware {
    typealias Context = BasicRequestContext

    /// The methods of each path (`{}` a parameter): what a 405 offers.
    static let routes: [(pattern: [String], methods: String)] = [
        (["healthz"], "GET"), (["readyz"], "GET"), (["openapi.json"], "GET"), (["metrics"], "GET"),
        (["v1", "tools"], "GET, POST"), (["v1", "tools", "{}"], "DELETE"), (["v1", "retrieve"], "POST"),
        (["v1", "selections"], "POST"), (["v1", "executions"], "POST"), (["v1", "feedback"], "POST"), (["v1", "forget"], "POST"),
        (["v1", "breakers"], "GET"), (["v1", "train"], "POST"), (["v1", "train", "{}"], "GET"), (["v1", "events"], "GET, POST"),
        (["v1", "mcp", "servers"], "GET"), (["v1", "mcp", "servers", "{}", "enable"], "POST"), (["v1", "mcp", "servers", "{}", "disable"], "POST"),
        (["mcp"], "POST"),
    ]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError where error.status == .notFound {
            let parts = request.uri.path.split(separator: "/").map(String.init)
            if let route = Self.routes.first(where: { $0.pattern.count == parts.count && zip($0.pattern, parts).allSatisfy { $0 == "{}" || $0 == $1 } }) {
                var response = GantryHTTPServer.json(APIError(status: .methodNotAllowed, code: "method_not_allowed",
                                                              message: "\(request.uri.path) takes \(route.methods), not \(request.method)").body,
                                                     status: .methodNotAllowed)
                response.headers[.allow] = route.methods
                return response
            }
            return GantryHTTPServer.json(APIError(status: .notFound, code: "not_found", message: "no endpoint \(request.method) \(request.uri.path)").body,
                                         status: .notFound)
        } catch let error as any HTTPResponseError {
            return GantryHTTPServer.json(APIError(status: error.status, code: "http", message: "\(error.status)").body, status: error.status)
        }
    }
}

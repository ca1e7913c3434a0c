import AgentGantry
import Hummingbird

/// An answer that is not a success: its HTTP status, a stable code a client can branch on, and
/// a message a person can act on. Sent as `{"error": {"code": …, "message": …}}`.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    /// Seconds to wait before asking again (429 and 503), sent as `Retry-After`.
    var retryAfter: Int?

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, code: "invalid_request", message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, code: "not_found", message: message) }

    /// The answer to `error`, thrown by the gantry: the caller's mistakes are 4xx, a store that
    /// cannot be reached 503, the rest 500 (with the message: it names no user data).
    init(_ error: GantryError) {
        switch error {
        case .invalidTool, .invalidInput: self.init(status: .badRequest, code: "invalid_request", message: error.description)
        case .unknownTool: self.init(status: .notFound, code: "unknown_tool", message: error.description)
        case .unknownRetrieval: self.init(status: .notFound, code: "unknown_retrieval", message: error.description)
        case .readOnlyStore: self.init(status: .conflict, code: "read_only_store", message: error.description)
        case .storeUnavailable: self.init(status: .serviceUnavailable, code: "store_unavailable", message: error.description, retryAfter: 5)
        case .store, .embedding, .index, .adapt: self.init(status: .internalServerError, code: "internal", message: error.description)
        }
    }

    init(status: HTTPResponse.Status, code: String, message: String, retryAfter: Int? = nil) {
        (self.status, self.code, self.message, self.retryAfter) = (status, code, message, retryAfter)
    }

    /// The JSON body.
    var body: JSONValue { .object(["error": .object(["code": .string(code), "message": .string(message)])]) }
}

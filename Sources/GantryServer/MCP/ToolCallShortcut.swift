import AgentGantry
import Foundation
import MCP
import NIOCore

/// Answers `tools/call` requests without the SDK's `Server`, which every other message still
/// goes to. Why: the SDK decodes a message through its `Value`, and `Value` tests every string it
/// decodes against a data-URL regex that it builds and compiles anew each time (`Data.isDataURL`
/// in 0.12.1); a `find_tools` request passes through three decodings, and the compilations took
/// 1.2 ms of a call whose retrieval takes 0.25 ms (`Benchmarks/Sources/MCPLatency`, perf). Here
/// the request is read as AgentGantry's `JSONValue` (no regex), handed to the same `MCPToolbox`
/// as the SDK's server would, and the answer written in the SDK's form by our JSON writer
/// (`JSONEncoder` on the SDK's `Value` took another 0.1 ms).
struct ToolCallShortcut: Sendable {
    let toolbox: MCPToolbox
    let gantry: AgentGantry

    /// A `tools/call` request, read.
    struct Call: Sendable {
        /// The request's id (a string or a number), as JSON.
        let id: JSONValue
        fileprivate let params: JSONValue?
    }

    /// `message` read as a `tools/call` request; nil for any other message (a batch, a
    /// notification, another method, or not JSON), which the SDK's server is to answer. Only
    /// messages with `call"` in them are decoded (a byte search first: the method may be written
    /// `tools\/call`).
    static func toolCall(in message: Data) -> Call? {
        guard message.range(of: Data(#"call""#.utf8)) != nil,
              let request = try? JSONDecoder().decode(Request.self, from: message), request.method == "tools/call",
              request.jsonrpc == "2.0" else { return nil }
        switch request.id {
        case .string?, .number?: return Call(id: request.id!, params: request.params)
        default: return nil
        }
    }

    /// The JSON-RPC answer to `call`: the tool's result (as text and as structured content, as
    /// the SDK's server gives it), or a protocol error; written by `JSONValue.writeJSON`.
    func answer(_ call: Call) async -> Data {
        let answer: JSONValue
        do {
            guard case .object(let params)? = call.params, case .string(let name)? = params["name"] else {
                throw MCPError.invalidParams("tools/call needs params with a tool \"name\"")
            }
            var arguments: [String: JSONValue]?
            switch params["arguments"] {
            case nil, .null?: arguments = nil
            case .object(let fields)?: arguments = fields
            default: throw MCPError.invalidParams("tools/call: \"arguments\" must be an object")
            }
            let result: JSONValue = switch try await toolbox.perform(name, arguments, on: gantry) {
            case .result(let value):
                .object(["content": .array([.object(["type": .string("text"), "text": .string(Self.text(value))])]),
                         "structuredContent": value, "isError": .bool(false)])
            case .toolError(let message):
                .object(["content": .array([.object(["type": .string("text"), "text": .string(message)])]), "isError": .bool(true)])
            case .forwarded(let result):
                try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(result))
            }
            answer = .object(["jsonrpc": .string("2.0"), "id": call.id, "result": result])
        } catch let error as MCPError {
            answer = .object(["jsonrpc": .string("2.0"), "id": call.id,
                              "error": .object(["code": .number(Double(error.code)), "message": .string(error.errorDescription ?? "\(error)")])])
        } catch {
            answer = .object(["jsonrpc": .string("2.0"), "id": call.id, "error": .object(["code": .number(-32603), "message": .string("\(error)")])])
        }
        var buffer = answer.jsonBuffer
        return buffer.readData(length: buffer.readableBytes) ?? Data()
    }

    /// `value` as compact JSON text.
    private static func text(_ value: JSONValue) -> String {
        var buffer = value.jsonBuffer
        return buffer.readString(length: buffer.readableBytes) ?? ""
    }

    private struct Request: Decodable {
        let jsonrpc: String
        let id: JSONValue?
        let method: String
        let params: JSONValue?
    }
}

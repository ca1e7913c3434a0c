import Foundation
import MCP
import SystemPackage
import Testing

/// `gantry serve` as an MCP server, driven by the MCP Swift SDK's client: over a real process's
/// stdin and stdout (`--mcp-stdio`), and over HTTP at `/mcp`. (The official Python client drives
/// both transports in `scripts/check-mcp`.)
@Suite("gantry serve over MCP")
struct MCPTests {
    static var tools: [[String: Any]] { ConvergenceTests.tools + [
        ["name": "billing/refund", "description": "Refund a payment to the customer's card.",
         "inputSchema": ["type": "object", "properties": ["payment_id": ["type": "string"]], "required": ["payment_id"]]],
    ] }

    /// A `gantry serve --mcp-stdio` process and an SDK client connected to it.
    final class StdioServer {
        let process: Process
        let client = Client(name: "gantry-tests", version: "1")
        private let input = Pipe(), output = Pipe()

        init(store: String) async throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: gantryBinaryPath())
            process.arguments = ["serve", "--mcp-stdio", "--store", store]
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let transport = StdioTransport(input: FileDescriptor(rawValue: output.fileHandleForReading.fileDescriptor),
                                           output: FileDescriptor(rawValue: input.fileHandleForWriting.fileDescriptor))
            try await client.connect(transport: transport)
        }

        /// Closes the server's input (it ends there) and waits: its exit status.
        func stop() async -> Int32 {
            await client.disconnect()
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// A tool call's answer: its JSON (the text content), and whether it is a tool error (then
    /// `message` is its text).
    static func call(_ client: Client, _ tool: String, _ arguments: [String: Value]) async throws -> (json: [String: Any], isError: Bool, message: String) {
        let (content, isError) = try await client.callTool(name: tool, arguments: arguments)
        guard case .text(let text, _, _)? = content.first else { return ([:], isError ?? false, "") }
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return (json, isError ?? false, text)
    }

    static func names(_ answer: [String: Any]) -> [String] {
        (answer["tools"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    /// The tools, a correction that reorders the next `find_tools`, outcomes under an exported
    /// name that open the breaker another process sees, and mistakes answered as tool errors.
    @Test func stdioFindsToolsAndLearnsFromReports() async throws {
        let (folder, store) = ConvergenceTests.temporaryStore(.sqlite)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try StdioGantry(store: store).send(["op": "register", "tools": Self.tools])

        let server = try await StdioServer(store: store)
        let (listed, _) = try await server.client.listTools()
        #expect(listed.map(\.name) == ["find_tools", "report_outcome", "report_wrong_tool"])
        #expect(listed.allSatisfy { $0.description?.isEmpty == false })

        let query = "stop charging me for the plan"
        let first = try await Self.call(server.client, "find_tools", ["query": .string(query), "limit": 3])
        let ranked = Self.names(first.json)
        #expect(!first.isError && ranked.count == 3, "\(first.message)")
        let retrieval = try #require(first.json["retrieval"] as? String)
        // The tool ranked second is declared the right one: the next retrieval ranks it first.
        let corrected = try await Self.call(server.client, "report_wrong_tool",
                                            ["retrieval": .string(retrieval), "tool": .string(ranked[0]), "correct": .string(ranked[1])])
        #expect(!corrected.isError && corrected.json["recorded"] as? Bool == true, "\(corrected.message)")
        let second = try await Self.call(server.client, "find_tools", ["query": .string(query), "limit": 3])
        #expect(Self.names(second.json).first == ranked[1])

        // The refund tool is offered under a name the providers accept, with its schema; five
        // failures reported under that name open the breaker of `billing/refund`.
        let refund = try await Self.call(server.client, "find_tools", ["query": "give the customer their money back", "limit": 1])
        let offered = try #require((refund.json["tools"] as? [[String: Any]])?.first)
        let exported = try #require(offered["name"] as? String)
        #expect(exported.hasPrefix("billing_refund_") && exported.range(of: "^[A-Za-z0-9_-]{1,64}$", options: .regularExpression) != nil)
        #expect((offered["inputSchema"] as? [String: Any])?["required"] as? [String] == ["payment_id"])
        for _ in 0..<5 {
            let reported = try await Self.call(server.client, "report_outcome",
                                               ["tool": .string(exported), "outcome": "failure", "retrieval": refund.json["retrieval"].map { .string("\($0)") } ?? .null])
            #expect(!reported.isError, "\(reported.message)")
        }

        // Mistakes: tool errors the model can read; an unknown tool is a protocol error.
        let noQuery = try await Self.call(server.client, "find_tools", ["limit": 3])
        #expect(noQuery.isError && noQuery.message.contains("query"))
        let badOutcome = try await Self.call(server.client, "report_outcome", ["tool": "send_email", "outcome": "great"])
        #expect(badOutcome.isError && badOutcome.message.contains("success, failure or timeout"))
        let unknownTool = try await Self.call(server.client, "report_outcome", ["tool": "no_such_tool", "outcome": "success"])
        #expect(unknownTool.isError && unknownTool.message.contains("no_such_tool"))
        let tooMany = try await Self.call(server.client, "find_tools", ["query": "x", "limit": 500])
        #expect(tooMany.isError && tooMany.message.contains("limit"))
        let extra = try await Self.call(server.client, "find_tools", ["query": "x", "colour": "blue"])
        #expect(extra.isError && extra.message.contains("colour"))
        await #expect(throws: MCPError.self) { _ = try await server.client.callTool(name: "delete_everything", arguments: [:]) }
        #expect(await server.stop() == 0)

        // Stored: another process sees the breaker open and the correction.
        let other = try StdioGantry(store: store)
        // Open, or half open once its 30 s cool-down has passed (a loaded machine can take that long).
        let breaker = try other.send(["op": "breaker", "tool": "billing/refund"])["state"] as? String
        #expect(breaker == "open" || breaker == "half_open", "\(breaker ?? "nil")")
        let matches = try other.send(["op": "retrieve", "query": query, "limit": 3])["matches"] as? [[String: Any]]
        #expect(matches?.first?["tool"] as? String == ranked[1])
    }

    /// A client that writes its requests and closes the server's input at once still gets every
    /// answer (calls answered beside the SDK's server and by it, ids of both kinds), and a line
    /// that is not JSON is answered with a parse error, not the end of the server.
    @Test func stdioAnswersEveryRequestBeforeItEnds() throws {
        let (folder, store) = ConvergenceTests.temporaryStore(.sqlite)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try StdioGantry(store: store).send(["op": "register", "tools": Self.tools])
        let started = try startGantry(["serve", "--mcp-stdio", "--store", store], interactive: true)
        let requests = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            "this is not JSON",
            #"{"jsonrpc":"2.0","id":"find","method":"tools\/call","params":{"name":"find_tools","arguments":{"query":"refund a payment","limit":2}}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#,
            #"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"report_outcome","arguments":{"tool":"send_email","outcome":"success"}}}"#,
        ]
        started.input!.fileHandleForWriting.write(Data((requests.joined(separator: "\n") + "\n").utf8))
        try started.input!.fileHandleForWriting.close()
        let (status, output) = started.finish()
        #expect(status == 0)
        let answers = output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        var byID = [String: [String: Any]](), parseErrors = 0
        for answer in answers {
            // The SDK gives a parse error an id of its own making (JSON-RPC says null).
            if (answer["error"] as? [String: Any])?["code"] as? Int == -32700 { parseErrors += 1 } else { byID["\(answer["id"] ?? "none")"] = answer }
        }
        #expect(Set(byID.keys) == ["1", "find", "3", "4"] && parseErrors == 1, "\(output)")
        #expect(((byID["find"]?["result"] as? [String: Any])?["structuredContent"] as? [String: Any])?["tools"] as? [Any] != nil)
        #expect(((byID["3"]?["result"] as? [String: Any])?["tools"] as? [Any])?.count == 3)
        #expect((byID["4"]?["result"] as? [String: Any])?["isError"] as? Bool == false)
    }

    /// Over HTTP each token reaches its own tenant's tools; reports land in its event log under
    /// the tool's own name and `forget` deletes them; no token, no answer.
    @Test func httpServesEachTenantItsOwnTools() async throws {
        let (folder, tokens) = try ServeTests.setUp(tenants: ["acme", "globex"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try ServeTests.serve(folder)
        let acmeTools = Self.tools, globexTools: [[String: Any]] = [["name": "launch_rocket", "description": "Launch a rocket into orbit."]]
        for (tenant, tools) in [("acme", acmeTools), ("globex", globexTools)] {
            let registered = try await server.call("POST", "/v1/tools", token: tokens[tenant], json: ["tools": tools])
            #expect(registered.status == 200)
        }
        for (tenant, count) in [("acme", 3), ("globex", 1)] {
            let client = Client(name: "gantry-tests", version: "1")
            let token = try #require(tokens[tenant])
            try await client.connect(transport: HTTPClientTransport(endpoint: URL(string: server.baseURL + "/mcp")!, streaming: false,
                                                                    requestModifier: { request in
                                                                        var request = request
                                                                        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                                                                        return request
                                                                    }))
            let found = try await Self.call(client, "find_tools", ["query": "send a rocket to space", "limit": 3])
            let names = Self.names(found.json)
            #expect(names.count == count, "\(tenant): \(found.message)")
            #expect(names.contains("launch_rocket") == (tenant == "globex"))
            let used = tenant == "acme" ? "send_email" : "launch_rocket"
            let reported = try await Self.call(client, "report_outcome", ["tool": .string(used), "outcome": "success", "user": "zoe",
                                                                          "retrieval": .string(found.json["retrieval"] as? String ?? "")])
            #expect(!reported.isError, "\(reported.message)")
            await client.disconnect()
            let events = String(decoding: try await server.call("GET", "/v1/events", token: token).body, as: UTF8.self)
            #expect(events.contains("\"tool\":\"\(used)\"") && !events.contains(tenant == "acme" ? "launch_rocket" : "send_email"), "\(events)")
            let forgotten = try await server.call("POST", "/v1/forget", token: token, json: ["user": "zoe"])
            #expect(forgotten.answer?["events_deleted"] as? Int == 1)
        }
        let anonymous = try await server.call("POST", "/mcp", token: nil, json: ["jsonrpc": "2.0", "id": 1, "method": "tools/list"])
        #expect(anonymous.status == 401)
        let get = try await server.call("GET", "/mcp", token: tokens["acme"])
        #expect(get.status == 405)
        #expect(server.stop() == 0)
    }
}

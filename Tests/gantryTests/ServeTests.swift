import Foundation
import Testing

/// `gantry serve` as agents meet it: a real process, real HTTP, tokens made by `gantry token`.
@Suite("gantry serve")
struct ServeTests {
    /// A new folder with a tokens file of `tenants`; their tokens.
    static func setUp(tenants: [String]) throws -> (folder: String, tokens: [String: String]) {
        let folder = NSTemporaryDirectory() + "gantry-serve-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var tokens = [String: String]()
        for tenant in tenants {
            let made = try runGantry(["token", "--tenant", tenant, "--tokens", folder + "/tokens.json"])
            #expect(made.status == 0, "\(made.output)")
            tokens[tenant] = made.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return (folder, tokens)
    }

    static func serve(_ folder: String, _ extra: [String] = []) throws -> ServedGantry {
        try ServedGantry(["--store", folder + "/stores", "--tokens", folder + "/tokens.json"] + extra, log: folder + "/serve.log")
    }

    static var tools: [[String: Any]] { ConvergenceTests.tools }

    /// Tenants' gantries load the encoder when they open, but a precision no encoder has is
    /// refused at start, before the server listens, naming the choices.
    @Test func anUnknownEncoderPrecisionIsRefusedAtStart() throws {
        let (folder, _) = try Self.setUp(tenants: ["a"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let started = try startGantry(["serve", "--store", folder + "/stores", "--tokens", folder + "/tokens.json", "--port", "0"],
                                      environment: ["GANTRY_ENCODER_PRECISION": "fp16"])
        // A server that wrongly starts would never end: stopped after a minute (a safety net, not a measure).
        for _ in 0..<600 where started.process.isRunning { Thread.sleep(forTimeInterval: 0.1) }
        if started.process.isRunning { started.process.terminate() }
        let run = started.finish()
        #expect(run.status != 0 && run.output.contains("fp16") && run.output.contains("bf16"), "\(run.output)")
        #expect(!run.output.contains("listening"))
    }

    /// Two tenants with the same tools and opposite corrections and failures: each one's
    /// ranking, breakers and event log show only its own.
    @Test func tenantsAreIsolated() async throws {
        let (folder, tokens) = try Self.setUp(tenants: ["alpha", "beta"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try Self.serve(folder)
        let (alpha, beta) = (tokens["alpha"]!, tokens["beta"]!)
        for token in [alpha, beta] { #expect(try await server.call("POST", "/v1/tools", token: token, json: ["tools": Self.tools]).status == 200) }
        let query = "stop my plan"
        for (token, correct) in [(alpha, "cancel_subscription"), (beta, "pause_subscription")] {
            let stored = try await server.call("POST", "/v1/feedback", token: token, json: ["query": query, "correct": correct, "team": "ops"])
            #expect(stored.status == 200, "\(stored.answer ?? [:])")
        }
        for _ in 0..<5 { _ = try await server.call("POST", "/v1/executions", token: alpha, json: ["tool": "send_email", "outcome": "failure"]) }
        for (token, correct) in [(alpha, "cancel_subscription"), (beta, "pause_subscription")] {
            let found = try await server.call("POST", "/v1/retrieve", token: token, json: ["query": query, "team": "ops"])
            let first = (found.answer?["matches"] as? [[String: Any]])?.first
            #expect(first?["tool"] as? String == correct && first?["pinned"] as? Bool == true, "\(found.answer ?? [:])")
        }
        let alphaBreakers = try await server.call("GET", "/v1/breakers", token: alpha).answer?["breakers"] as? [String: String]
        let betaBreakers = try await server.call("GET", "/v1/breakers", token: beta).answer?["breakers"] as? [String: String]
        #expect(alphaBreakers == ["send_email": "open"] && betaBreakers == [:])
        // Each log holds its own tenant's feedback and executions only (its retrievals' shortlists
        // name every tool: they are not compared).
        func events(_ token: String) async throws -> [String] {
            let log = try await server.call("GET", "/v1/events", token: token).body
            return try log.split(separator: UInt8(ascii: "\n")).compactMap { line in
                let event = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
                switch event?["kind"] as? String {
                case "feedback": return "feedback \(event?["correct_tool"] ?? "?")"
                case "execution": return "execution \(event?["tool"] ?? "?") \(event?["outcome"] ?? "?")"
                default: return nil
                }
            }
        }
        #expect(try await events(alpha) == ["feedback cancel_subscription"] + Array(repeating: "execution send_email failure", count: 5))
        #expect(try await events(beta) == ["feedback pause_subscription"])
        let metrics = String(decoding: try await server.call("GET", "/metrics", token: nil).body, as: UTF8.self)
        #expect(metrics.contains(#"gantry_breakers{state="open",tenant="alpha"} 1.0"#) && metrics.contains(#"gantry_breakers{state="open",tenant="beta"} 0.0"#),
                "\(metrics)")
        #expect(metrics.contains(#"gantry_reports_total{kind="execution",tenant="alpha"} 5"#) && !metrics.contains(#"kind="execution",tenant="beta""#))
        #expect(FileManager.default.fileExists(atPath: folder + "/stores/alpha.sqlite") && FileManager.default.fileExists(atPath: folder + "/stores/beta.sqlite"))
    }

    /// On PostgreSQL each tenant is a schema of its own (`gantry_<tenant>`, made on first use):
    /// two tenants' tools and corrections stay apart in one database, and outlive the server.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["GANTRY_TEST_POSTGRES_URL"] != nil, "set GANTRY_TEST_POSTGRES_URL"))
    func tenantsOnPostgresAreSchemas() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["GANTRY_TEST_POSTGRES_URL"])
        let suffix = String(UUID().uuidString.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(10))  // a new schema per run
        let (alpha, beta) = ("pa" + suffix, "pb" + suffix)
        let (folder, tokens) = try Self.setUp(tenants: [alpha, beta])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func serve() throws -> ServedGantry {
            try ServedGantry(["--store", url, "--tokens", folder + "/tokens.json"], log: folder + "/serve.log")
        }
        let first = try serve()
        #expect(try await first.call("POST", "/v1/tools", token: tokens[alpha], json: ["tools": Self.tools]).status == 200)
        #expect(try await first.call("POST", "/v1/tools", token: tokens[beta], json: ["tools": Array(Self.tools.prefix(2))]).status == 200)
        let stored = try await first.call("POST", "/v1/feedback", token: tokens[alpha], json: ["query": "stop my plan", "correct": "cancel_subscription"])
        #expect(stored.status == 200, "\(stored.answer ?? [:]) \((try? String(contentsOfFile: folder + "/serve.log", encoding: .utf8)) ?? "")")
        #expect(first.stop() == 0)
        let second = try serve()
        let alphaTools = try await second.call("GET", "/v1/tools", token: tokens[alpha]).answer?["tools"] as? [[String: Any]]
        let betaTools = try await second.call("GET", "/v1/tools", token: tokens[beta]).answer?["tools"] as? [[String: Any]]
        #expect(alphaTools?.count == Self.tools.count && betaTools?.count == 2)
        let found = try await second.call("POST", "/v1/retrieve", token: tokens[alpha], json: ["query": "stop my plan"])
        let top = (found.answer?["matches"] as? [[String: Any]])?.first
        #expect(top?["tool"] as? String == "cancel_subscription" && top?["pinned"] as? Bool == true, "\(found.answer ?? [:])")
    }

    /// Every kind of bad request gets a 4xx with a code and a message, and the server goes on.
    @Test func badRequestsGetA4xxWithAMessage() async throws {
        let (folder, tokens) = try Self.setUp(tenants: ["acme"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try Self.serve(folder, ["--body-limit-kib", "4"])
        let token = tokens["acme"]!
        #expect(try await server.call("POST", "/v1/tools", token: token, json: ["tools": Self.tools]).status == 200)
        let id = try await server.call("POST", "/v1/retrieve", token: token, json: ["query": "email a customer"]).answer?["retrieval"] as? String
        let cases: [(method: String, path: String, token: String?, json: Any?, raw: Data?, status: Int, code: String)] = [
            ("POST", "/v1/retrieve", nil, ["query": "x"], nil, 401, "unauthorized"),
            ("POST", "/v1/retrieve", "gt_not_a_token", ["query": "x"], nil, 401, "unauthorized"),
            ("POST", "/v1/retrieve", token, nil, Data("{\"query\": ".utf8), 400, "invalid_request"),
            ("POST", "/v1/retrieve", token, nil, Data("[1, 2]".utf8), 400, "invalid_request"),
            ("POST", "/v1/retrieve", token, ["query": "x", "limit": "five"], nil, 400, "invalid_request"),
            ("POST", "/v1/retrieve", token, ["query": "x", "limt": 3], nil, 400, "invalid_request"),
            ("POST", "/v1/retrieve", token, ["query": "x", "limit": 1_000], nil, 400, "invalid_request"),
            ("POST", "/v1/retrieve", token, ["query": String(repeating: "long ", count: 2_000)], nil, 413, "body_too_large"),
            ("POST", "/v1/retrieve", token, ["query": "   "], nil, 400, "invalid_request"),
            ("POST", "/v1/tools", token, ["tools": []], nil, 400, "invalid_request"),
            ("POST", "/v1/tools", token, ["tools": [["name": "x"]]], nil, 400, "invalid_request"),
            ("POST", "/v1/executions", token, ["tool": "no_such_tool", "outcome": "success"], nil, 404, "unknown_tool"),
            ("POST", "/v1/executions", token, ["tool": "send_email", "outcome": "exploded"], nil, 400, "invalid_request"),
            ("POST", "/v1/executions", token, ["tool": "send_email", "outcome": "wrong_tool"], nil, 400, "invalid_request"),
            ("POST", "/v1/executions", token, ["tool": "send_email", "outcome": "success", "latency_ms": -3], nil, 400, "invalid_request"),
            ("POST", "/v1/selections", token, ["retrieval": "not-an-id", "tool": "send_email"], nil, 400, "invalid_request"),
            ("POST", "/v1/feedback", token, ["retrieval": "00000000ffffffff", "correct": "send_email"], nil, 404, "unknown_retrieval"),
            ("POST", "/v1/feedback", token, ["retrieval": id ?? "", "query": "both", "correct": "send_email"], nil, 400, "invalid_request"),
            ("DELETE", "/v1/tools/no_such_tool", token, nil, nil, 404, "unknown_tool"),
            ("GET", "/v1/train/77", token, nil, nil, 404, "not_found"),
            ("GET", "/v1/nothing", token, nil, nil, 404, "not_found"),
        ]
        for bad in cases {
            let answer = try await server.call(bad.method, bad.path, token: bad.token, json: bad.json, raw: bad.raw)
            let error = answer.answer?["error"] as? [String: Any]
            #expect(answer.status == bad.status && error?["code"] as? String == bad.code && !((error?["message"] as? String) ?? "").isEmpty,
                    "\(bad.method) \(bad.path) \(bad.json ?? "raw"): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        }
        #expect(try await server.call("POST", "/v1/selections", token: token, json: ["retrieval": id ?? "", "tool": "send_email"]).status == 200)
        #expect(try await server.call("GET", "/healthz", token: nil).status == 200)
        #expect(server.process.isRunning)
    }

    /// A tool's provider name never answers for two tools: a registration that would make one
    /// name two tools is refused (409), and a name registered now is always itself, also after
    /// the tool once exported under it is gone (a cache of exported names must not outlive them).
    @Test func providerNamesNeverNameTwoTools() async throws {
        let (folder, tokens) = try Self.setUp(tenants: ["acme"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try Self.serve(folder), token = tokens["acme"]!
        let dotted: [String: Any] = ["name": "ship.order", "description": "Ship a customer's order by courier"]
        #expect(try await server.call("POST", "/v1/tools", token: token, json: ["tools": Self.tools + [dotted]]).status == 200)
        let listed = try await server.call("GET", "/v1/tools", token: token).answer?["tools"] as? [[String: Any]] ?? []
        let exported = try #require(listed.first { $0["name"] as? String == "ship.order" }?["exported_name"] as? String)
        #expect(exported != "ship.order" && exported.range(of: "^[A-Za-z0-9_-]{1,64}$", options: .regularExpression) != nil)
        let clash = try await server.call("POST", "/v1/tools", token: token, json: ["tools": [["name": exported, "description": "Another tool"]]])
        #expect(clash.status == 409 && (clash.answer?["error"] as? [String: Any])?["code"] as? String == "name_clash", "\(clash.answer ?? [:])")
        #expect(try await server.call("POST", "/v1/executions", token: token, json: ["tool": exported, "outcome": "success"]).status == 200)
        #expect(try await server.call("DELETE", "/v1/tools/ship.order", token: token).status == 200)
        let gone = try await server.call("POST", "/v1/executions", token: token, json: ["tool": exported, "outcome": "success"])
        #expect(gone.status == 404, "\(gone.answer ?? [:])")
        #expect(try await server.call("POST", "/v1/tools", token: token, json: ["tools": [["name": exported, "description": "Now a tool of its own"]]]).status == 200)
        for _ in 0..<5 { #expect(try await server.call("POST", "/v1/executions", token: token, json: ["tool": exported, "outcome": "failure"]).status == 200) }
        let breakers = try await server.call("GET", "/v1/breakers", token: token).answer?["breakers"] as? [String: String]
        #expect(breakers == [exported: "open"], "\(breakers ?? [:])")
        #expect(try await server.call("DELETE", "/v1/tools/\(exported)", token: token).status == 200)
        let left = try await server.call("GET", "/v1/tools", token: token).answer?["tools"] as? [[String: Any]]
        #expect(left?.count == Self.tools.count)
    }

    /// What HTTP itself can carry wrongly: a malformed chunked body (400), a body that trickles in
    /// slower than the deadline (408), a HEAD request (answered as the GET).
    @Test func brokenTransfersGetA4xx() async throws {
        let (folder, tokens) = try Self.setUp(tenants: ["acme"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try Self.serve(folder, ["--body-timeout", "1"]), token = tokens["acme"]!
        let port = try #require(server.baseURL.split(separator: ":").last)
        // Raw requests over a socket (URLSession would fix them up), each printing the status line.
        let script = """
            import socket, sys, time
            def ask(head, body_parts, pause=0):
                s = socket.create_connection(("127.0.0.1", \(port)))
                s.sendall(head.encode())
                for part in body_parts:
                    s.sendall(part.encode()); time.sleep(pause)
                s.settimeout(30)
                print(s.recv(4096).decode(errors="replace").split("\\r\\n")[0])
                s.close()
            auth = "Authorization: Bearer \(token)\\r\\n"
            ask("POST /v1/retrieve HTTP/1.1\\r\\nHost: x\\r\\n" + auth + "Transfer-Encoding: chunked\\r\\n\\r\\n", ["zz\\r\\nabc\\r\\n0\\r\\n\\r\\n"])
            ask("POST /v1/retrieve HTTP/1.1\\r\\nHost: x\\r\\n" + auth + "Content-Length: 100\\r\\n\\r\\n", ["{", " ", " "], pause=0.7)
            ask("HEAD /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n", [])
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let output = Pipe()
        (process.standardOutput, process.standardError) = (output, output)
        try process.run()
        let lines = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
        process.waitUntilExit()
        #expect(lines.count == 3 && lines[0].contains(" 400") && lines[1].contains(" 408") && lines[2].contains(" 200"), "\(lines)")
        #expect(try await server.call("GET", "/healthz", token: nil).status == 200)
    }

    /// Reports are stored before they are answered: after SIGTERM (a clean exit) a new server on
    /// the same stores has the tools and the reports, linked to their retrieval.
    @Test func reportsOutliveTheServer() async throws {
        let (folder, tokens) = try Self.setUp(tenants: ["acme"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let token = tokens["acme"]!
        let first = try Self.serve(folder)
        #expect(try await first.call("POST", "/v1/tools", token: token, json: ["tools": Self.tools]).status == 200)
        let found = try await first.call("POST", "/v1/retrieve", token: token, json: ["query": "message the team channel", "limit": 2])
        let id = try #require(found.answer?["retrieval"] as? String)
        #expect(try await first.call("POST", "/v1/executions", token: token,
                                     json: ["retrieval": id, "tool": "slack_notify", "outcome": "success", "latency_ms": 40]).status == 200)
        #expect(first.stop() == 0)
        let second = try Self.serve(folder)
        let tools = try await second.call("GET", "/v1/tools", token: token).answer?["tools"] as? [[String: Any]]
        #expect(tools?.count == Self.tools.count)
        let log = String(decoding: try await second.call("GET", "/v1/events", token: token).body, as: UTF8.self)
        #expect(log.split(separator: "\n").contains { $0.contains("slack_notify") && $0.contains(id) }, "\(log)")
    }

    /// Training runs as a job: 202 with its number, then its state until it ends.
    @Test func trainingRunsAsAJob() async throws {
        let (folder, tokens) = try Self.setUp(tenants: ["acme"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try Self.serve(folder), token = tokens["acme"]!
        #expect(try await server.call("POST", "/v1/tools", token: token, json: ["tools": Self.tools]).status == 200)
        _ = try await server.call("POST", "/v1/feedback", token: token, json: ["query": "stop my plan", "correct": "cancel_subscription"])
        let started = try await server.call("POST", "/v1/train", token: token)
        #expect(started.status == 202)
        let job = try #require(started.answer?["job"] as? Int)
        var state: [String: Any]? = nil
        for _ in 0..<600 {
            state = try await server.call("GET", "/v1/train/\(job)", token: token).answer
            if state?["state"] as? String != "running" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(state?["state"] as? String == "finished" && state?["applied"] as? Bool == false && (state?["reason"] as? String)?.isEmpty == false,
                "\(state ?? [:])")
    }

    /// Past the tenant's requests: 429 with Retry-After; other tenants are not slowed. (One an
    /// hour: however slowly a loaded machine runs the test, no token comes back meanwhile.)
    @Test func theRateLimitIsPerTenant() async throws {
        let (folder, tokens) = try Self.setUp(tenants: ["acme", "other"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try Self.serve(folder, ["--rate-limit", "1/h"])
        #expect(try await server.call("GET", "/v1/tools", token: tokens["acme"]).status == 200)
        let refused = try await server.call("GET", "/v1/tools", token: tokens["acme"])
        #expect(refused.status == 429 && (refused.answer?["error"] as? [String: Any])?["code"] as? String == "rate_limited",
                "\(refused.status) \(String(decoding: refused.body, as: UTF8.self))")
        let retryAfter = refused.headers.first { ($0.key as? String)?.lowercased() == "retry-after" }?.value as? String
        #expect(Int(retryAfter ?? "") ?? 0 >= 1, "\(refused.headers)")
        #expect(try await server.call("GET", "/v1/tools", token: tokens["other"]).status == 200)
    }

    /// The Python client of `examples/python` (standard library only) against a live server.
    @Test func thePythonClientWorks() async throws {
        let (folder, tokens) = try Self.setUp(tenants: ["acme"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try Self.serve(folder)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/python/gantry_client.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, server.baseURL, tokens["acme"]!]
        let output = Pipe()
        (process.standardOutput, process.standardError) = (output, output)
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        let result = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(result?["top"] as? String == "billing/refund" && result?["exported"] as? String != "billing/refund", "\(text)")
    }
}

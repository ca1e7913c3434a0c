import Foundation

/// A `gantry stdio` process on a store: requests go to its stdin as JSON lines, answers come
/// back one line each. A real process with its own `AgentGantry`, as a serving worker would be.
final class StdioGantry {
    let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private var buffer = Data()

    /// Starts `gantry stdio --store store` and waits for its "ready" line.
    init(store: String, followMilliseconds: Int = 50) throws {
        let started = try startGantry(["stdio", "--store", store, "--follow-ms", String(followMilliseconds)], interactive: true)
        process = started.process
        input = started.input!.fileHandleForWriting
        output = started.pipe.fileHandleForReading
        let ready = try readAnswer()
        guard ready["ready"] as? Bool == true else { throw StdioError.failed("not ready: \(ready)") }
    }

    deinit {
        try? input.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    enum StdioError: Error {
        case failed(String)
    }

    /// Sends one request and returns its answer; throws when the answer is not "ok".
    @discardableResult
    func send(_ request: [String: Any]) throws -> [String: Any] {
        try write(request)
        let answer = try readAnswer()
        guard answer["ok"] as? Bool == true else { throw StdioError.failed("\(request["op"] ?? "?"): \(answer["error"] ?? answer)") }
        return answer
    }

    /// Writes a request without reading its answer (`readAnswer()` reads them in order), so that
    /// several processes work at once.
    func write(_ request: [String: Any]) throws {
        input.write(try JSONSerialization.data(withJSONObject: request) + Data("\n".utf8))
    }

    /// The next answer line.
    func readAnswer() throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                    throw StdioError.failed("not an object: \(String(decoding: line, as: UTF8.self))")
                }
                return object
            }
            let chunk = output.availableData
            guard !chunk.isEmpty else { throw StdioError.failed("gantry stdio ended (status \(process.isRunning ? -1 : process.terminationStatus))") }
            buffer += chunk
        }
    }

    /// The registered tools' names.
    func tools() throws -> [String] {
        try send(["op": "tools"])["tools"] as? [String] ?? []
    }

    /// The matches of `query`, in order: each one's tool, score, pinned, breaker and signals.
    func retrieve(_ query: String, limit: Int = 5, team: String? = nil) throws -> [[String: Any]] {
        var request: [String: Any] = ["op": "retrieve", "query": query, "limit": limit]
        if let team { request["team"] = team }
        return try send(request)["matches"] as? [[String: Any]] ?? []
    }

    /// The breaker state of `tool`: closed, open or half_open.
    func breaker(_ tool: String) throws -> String {
        try send(["op": "breaker", "tool": tool])["state"] as? String ?? "?"
    }
}

/// Polls `condition` every 20 ms until it holds or 30 s have passed; returns whether it held.
/// (Convergence is asserted, never timed: the bound is generous so a slow machine passes.)
func eventually(_ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return try condition()
}

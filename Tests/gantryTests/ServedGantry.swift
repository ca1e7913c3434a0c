import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A `gantry serve` process on a free port, called over real HTTP (URLSession): what an agent
/// written in any language sees.
final class ServedGantry: @unchecked Sendable {
    let process: Process
    let baseURL: String
    /// Where its standard error (the request log) goes.
    let log: String

    enum ServeError: Error {
        case failed(String)
    }

    /// Starts `gantry serve --port 0` with `arguments` and waits for its "listening on" line.
    init(_ arguments: [String], log: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gantryBinaryPath())
        process.arguments = ["serve", "--port", "0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GANTRY_STORE_URL"] = nil
        process.environment = environment
        let output = Pipe()
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        var text = ""
        while !text.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                process.waitUntilExit()
                throw ServeError.failed("gantry serve ended with status \(process.terminationStatus): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = text.range(of: #"http://[0-9.]+:[0-9]+"#, options: .regularExpression) else { throw ServeError.failed("no address in \(text)") }
        (self.process, baseURL, self.log) = (process, String(text[range]), log)
    }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Sends SIGTERM and waits: the exit status.
    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// One request: its status, its JSON answer (nil when the body is not a JSON object) and its
    /// headers. `json` is sent as JSON; `raw` as it is.
    func call(_ method: String, _ path: String, token: String?, json: Any? = nil, raw: Data? = nil) async throws
        -> (status: Int, answer: [String: Any]?, body: Data, headers: [AnyHashable: Any]) {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json { request.httpBody = try JSONSerialization.data(withJSONObject: json) }
        if let raw { request.httpBody = raw }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return (http.statusCode, try? JSONSerialization.jsonObject(with: data) as? [String: Any], data, http.allHeaderFields)
    }
}

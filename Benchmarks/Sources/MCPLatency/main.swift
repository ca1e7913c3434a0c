// find_tools through `gantry serve --mcp-stdio` against the same retrieval through the Swift API,
// side by side on one store, the encoder excluded (every query is asked once first, unrecorded,
// so later calls find its vector in each process's query cache).
//
//   MCPLatency --gantry PATH --metatool DIR --toollens DIR [--tools 10000] [--rounds 3] [--store FILE]
//
// The recombined catalogue of BenchmarkCatalogue (`--tools` tools, MiniLM) is registered into a
// SQLite store by this process; a `gantry serve --mcp-stdio` process (give a release build) opens
// the same store, and a minimal MCP client (JSON-RPC lines over the pipes, a blocking read for each
// answer: no client library's own costs in the figure) calls its find_tools. Each of
// the 2,000 metatool test queries is asked of both, alternating (each first for half of them),
// `--rounds` times, the first round a warm-up. Prints one JSON object: p50/p99 of both, the p50
// difference, and the load average before and after.
import AgentGantry
import BenchmarkCatalogue
import Foundation
import GantryEmbed

func text(_ name: String) -> String? {
    CommandLine.arguments.firstIndex(of: "--" + name).flatMap { $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

extension Duration {
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}

guard let gantryPath = text("gantry"), let metatool = text("metatool"), let toollens = text("toollens") else {
    FileHandle.standardError.write(Data("usage: MCPLatency --gantry PATH --metatool DIR --toollens DIR [--tools N] [--rounds R] [--store FILE]\n".utf8))
    exit(64)
}
let count = text("tools").flatMap(Int.init) ?? 10_000, rounds = text("rounds").flatMap(Int.init) ?? 3
let store = text("store") ?? NSTemporaryDirectory() + "mcp-latency-\(count).sqlite"

let catalogue = try RecombinedCatalogue(metatool: metatool, toollens: toollens, count: count)
let tools = catalogue.tools.map { Tool(name: String($0.name.map { $0.isWhitespace ? "_" : $0 }), description: $0.description) }
var configuration = GantryConfiguration(storePath: store)
let clock = ContinuousClock()
let gantry = try await AgentGantry(configuration: configuration)
if await gantry.tools.count != tools.count {
    let start = clock.now
    try await gantry.register(tools)
    FileHandle.standardError.write(Data("registered \(tools.count) tools in \((clock.now - start).milliseconds / 1000) s\n".utf8))
}

let server = Process(), toServer = Pipe(), fromServer = Pipe()
server.executableURL = URL(fileURLWithPath: gantryPath)
server.arguments = ["serve", "--mcp-stdio", "--store", store]
(server.standardInput, server.standardOutput) = (toServer, fromServer)
try server.run()
/// One JSON-RPC request line to the server and its answer line (nothing else is in flight).
final class LineClient {
    let input: FileHandle, output: FileHandle
    var buffer = Data(), next = 1

    init(input: FileHandle, output: FileHandle) { (self.input, self.output) = (input, output) }

    func request(_ method: String, _ params: [String: Any]) throws -> [String: Any] {
        defer { next += 1 }
        try send(["jsonrpc": "2.0", "id": next, "method": method, "params": params])
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer = Data(buffer[(newline + 1)...])
                guard let answer = try JSONSerialization.jsonObject(with: line) as? [String: Any], answer["id"] as? Int == next,
                      let result = answer["result"] as? [String: Any] else { fatalError("unexpected answer: \(String(decoding: line, as: UTF8.self))") }
                return result
            }
            let chunk = output.availableData
            guard !chunk.isEmpty else { fatalError("the server ended") }
            buffer += chunk
        }
    }

    func send(_ message: [String: Any]) throws {
        input.write(try JSONSerialization.data(withJSONObject: message) + Data("\n".utf8))
    }
}
let client = LineClient(input: toServer.fileHandleForWriting, output: fromServer.fileHandleForReading)
_ = try client.request("initialize", ["protocolVersion": "2025-11-25", "capabilities": [String: Any](), "clientInfo": ["name": "mcp-latency", "version": "1"]])
try client.send(["jsonrpc": "2.0", "method": "notifications/initialized"])

var swift = [Double](), mcp = [Double]()
let loadBefore = loadAverage()
for round in 0..<(rounds + 1) {
    for (i, query) in catalogue.queries.enumerated() {
        for viaMCP in i.isMultiple(of: 2) ? [true, false] : [false, true] {
            let start = clock.now
            if viaMCP {
                let result = try client.request("tools/call", ["name": "find_tools", "arguments": ["query": query, "limit": 5]])
                guard result["isError"] as? Bool == false else { fatalError("find_tools failed: \(result)") }
            } else {
                _ = try await gantry.retrieveTools(query, limit: 5)
            }
            let elapsed = (clock.now - start).milliseconds
            if round > 0 { if viaMCP { mcp.append(elapsed) } else { swift.append(elapsed) } }
        }
    }
}
try toServer.fileHandleForWriting.close()
server.waitUntilExit()

let result: [String: Any] = [
    "tools": count, "queries": catalogue.queries.count, "calls_each": swift.count,
    "swift_p50_ms": percentile(swift, 0.5), "swift_p99_ms": percentile(swift, 0.99),
    "mcp_stdio_p50_ms": percentile(mcp, 0.5), "mcp_stdio_p99_ms": percentile(mcp, 0.99),
    "mcp_minus_swift_p50_ms": percentile(mcp, 0.5) - percentile(swift, 0.5),
    "load_before": loadBefore, "load_after": loadAverage(),
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))

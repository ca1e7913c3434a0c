// How long a store of many tools takes to open (issue "Many processes, one learning state",
// item 5: reopen a 100k-tool store in ≤ 2 s with a warm page cache). Registers --tools synthetic
// tools into a new store file in one process, then opens the store again --opens times, each
// open a new AgentGantry in this process (the page cache is warm: the file was just written).
// With --keep FOLDER the store is made there once and reused by later runs.
//
//   Reopen [--tools 100000] [--opens 3] [--keep FOLDER]
//
// Tools are seeded synthetic 384-d vectors served by a PrecomputedEmbedder. Prints one JSON
// object: registration seconds, each open's seconds, the files' sizes, the load average, the cores and
// the SIMD level the kernels run at.
import AgentGantry
import Foundation
import GantryEmbed
import GantryIndex
import GantryMath

func option(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: "--" + name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

let toolCount = option("tools").flatMap(Int.init) ?? 100_000, opens = option("opens").flatMap(Int.init) ?? 3
let dimension = 384
let data = SyntheticEmbeddings.clustered(count: toolCount, dimension: dimension, clusters: max(10, toolCount / 20), seed: 7)
let tools = (0..<toolCount).map { Tool(name: "tool_\($0)", description: "synthetic tool \($0)") }
let embedder = try PrecomputedEmbedder(texts: tools.map(\.embeddingText), vectors: data, modelIdentity: "synthetic")

let folder: String = option("keep") ?? NSTemporaryDirectory() + "gantry-reopen-\(UUID().uuidString)"
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { if option("keep") == nil { try? FileManager.default.removeItem(atPath: folder) } }
var configuration = GantryConfiguration(storePath: folder + "/gantry.sqlite")
configuration.followInterval = nil
let clock = ContinuousClock()
func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18 }

var report: [String: Any] = ["tools": toolCount, "loadAverageAtStart": loadAverage(), "simd": "\(SIMDKernels.activeLevel)",
                             "cores": ProcessInfo.processInfo.activeProcessorCount]
if !FileManager.default.fileExists(atPath: configuration.storePath!) {
    let start = clock.now
    let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
    try await gantry.register(tools)
    report["registerSeconds"] = seconds(clock.now - start)
}
var openSeconds = [Double]()
for _ in 0..<opens {
    let start = clock.now
    let gantry = try await AgentGantry(configuration: configuration, embedder: embedder)
    openSeconds.append(seconds(clock.now - start))
    let found = try await gantry.retrieveTools(tools[7].embeddingText, limit: 1).first?.tool.name
    precondition(found == "tool_7", "the reopened store answered \(found ?? "nothing") for tool_7's own text")
}
report["openSeconds"] = openSeconds
report["files"] = Dictionary(uniqueKeysWithValues: (try FileManager.default.contentsOfDirectory(atPath: folder)).map {
    ($0, (try? FileManager.default.attributesOfItem(atPath: folder + "/" + $0)[.size] as? Int) ?? 0)
})
report["loadAverageAtEnd"] = loadAverage()
let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
print(String(decoding: json, as: UTF8.self))

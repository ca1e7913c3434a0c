// Lexical retrieval speed: a 10,000-tool catalogue made by a seeded recombination of the metatool
// and toollens tool texts (each tool a base tool's name with a suffix, its description followed by
// the first words of another's), 2,000 metatool test queries, `LexicalIndex.search(k: 10)` on one
// thread. Prints build time and µs per query (median of 5 passes), as built and after
// `prepareForSearch()` (what the facade serves); `--write DIR` also writes the
// catalogue and queries as JSON lines for the Python side (Benchmarks/compare/lexical_compare.py);
// `--simd generic|avx2|avx512` runs the kernels of that instruction set (as a CPU without the
// wider ones would).
//
//   cd Benchmarks && swift run -c release LexicalBench --metatool DIR --toollens DIR [--tools 10000] [--write DIR] [--simd LEVEL]
import BenchmarkCatalogue
import Foundation
import GantryEval
import GantryIndex
import GantryMath

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    arguments.firstIndex(of: "--" + name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
guard let metatoolFolder = option("metatool"), let toollensFolder = option("toollens") else {
    FileHandle.standardError.write(Data("usage: LexicalBench --metatool DIR --toollens DIR [--tools 10000] [--write DIR]\n".utf8))
    exit(64)
}
if let level = option("simd") {
    let levels: [String: SIMDLevel] = ["generic": .sse, "avx2": .avx2, "avx512": .avx512]
    guard let chosen = levels[level], SIMDKernels.select(chosen) else {
        FileHandle.standardError.write(Data("--simd: one of generic, avx2, avx512 that this CPU runs, not \(level)\n".utf8))
        exit(64)
    }
}
let toolCount = Int(option("tools") ?? "10000")!
let recombined = try RecombinedCatalogue(metatool: metatoolFolder, toollens: toollensFolder, count: toolCount)
let catalogue = recombined.tools.map { (name: $0.name, text: $0.text) }
let queries = recombined.queries

if let folder = option("write") {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    func lines(_ objects: [[String: String]]) throws -> String {
        try objects.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
            .joined(separator: "\n") + "\n"
    }
    try lines(catalogue.map { ["name": $0.name, "text": $0.text] }).write(toFile: folder + "/catalogue.jsonl", atomically: true, encoding: .utf8)
    try lines(queries.map { ["text": $0] }).write(toFile: folder + "/queries.jsonl", atomically: true, encoding: .utf8)
}

let clock = ContinuousClock()
var index = try LexicalIndex(fields: [LexicalField(name: "text")])
let buildStart = clock.now
for (i, tool) in catalogue.enumerated() { try index.add([tool.text], id: .number(Int64(i))) }
let build = clock.now - buildStart
/// µs per query of `index.search(k: 10)` over the queries: the median, fastest and slowest of 5 passes.
func microsecondsPerQuery(_ index: LexicalIndex) throws -> [Double] {
    var passes = [Double]()
    for _ in 0..<5 {
        let start = clock.now
        for query in queries { _ = try index.search(query, k: 10) }
        passes.append((clock.now - start).seconds * 1e6 / Double(queries.count))
    }
    return passes.sorted()
}
let passes = try microsecondsPerQuery(index)
let prepareStart = clock.now
index.prepareForSearch()
let prepare = clock.now - prepareStart
let prepared = try microsecondsPerQuery(index)
let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
print("\(SIMDKernels.activeLevel) kernels, \(toolCount) tools, \(index.termCount) terms, built in \(build); \(queries.count) queries, k 10, 1 thread: "
      + String(format: "%.1f µs per query (median of 5 passes; fastest %.1f, slowest %.1f); ", passes[2], passes[0], passes[4])
      + String(format: "prepared (in %@): %.1f µs (fastest %.1f, slowest %.1f); load %@", "\(prepare)", prepared[2], prepared[0], prepared[4], load))

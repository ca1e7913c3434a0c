// Our side of the encoder comparison (Benchmarks/compare/run-encoder-compare.sh).
//
//   EncoderCompare --texts texts.json --threads T [--batches 1,32] [--seconds 3]
//       texts.json: {"set name": [text, …], …}. For every set and batch size: one warm-up pass,
//       then whole passes over the set for at least --seconds; prints one JSON line with
//       sentences/s, tokens/s, GFLOP/s and resident memory (after loading, peak).
import Foundation
import GantryEmbed
import GantryMath

func value(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: "--" + name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

func statusKilobytes(_ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
    return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

let sets = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: value("texts")!))) as! [String: [String]]
let threads = Int(value("threads") ?? "1")!
let batches = (value("batches") ?? "1,32").split(separator: ",").map { Int($0)! }
let budget = Double(value("seconds") ?? "3")!
try BLAS.setThreadCount(threads)
let kernels = try BLAS.status().coreName ?? "?"

let startRSS = statusKilobytes("VmRSS")
for batch in batches {
    let encoder = try MiniLMEncoder(batchSize: batch)
    let loadedRSS = statusKilobytes("VmRSS")
    for (name, texts) in sets.sorted(by: { $0.key < $1.key }) {
        let counts = texts.map { encoder.tokenize($0).count }
        _ = try encoder.embed(texts)
        var passes = 0
        let start = now()
        repeat {
            _ = try encoder.embed(texts)
            passes += 1
        } while now() - start < budget
        let elapsed = now() - start
        let sentences = Double(passes * texts.count) / elapsed
        let fields: [String: Any] = [
            "library": "AgentGantry", "set": name, "batch": batch, "threads": threads, "texts": texts.count,
            "mean_tokens": Double(counts.reduce(0, +)) / Double(counts.count),
            "sentences_per_second": sentences,
            "tokens_per_second": sentences * Double(counts.reduce(0, +)) / Double(texts.count),
            "gflops": Double(passes) * MiniLMEncoder.flops(tokenCounts: counts) / elapsed / 1e9,
            "rss_start_mb": Double(startRSS) / 1024, "rss_loaded_mb": Double(loadedRSS) / 1024,
            "rss_peak_mb": Double(statusKilobytes("VmHWM")) / 1024, "blas_kernels": kernels,
        ]
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        fflush(nil)
    }
}

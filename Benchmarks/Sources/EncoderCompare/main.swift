// Our side of the encoder comparison (Benchmarks/compare/run-encoder-compare.sh).
//
//   EncoderCompare --texts texts.json --threads T [--batches 1,32] [--seconds 3] [--precisions fp32,bf16]
//       texts.json: {"set name": [text, …], …}. For every weight precision, set and batch size:
//       one warm-up pass, then whole passes over the set for at least --seconds; prints one JSON
//       line with sentences/s, tokens/s, GFLOP/s and resident memory (at the start, after
//       loading, at the peak, and after the passes: anonymous and file-backed).
//   EncoderCompare --texts texts.json --parity [--precisions bf16,int8]
//       For every other precision (default bf16) and set: each text embedded with float weights
//       and at that precision; prints one JSON line with the lowest and the mean cosine between
//       the two, the text of the lowest, and how many fall below 0.999 (the gate of a default).
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

func listedPrecisions(default names: String) -> [TransformerKernels.WeightPrecision] {
    (value("precisions") ?? names).split(separator: ",").map { TransformerKernels.WeightPrecision(rawValue: String($0))! }
}

if CommandLine.arguments.contains("--parity") {
    let float32 = try MiniLMEncoder(precision: .float32)
    for precision in listedPrecisions(default: "bf16") where precision != .float32 {
        let loading = now()
        let other = try MiniLMEncoder(precision: precision)
        print("{\"precision\": \"\(precision.rawValue)\", \"load_seconds\": \(now() - loading)}")
        for (name, texts) in sets.sorted(by: { $0.key < $1.key }) {
            let a = try float32.embed(texts), b = try other.embed(texts)
            let cosines = (0..<texts.count).map { i in (0..<a.cols).reduce(Float(0)) { $0 + a[i, $1] * b[i, $1] } }
            let lowest = cosines.indices.min { cosines[$0] < cosines[$1] }!
            let fields: [String: Any] = ["precision": precision.rawValue, "set": name, "texts": texts.count, "min_cosine": cosines[lowest],
                                         "mean_cosine": cosines.reduce(0, +) / Float(texts.count), "lowest_text": String(texts[lowest].prefix(120)),
                                         "texts_below_0.999": cosines.filter { $0 < 0.999 }.count]
            print(String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self))
            fflush(nil)
        }
    }
    exit(0)
}

let precisions = listedPrecisions(default: "fp32")
let startRSS = statusKilobytes("VmRSS"), startAnonymous = statusKilobytes("RssAnon")
for precision in precisions {
    for batch in batches {
        let encoder = try MiniLMEncoder(batchSize: batch, precision: precision)
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
                "library": "AgentGantry", "precision": precision.rawValue, "set": name, "batch": batch, "threads": threads, "texts": texts.count,
                "mean_tokens": Double(counts.reduce(0, +)) / Double(counts.count),
                "sentences_per_second": sentences,
                "tokens_per_second": sentences * Double(counts.reduce(0, +)) / Double(texts.count),
                "gflops": Double(passes) * MiniLMEncoder.flops(tokenCounts: counts) / elapsed / 1e9,
                "rss_start_mb": Double(startRSS) / 1024, "rss_loaded_mb": Double(loadedRSS) / 1024,
                "rss_peak_mb": Double(statusKilobytes("VmHWM")) / 1024, "blas_kernels": kernels,
                // Resident now, and of that the anonymous pages (heap, packed weights) and the
                // file-backed ones (the mapped model file's embedding rows read so far: clean,
                // shared with the page cache, dropped first under memory pressure).
                "rss_after_mb": Double(statusKilobytes("VmRSS")) / 1024,
                "rss_anon_start_mb": Double(startAnonymous) / 1024, "rss_anon_after_mb": Double(statusKilobytes("RssAnon")) / 1024,
                "rss_file_after_mb": Double(statusKilobytes("RssFile")) / 1024,
            ]
            let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            fflush(nil)
        }
    }
}

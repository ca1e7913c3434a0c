// The lexical share of hybrid retrieval, measured across datasets: for each dataset, MRR@10 of
// z-score fusion `(1 − w)·dense + w·lexical` at a grid of weights on its train split (where a
// weight may be chosen) and its test split, and reciprocal-rank fusion beside it. Then the
// leave-one-dataset-out choice: for each dataset, the weight that is best on the *other*
// datasets' train splits (the largest smallest gain over dense retrieval: a prior must not cost
// any catalogue; ties to the larger mean gain), scored on its own test split — how a prior chosen without a catalogue's
// data does on it. With --adapted, the same on the test split through an adapter trained on the
// train split, and on the queries of tools held out of training (unseen-tools split, seed 1).
//
// With --fields, lexical and hybrid (prior weight) MRR@10 with BM25F over three weighted fields
// (name, description, parameter names) against one field holding the tool's whole text.
//
// With --learned, the weight `FusionWeightSelection` learns from each dataset's own train queries
// taken as feedback (a seeded 10% of them, at most 500, to choose; 20%, at most 250, for the gate,
// as train() holds out), and the test MRR@10 it gives.
//
//   cd Benchmarks && swift run -c release HybridWeightStudy --dataset DIR [--dataset DIR …] [--adapted] [--fields] [--learned]
import Foundation
import GantryAdapt
import GantryEval
import GantryIndex
import GantryMath

let arguments = CommandLine.arguments
let folders = arguments.indices.filter { arguments[$0] == "--dataset" && $0 + 1 < arguments.count }.map { arguments[$0 + 1] }
let adapted = arguments.contains("--adapted"), fieldStudy = arguments.contains("--fields"), learned = arguments.contains("--learned")
guard !folders.isEmpty else {
    FileHandle.standardError.write(Data("usage: HybridWeightStudy --dataset DIR [--dataset DIR …] [--adapted]\n".utf8))
    exit(64)
}
let weights: [Float] = [0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.7, 1]

/// Prints a line at once (stdout to a file is block-buffered).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
func format(_ value: Double) -> String { String(format: "%.3f", value) }

var trainMRR = [String: [Double]](), testMRR = [String: [Double]]()
say("| dataset | split | " + weights.map { "w \($0)" }.joined(separator: " | ") + " | RRF w 0.5 |")
say("|---|---|" + String(repeating: "---|", count: weights.count + 1))
for folder in folders {
    let data = try RetrievalDataset.load(directory: folder)
    for (split, indices) in [("train", data.indices(of: .train)), ("test", data.indices(of: .test))] {
        let metrics = try data.evaluateHybrid(indices, weights: weights).map(\.mrrAt10)
        let rrf = try data.evaluateHybrid(indices, weight: 0.5, method: .reciprocalRank).mrrAt10
        if split == "train" { trainMRR[data.name] = metrics } else { testMRR[data.name] = metrics }
        say("| \(data.name) | \(split) | " + metrics.map(format).joined(separator: " | ") + " | \(format(rrf)) |")
    }
    if adapted {
        let output = NSTemporaryDirectory() + "hybrid-study-\(UUID().uuidString).gadp"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let (adapter, _) = try TrainingPipeline().run(data, output: output)
        let metrics = try data.evaluateHybrid(data.indices(of: .test), adapter: adapter, weights: weights).map(\.mrrAt10)
        say("| \(data.name) | test, adapted | " + metrics.map(format).joined(separator: " | ") + " | |")
        let unseen = data.unseenToolSplit(seed: 1)
        let (unseenAdapter, _) = try TrainingPipeline(split: .unseenTools(seed: 1)).run(data, output: output)
        let held = try data.evaluateHybrid(unseen.unseen, adapter: unseenAdapter, weights: weights)
        say("| \(data.name) | unseen tools, adapted: MRR@10 | " + held.map { format($0.mrrAt10) }.joined(separator: " | ") + " | |")
        say("| \(data.name) | unseen tools, adapted: R@10 | " + held.map { format($0.recallAt10) }.joined(separator: " | ") + " | |")
    }
}

if fieldStudy {
    let schemes: [LexicalFieldWeights?] = [nil] + [(1, 1, 1), (2, 1, 1), (3, 1, 1), (2, 1, 0.5), (3, 1, 0.5), (1, 1, 0.5), (0.5, 1, 1)]
        .map { LexicalFieldWeights(name: $0.0, description: $0.1, parameters: $0.2) }
    say("\n| fields | " + folders.map { URL(fileURLWithPath: $0).lastPathComponent }.flatMap { ["\($0) lexical (train)", "\($0) hybrid w₀ (train)"] }
        .joined(separator: " | ") + " |")
    say("|---|" + String(repeating: "---|", count: folders.count * 2))
    let datasets = try folders.map { try RetrievalDataset.load(directory: $0) }
    for scheme in schemes {
        var cells = [String]()
        for data in datasets {
            let train = data.indices(of: .train)
            cells.append(format(try data.evaluateLexical(train, fields: scheme).mrrAt10))
            cells.append(format(try data.evaluateHybrid(train, weight: ScoreFusion.priorWeight, fields: scheme).mrrAt10))
        }
        say("| \(scheme.map(\.description) ?? "one field, whole text") | " + cells.joined(separator: " | ") + " |")
    }
}

if learned {
    say("\n| dataset | learned weight | why | test MRR@10 at the prior → learned |")
    say("|---|---|---|---|")
    for folder in folders {
        let data = try RetrievalDataset.load(directory: folder)
        var rng = SplitMix64(seed: 11)
        let train = data.indices(of: .train).shuffled(using: &rng)
        let selectionCount = min(500, train.count / 10), gateCount = min(250, train.count / 5)
        let index = try data.lexicalIndex()
        func examples(_ rows: ArraySlice<Int>) throws -> [FusionWeightSelection.Example] {
            let queries = try data.queryVectors.gatherRows(Array(rows))
            let dense = try Matrix.product(queries, data.toolVectors, transposeB: true)
            return rows.enumerated().map { i, row in
                .init(dense: Array(dense.row(i)), lexical: index.scores(data.queries[row].text), relevant: data.queries[row].tools, request: row)
            }
        }
        let outcome = try FusionWeightSelection.choose(selection: try examples(train[..<selectionCount]),
                                                       gate: try examples(train[selectionCount..<(selectionCount + gateCount)]),
                                                       prior: ScoreFusion.priorWeight)
        let test = try data.evaluateHybrid(data.indices(of: .test), weights: [ScoreFusion.priorWeight, outcome.weight]).map(\.mrrAt10)
        say("| \(data.name) | \(outcome.weight) | \(outcome.reason) | \(format(test[0])) → \(format(test[1])) |")
    }
}

/// The weight whose smallest gain over dense retrieval (train MRR@10, w = 0) among `names` is
/// largest — a prior must not cost any catalogue — ties broken by the mean gain.
func bestWeight(over names: [String], _ trainMRR: [String: [Double]]) -> Int {
    func gains(_ w: Int) -> [Double] { names.map { trainMRR[$0]![w] - trainMRR[$0]![0] } }
    func key(_ w: Int) -> (Double, Double) {
        let g = gains(w)
        return ((g.min()! * 1_000).rounded() / 1_000, g.reduce(0, +) / Double(g.count))
    }
    return weights.indices.max { key($0) < key($1) }!
}
say("\nleave one dataset out (the weight best on the others' train splits, on this one's test split):")
let names = Array(trainMRR.keys).sorted()
for name in names where names.count > 1 {
    let chosen = bestWeight(over: names.filter { $0 != name }, trainMRR)
    let best = testMRR[name]!.indices.max { testMRR[name]![$0] < testMRR[name]![$1] }!
    say("  \(name): w \(weights[chosen]) → test MRR@10 \(format(testMRR[name]![chosen])) (dense \(format(testMRR[name]![0])), "
        + "its best w \(weights[best]) \(format(testMRR[name]![best])))")
}
let overall = bestWeight(over: names, trainMRR)
say("best on every train split together (largest smallest gain, then mean gain): w \(weights[overall])")

import Foundation
import GantryAdapt
import GantryMath

/// Chooses how far the feedback memory reaches — the lowest cosine θ between a new query and one
/// with feedback that still counts (`FeedbackMemory.signals(for:at:team:reach:)`) — on held-out
/// feedback, as the adapter is gated: the memory is built from the feedback events and the reported
/// successes of the training split only, and each held-out example (the selection and gate folds:
/// distinct requests, so every one is a query the memory's feedback was *not* about) is ranked by
/// `w_retrieval · cos(adapted query, adapted tool) + w_feedback · memory signal`, the two weights
/// of `GantryConfiguration.weights` in the training process. The prior
/// (`FeedbackMemory.priorReach`) serves unless the selection fold holds at least
/// `FusionWeightSelection.minimumRequests` distinct requests and a candidate beats the prior's
/// MRR@10 there (the best; ties: the larger, reaching less) without falling below it on the gate
/// fold. Whatever is chosen, when the gate fold scores it below `noReach(nearDuplicateCosine:)`
/// (the memory reaching no held-out query), that serves. So feedback does not lower quality on the
/// queries it was not about, on the evidence there is, and evidence that says nothing leaves the
/// prior. (The other signals, and lexical fusion, are left out of the score: they do not depend on
/// θ.)
enum MemoryReachChoice {
    /// The reaches tried, from far to near: 0.5, the prior 0.6, 0.7, 0.8, 0.9 (those below
    /// `nearDuplicateCosine`), then `noReach(nearDuplicateCosine:)`; nil when the near-duplicate
    /// cosine is not above the prior (nothing to choose between).
    static func candidates(nearDuplicateCosine: Float) -> [Float]? {
        let none = noReach(nearDuplicateCosine: nearDuplicateCosine)
        guard none > FeedbackMemory.priorReach else { return nil }
        return [0.5, FeedbackMemory.priorReach, 0.7, 0.8, 0.9].filter { $0 < none } + [none]
    }

    /// Where the prior is among the candidates.
    static let priorIndex = 1

    /// The reach that leaves every held-out request alone: the near-duplicate cosine that makes
    /// two queries one request (`TrainingConfiguration.nearDuplicateCosine`, 0.95 by default),
    /// so no held-out request is that close to a query with feedback; the memory still serves
    /// the near-duplicates of those queries, and a repeat of one is answered by its correction
    /// (`FeedbackMemory.correction(of:team:)`). At most 0.999 (a reach must be below 1).
    static func noReach(nearDuplicateCosine: Float) -> Float {
        min(nearDuplicateCosine, 0.999)
    }

    /// What was chosen and why, with each candidate's held-out MRR@10 (in the order of `candidates`).
    struct Outcome: Sendable {
        var reach: Float
        var reason: String
        var candidates: [Float]
        var selection: [Double]
        var gate: [Double]
    }

    /// The choice for `adapter` over `tools` (rows named `names`), from `events` — examples
    /// `0 ..< events.count` of `examples` — and `reports`, the rest, split by `split` (grouped
    /// into requests at `nearDuplicateCosine`); nil when no feedback event nor reported success is
    /// in the training fold, nothing is held out, or `nearDuplicateCosine` is not above the prior.
    static func choose(adapter: LowRankAdapter, tools: Matrix, names: [String], events: [FeedbackEvent], reports: [ReportedExample],
                       examples: TrainingExamples, split: RequestSplit, nearDuplicateCosine: Float, weights: SignalValues,
                       settings: FeedbackMemory.Settings, at now: Date) throws(GantryError) -> Outcome? {
        guard let candidates = candidates(nearDuplicateCosine: nearDuplicateCosine) else { return nil }
        var memory = try FeedbackMemory(dimension: tools.cols, settings: settings)
        for i in split.training.sorted() {  // in log order, as the served memory folds them
            if i < events.count {
                let event = events[i]
                try memory.add(id: event.id, vector: event.queryVector,
                               entry: .init(correct: event.correctTool, wrong: event.wrongTool, at: event.at, team: event.team))
            } else {
                let record = reports[i - events.count].record
                for (tool, _) in reports[i - events.count].positives {
                    try memory.addSuccess(event: 0, vector: record.queryVector, entry: .init(correct: tool, at: record.at, team: record.team,
                                                                                            shown: record.shortlist.map(\.tool)))
                }
            }
        }
        guard memory.count > 0, !split.selection.isEmpty else { return nil }
        let column = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let normalized = weights.normalized
        let (retrieval, feedback) = (normalized[.retrieval], normalized[.feedback])
        let adaptedTools = try adaptError { () throws(AdaptError) in try adapter.adaptTools(tools, ids: names) }

        /// MRR@10 of each candidate reach over the examples `fold`.
        func scores(_ fold: [Int]) throws(GantryError) -> [Double] {
            guard !fold.isEmpty else { return candidates.map { _ in 0 } }
            let frozen: Matrix, dense: Matrix
            do {
                frozen = try examples.queries.gatherRows(fold)
                let queries = try adaptError { () throws(AdaptError) in try adapter.adaptQueries(frozen) }
                dense = try Matrix.product(queries, adaptedTools, transposeB: true)
            } catch let error as GantryError { throw error } catch { throw .invalidInput("\(error)") }
            var sums = candidates.map { _ in 0.0 }
            for (row, example) in fold.enumerated() {
                let relevant = Set(examples.positives[example])
                let neighbors = try memory.neighbors(of: Array(frozen.row(row)), at: now), cosines = dense.row(row)
                for (c, reach) in candidates.enumerated() {
                    var score = cosines.map { retrieval * Double($0) }
                    for (tool, signal) in memory.signals(from: neighbors, at: now, team: nil, reach: reach) {
                        if let t = column[tool] { score[t] += feedback * signal }
                    }
                    sums[c] += reciprocalRank(score, relevant: relevant)
                }
            }
            return sums.map { $0 / Double(fold.count) }
        }
        let selection = try scores(split.selection), gate = try scores(split.gate)
        let prior = priorIndex, none = candidates.count - 1
        var chosen = prior, why = "the prior"
        if split.selectionRequests < FusionWeightSelection.minimumRequests {
            why = "the prior: \(split.selectionRequests) distinct requests held out for selection; another reach is chosen on at least "
                + "\(FusionWeightSelection.minimumRequests)"
        } else {
            // The best on selection, when strictly better than the prior (ties: the larger reach).
            var best = prior
            for c in candidates.indices.reversed() where selection[c] > selection[best] { best = c }
            if best != prior {
                if !split.gate.isEmpty, gate[best] < gate[prior] {
                    why = "the prior: the best on selection (\(candidates[best])) fell below it on the \(split.gate.count) gate examples"
                } else {
                    (chosen, why) = (best, "the best on the \(split.selection.count) selection examples held out")
                }
            } else {
                why = "the prior: no reach did better on the \(split.selection.count) selection examples held out"
            }
        }
        if !split.gate.isEmpty, gate[chosen] < gate[none] {
            (chosen, why) = (none, "reaching no other query: at \(candidates[chosen]) the memory lowered the \(split.gate.count) gate examples "
                + "below what they score without it")
        }
        func figures(_ values: [Double]) -> String {
            zip(candidates, values).map { String(format: "%.2f: %.4f", $0, $1) }.joined(separator: ", ")
        }
        let reason = "feedback memory reach \(candidates[chosen]), \(why) (held-out MRR@10 by reach, selection: \(figures(selection))"
            + (split.gate.isEmpty ? ")" : "; gate: \(figures(gate)))")
        return Outcome(reach: candidates[chosen], reason: reason, candidates: candidates, selection: selection, gate: gate)
    }

    /// 1 / rank of the first relevant tool by `score` (a tie counts for it), 0 past 10.
    static func reciprocalRank(_ score: [Double], relevant: Set<Int>) -> Double {
        guard let first = relevant.map({ score[$0] }).max() else { return 0 }
        var above = 0
        for (t, value) in score.enumerated() where !relevant.contains(t) && value > first {
            above += 1
            if above >= 10 { return 0 }
        }
        return 1 / Double(above + 1)
    }
}

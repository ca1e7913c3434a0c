import Foundation
import GantryMath

/// Whether a trained adapter replaces the state being served: the never-worse rule, decided on
/// the gate fold of a `RequestSplit` (requests neither training nor checkpoint selection saw).
///
/// Per gate request, the reciprocal rank of its correct tools (MRR@10, averaged over the
/// request's examples) under the served state and under the candidate; the candidate passes when
/// - at least `minimumRequests` requests were held out,
/// - its mean gain is at least `margin` (MRR@10 points), and
/// - the gain is conclusive: the one-sided lower confidence bound of the mean gain (Student t over
///   the requests' paired differences, at `confidence`) is above zero.
public enum TrainingGate {
    /// Fewest held-out requests a decision is made on.
    public static let minimumRequests = 8

    /// Compares `candidate` with `current` (nil: the frozen embeddings) on the gate fold of
    /// `split`, over the catalog `tools` (frozen, unit rows; `toolIDs[i]` names row i).
    public static func decide(candidate: LowRankAdapter, current: LowRankAdapter?, tools: Matrix, toolIDs: [String],
                              examples: TrainingExamples, split: RequestSplit,
                              margin: Double, confidence: Double) throws(AdaptError) -> GateDecision {
        try split.check(covers: examples)
        let gate = split.gate.filter { !examples.positives[$0].isEmpty }
        let queries: Matrix
        do { queries = try examples.queries.gatherRows(gate) } catch { throw .math(error) }
        let relevant = gate.map { examples.positives[$0] }
        func ranks(_ adapter: LowRankAdapter?) throws(AdaptError) -> [Double] {
            guard !gate.isEmpty else { return [] }
            let q = try adapter?.adaptQueries(queries) ?? queries
            let t = try adapter?.adaptTools(tools, ids: toolIDs) ?? tools
            let rankings = try RetrievalEvaluator.rankings(queries: q, tools: t, k: min(10, tools.rows))
            return zip(rankings, relevant).map { RetrievalMetrics.reciprocalRank($0, Set($1), k: 10) }
        }
        return try decide(current: try ranks(current), candidate: try ranks(candidate),
                          requests: gate.map { split.groups.requestOfExample[$0] }, margin: margin, confidence: confidence)
    }

    /// The decision from per-example reciprocal ranks under the served state and the candidate,
    /// `requests[i]` naming example i's request (examples of one request are averaged first, so
    /// a request asked often weighs as much as one asked once).
    /// Throws `AdaptError.invalidSetting` unless there is one finite rank of each per example, and
    /// the margin and confidence are in range.
    public static func decide(current: [Double], candidate: [Double], requests: [Int],
                              margin: Double, confidence: Double) throws(AdaptError) -> GateDecision {
        guard current.count == candidate.count, current.count == requests.count else {
            throw .invalidSetting("\(current.count) current and \(candidate.count) candidate ranks for \(requests.count) examples: one each")
        }
        guard (current + candidate).allSatisfy(\.isFinite) else { throw .invalidSetting("a reciprocal rank is not finite") }
        guard margin.isFinite, margin >= 0, confidence >= 0.5, confidence < 1 else {
            throw .invalidSetting("the gate's margin must be at least 0 and its confidence in [0.5, 1)")
        }
        var sums = [Int: (current: Double, candidate: Double, count: Int)]()
        for (i, request) in requests.enumerated() {
            let old = sums[request] ?? (0, 0, 0)
            sums[request] = (old.current + current[i], old.candidate + candidate[i], old.count + 1)
        }
        let perRequest = sums.keys.sorted().map { key in
            let s = sums[key]!
            return (current: s.current / Double(s.count), candidate: s.candidate / Double(s.count))
        }
        let n = perRequest.count
        let currentMRR = n == 0 ? 0 : perRequest.reduce(0) { $0 + $1.current } / Double(n)
        let candidateMRR = n == 0 ? 0 : perRequest.reduce(0) { $0 + $1.candidate } / Double(n)
        let gain = candidateMRR - currentMRR
        var spread = 0.0
        if n > 1 {
            spread = (perRequest.reduce(0) { $0 + pow($1.candidate - $1.current - gain, 2) } / Double(n - 1)).squareRoot()
        }
        let lowerBound = n > 1 ? gain - studentT(confidence, degreesOfFreedom: n - 1) * spread / Double(n).squareRoot() : -.infinity
        let passed = n >= minimumRequests && gain >= margin && lowerBound > 0
        var more: Int?
        if n < minimumRequests {
            more = minimumRequests - n
        } else if !passed, gain >= margin, gain > 1e-6, spread > 0 {
            // Requests at which a gain of this size and spread would be conclusive (no estimate
            // beyond a million: a gain that small is no gain to wait for).
            var needed = Double(n)
            for _ in 0..<4 {
                let t = studentT(confidence, degreesOfFreedom: max(1, Int(min(needed, 1e6)) - 1))
                needed = max(needed, (pow(t * spread / gain, 2) + 1).rounded(.up))
            }
            if needed.isFinite, needed <= 1e6 { more = max(1, Int(needed) - n) }
        }
        return GateDecision(requests: n, currentMRR: currentMRR, candidateMRR: candidateMRR, gain: gain,
                            lowerBound: lowerBound.isFinite ? lowerBound : nil, confidence: confidence, margin: margin,
                            passed: passed, moreHeldOutRequestsNeeded: more)
    }

    /// The one-sided Student t quantile at probability `p` (e.g. 0.95) with `degreesOfFreedom`:
    /// the normal quantile (Abramowitz–Stegun 26.2.23) corrected by the Cornish–Fisher expansion
    /// (within 0.01 of the exact value from 3 degrees of freedom on).
    static func studentT(_ p: Double, degreesOfFreedom: Int) -> Double {
        let tail = 1 - p
        let w = (-2 * log(tail)).squareRoot()
        let z = w - (2.515517 + 0.802853 * w + 0.010328 * w * w) / (1 + 1.432788 * w + 0.189269 * w * w + 0.001308 * w * w * w)
        let v = Double(degreesOfFreedom)
        let z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z
        return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v)
            + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v)
    }
}

/// What `TrainingGate` decided, and on what evidence.
public struct GateDecision: Sendable, Codable, Equatable {
    /// Held-out requests compared.
    public var requests: Int
    /// Mean per-request MRR@10 of the state being served.
    public var currentMRR: Double
    /// Mean per-request MRR@10 of the candidate adapter.
    public var candidateMRR: Double
    /// `candidateMRR − currentMRR`.
    public var gain: Double
    /// One-sided lower confidence bound of the gain (nil with fewer than 2 requests).
    public var lowerBound: Double?
    /// Confidence of the bound (`TrainingConfiguration.gateConfidence`).
    public var confidence: Double
    /// The smallest mean gain that counts (`TrainingConfiguration.gateMargin`).
    public var margin: Double
    /// Whether the candidate replaces the served state.
    public var passed: Bool
    /// When the candidate did not pass for want of evidence — fewer than
    /// `TrainingGate.minimumRequests` held-out requests (whatever the gain), or a gain of at least
    /// the margin that is not yet conclusive — about how many more held-out requests would settle
    /// it; nil when it passed, or when, on enough requests, its gain is below the margin.
    public var moreHeldOutRequestsNeeded: Int?

    /// One sentence: the figures and the verdict.
    public var explanation: String {
        let percent = (confidence * 100).rounded() == confidence * 100 ? String(format: "%.0f", confidence * 100)
            : String(format: "%.1f", confidence * 100)
        let figures = String(format: "MRR@10 %.3f → %.3f on %d held-out requests (gain %+.3f", currentMRR, candidateMRR, requests, gain)
            + (lowerBound.map { String(format: ", %@%% lower bound %+.3f", percent, $0) } ?? "") + ")"
        if passed { return figures + String(format: ": beats the served state by at least the margin %.3f", margin) }
        if requests < TrainingGate.minimumRequests {
            return figures + ": too few held-out requests to decide (at least \(TrainingGate.minimumRequests))"
        }
        if gain <= 0 { return figures + ": no better than the served state" }
        if gain < margin { return figures + String(format: ": does not beat the served state by the margin %.3f", margin) }
        return figures + ": a gain, but not yet conclusive"
    }
}

import AgentGantry
import GantryMath

/// The agent `gantry replay --agent` simulates: it sees a retrieval's shortlist, picks tools
/// from it with a bias towards the first positions, calls them, and reports what happened by the
/// retrieval's id — as an agent platform would, rather than correcting every mistake.
///
/// For each correct tool shown at rank r (0 first) it picks that tool with probability
/// `pickProbability · positionBias[r]` (a multi-tool query may get several picks); when it picks
/// none, it takes the first tool shown. Each pick is reported (`recordSelection`) and called: the
/// call works if and only if the tool is correct, except that `noise` of calls go the other way.
/// It reports the call with `recordExecution(retrieval:…)`: a success; `.wrongTool` when a wrong
/// tool did not do the request (the agent sees the result does not fit); `.failure` when a correct
/// tool failed (a fault of the tool). After a call that did not work it gives an explicit
/// correction (`recordFeedback(retrieval:…)`, the first correct tool) with probability
/// `correctionRate`, and tries the next tool shown, once. (An agent that reports its routing
/// mistakes as failures opens healthy tools' breakers: replayed on metatool so, every tool's
/// breaker was open within the replay and retrievals came back empty.)
public struct SimulatedAgent: Sendable, Codable {
    /// The agents of the replay modes: how often a failure is corrected.
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// Never (c = 0): only selections and outcomes.
        case implicit
        /// One failure in ten (c = 0.1).
        case mixed
        /// Every failure (c = 1).
        case explicit

        /// The share of failures the agent corrects.
        public var correctionRate: Double {
            switch self {
            case .implicit: 0
            case .mixed: 0.1
            case .explicit: 1
            }
        }
    }

    /// How likely a correct tool shown first is picked (p).
    public var pickProbability = 0.9
    /// The relative chance of a pick by rank (θ, first rank first): a model picks what it is
    /// shown first more often; the shortlist is as long as this.
    public var positionBias: [Double] = [1, 0.8, 0.6, 0.5, 0.4]
    /// The share of failed calls the agent corrects explicitly (c).
    public var correctionRate: Double
    /// The share of call outcomes flipped (a correct tool failing, a wrong one appearing to work).
    public var noise = 0.02

    /// The agent of `mode`, with the documented p, θ and noise.
    public init(mode: Mode) {
        correctionRate = mode.correctionRate
    }

    /// What the agent reported over a replay.
    public struct Counts: Sendable, Codable, Equatable {
        /// Tools selected from shortlists.
        public var selections = 0
        /// Calls that did not work: wrong tools, and correct tools that failed.
        public var failures = 0
        /// Explicit corrections given.
        public var corrections = 0
    }

    /// Acts on `retrieval`, the result for `request`: picks, calls, reports; adds to `counts`.
    func act(on retrieval: Retrieval, request: ReplayRequest, gantry: AgentGantry, counts: inout Counts,
             rng: inout SplitMix64) async throws(GantryError) {
        let shown = retrieval.prefix(positionBias.count).map(\.tool.name)
        guard !shown.isEmpty else { return }
        var picks = shown.indices.filter { rank in
            request.correctTools.contains(shown[rank]) && Double.random(in: 0..<1, using: &rng) < pickProbability * positionBias[rank]
        }
        if picks.isEmpty { picks = [0] }
        for pick in picks {
            var rank = pick
            for attempt in 0..<2 {
                let tool = shown[rank]
                try await gantry.recordSelection(retrieval: retrieval.id, tool: tool, context: request.context)
                counts.selections += 1
                let correct = request.correctTools.contains(tool)
                let works = Double.random(in: 0..<1, using: &rng) < noise ? !correct : correct
                try await gantry.recordExecution(retrieval: retrieval.id, tool: tool, outcome: works ? .success : correct ? .failure : .wrongTool,
                                                 context: request.context)
                if works { break }
                counts.failures += 1
                if Double.random(in: 0..<1, using: &rng) < correctionRate {
                    try await gantry.recordFeedback(retrieval: retrieval.id, selectedTool: tool, correctTool: request.correctTools[0],
                                                    context: request.context)
                    counts.corrections += 1
                }
                guard attempt == 0, rank + 1 < shown.count else { break }
                rank += 1
            }
        }
    }
}

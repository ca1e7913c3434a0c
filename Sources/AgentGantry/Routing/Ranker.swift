import Foundation
import GantryIndex
import GantryMath

/// Turns one query into ranked tools: candidates from the index (`candidateMultiplier × limit`,
/// at least 20) plus the tools the feedback memory vouches for → filters (namespace, tags,
/// deprecated, open circuit breakers) → every `Signal`'s provider → weighted sum → MMR over the
/// adapted vectors → the top `limit` above the score threshold.
///
/// One rule overrides the order: a correction wins its own query. When the feedback memory holds
/// a correction of exactly this query (`FeedbackMemory.correction(of:team:)`), the tool it names
/// is a candidate and ranks first, with `ToolMatch.pinned` set, unless the filters exclude it or
/// it was removed. Its score and breakdown stay its own weighted sum (so it may score below the
/// next tool); MMR starts from it and the score threshold does not drop it.
///
/// A ranker reads a snapshot (catalog, learned state, index) and changes nothing: `half_open`
/// probes are counted by the caller.
struct Ranker {
    let configuration: GantryConfiguration
    let catalog: ToolCatalog
    let state: LearnedState
    let index: ToolIndex
    /// The probes this process has handed out (a `half_open` tool whose probes are out is blocked).
    let probes: ProbeBudget
    /// The snapshot's deprecated tools and open breakers.
    let blockedTools: BlockedTools

    /// The best `limit` tools for the adapted query `query` (its frozen embedding `frozen`, and
    /// the intent `state.intent(of: frozen)` found in it).
    func rank(query: [Float], frozen: [Float], intent: QueryIntent?, limit: Int, context: RoutingContext,
              at now: Date) throws(GantryError) -> [ToolMatch] {
        let admits = admission(context: context, at: now)
        var candidates = try indexCandidates(query, limit: limit, context: context, admits: admits)
        guard !candidates.isEmpty else { return [] }
        let memory = try state.memory.signals(for: frozen, at: now, team: context.team)
        let pinned = try state.memory.correction(of: frozen, team: context.team).flatMap { admits(.name($0)) ? $0 : nil }
        candidates += memoryCandidates(query, memory: memory, pinned: pinned, excluding: Set(candidates.map(\.name)), admits: admits)

        let input = RankingInput(context: context, state: state, catalog: catalog,
                                 configuration: configuration, memory: memory, intent: intent)
        var breakdowns = [ScoreBreakdown](repeating: ScoreBreakdown(repeating: 0), count: candidates.count)
        for signal in Signal.allCases {
            for (i, value) in signal.provider.values(for: candidates, input).enumerated() { breakdowns[i][signal] = value }
        }
        let weights = configuration.weights.normalized
        var scored = zip(candidates, breakdowns).map { Scored(name: $0.name, score: weights.weightedSum($1), breakdown: $1) }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.name < $1.name }
        if let first = scored.firstIndex(where: { $0.name == pinned }) { scored.insert(scored.remove(at: first), at: 0) }
        var chosen = diversify(scored, limit: limit, keepingFirst: scored[0].name == pinned)
        if let threshold = configuration.scoreThreshold { chosen.removeAll { $0.name != pinned && $0.score < threshold } }
        return chosen.map { ToolMatch(tool: catalog[$0.name]!.tool, score: $0.score, breakdown: $0.breakdown, pinned: $0.name == pinned,
                                      breaker: state.breakerState(of: $0.name, at: now)) }
    }

    private struct Scored {
        var name: String
        var score: Double
        var breakdown: ScoreBreakdown
    }

    /// Which tools this query may get: not deprecated, breaker admitting, in the namespace and
    /// carrying a tag when the context asks for them.
    private func admission(context: RoutingContext, at now: Date) -> Admission {
        Admission(blocked: blockedTools.blocked(at: now, probes: probes), catalog: catalog, namespace: context.namespace, tags: context.tags)
    }

    /// The index's nearest admitted tools.
    private func indexCandidates(_ query: [Float], limit: Int, context: RoutingContext, admits: Admission) throws(GantryError) -> [Candidate] {
        let pool = max(20, limit * configuration.candidateMultiplier)
        return try index.search(query, k: pool, filter: admits.filter).compactMap { hit in
            guard case .name(let name) = hit.id else { return nil }
            return Candidate(name: name, semantic: Double(hit.score))
        }
    }

    /// A tool the feedback memory vouches for, or the one a correction of this very query names
    /// (`pinned`), competes even when the index did not return it: a correction must be able to
    /// lift the correct tool from below the candidate pool.
    private func memoryCandidates(_ query: [Float], memory: [String: Double], pinned: String?, excluding pooled: Set<String>,
                                  admits: Admission) -> [Candidate] {
        Set(memory.filter { $0.value > 0 }.keys).union(pinned.map { [$0] } ?? []).sorted().compactMap { name in
            guard !pooled.contains(name), admits(.name(name)), let vector = index.vector(of: name) else { return nil }
            return Candidate(name: name, semantic: Double((try? SIMDKernels.dot(query, vector)) ?? 0))  // both unit: the cosine
        }
    }

    /// Maximal marginal relevance: repeatedly take the candidate maximising
    /// λ·score − (1 − λ)·(highest cosine to a tool already taken), over the adapted vectors;
    /// `keepingFirst` takes `scored[0]` (the pinned tool) first whatever its score.
    private func diversify(_ scored: [Scored], limit: Int, keepingFirst: Bool) -> [Scored] {
        let lambda = configuration.mmrLambda
        guard lambda < 1, scored.count > 1 else { return Array(scored.prefix(limit)) }
        let vectors = scored.map { index.vector(of: $0.name) ?? [] }
        var taken = keepingFirst ? [0] : [], remaining = Array(scored.indices.dropFirst(keepingFirst ? 1 : 0))
        while taken.count < limit, !remaining.isEmpty {
            var best = remaining[0], bestValue = -Double.infinity
            for i in remaining {
                var redundancy = 0.0
                for j in taken { redundancy = max(redundancy, Double((try? SIMDKernels.dot(vectors[i], vectors[j])) ?? 0)) }
                let value = lambda * scored[i].score - (1 - lambda) * redundancy
                if value > bestValue { (best, bestValue) = (i, value) }
            }
            taken.append(best)
            remaining.removeAll { $0 == best }
        }
        return taken.map { scored[$0] }
    }
}

/// The filter of one retrieval. Without a namespace or tag restriction it is just the (usually
/// empty) blocked set, so the index does no per-node work in the common case.
private struct Admission: Sendable {
    let blocked: Set<VectorID>
    let catalog: ToolCatalog
    let namespace: String?
    let tags: Set<String>

    var restricted: Bool { namespace != nil || !tags.isEmpty }

    func callAsFunction(_ id: VectorID) -> Bool {
        guard !blocked.contains(id), case .name(let name) = id, let tool = catalog[name]?.tool else { return false }
        if let namespace, tool.namespace != namespace { return false }
        return tags.isEmpty || !tags.isDisjoint(with: tool.tags)
    }

    var filter: SearchFilter? {
        if restricted { return .matching { self($0) } }
        return blocked.isEmpty ? nil : .excluding(blocked)
    }
}

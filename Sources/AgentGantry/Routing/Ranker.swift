import Foundation
import GantryIndex
import GantryMath

/// Turns one query into ranked tools: the first stage (below) plus the tools the feedback memory
/// vouches for → filters (namespace, tags, deprecated, open circuit breakers) → every `Signal`'s
/// provider → weighted sum → MMR over the adapted vectors → the top `limit` above the score
/// threshold.
///
/// The first stage is hybrid: the `pool` (`candidateMultiplier × limit`, at least 20) best
/// admitted tools of the dense index and the `pool` best of the lexical index (BM25F over each
/// tool's `lexicalText`), each candidate with its exact score on both sides (its cosine; its BM25F
/// score, 0 when no query word matches it). Each side is z-normalised over the whole catalogue —
/// the lexical side from every tool's score, the dense side from the catalogue's moments
/// (`DenseMoments`: every tool counts, also when HNSW serves) — and fused,
/// `f = (1 − w)·z_dense + w·z_lexical` (`ScoreFusion`, `w` the snapshot's `lexicalWeight`); the
/// best `pool` by `f` compete. `f` enters the final score as `Signal.retrieval` mapped back onto
/// the cosine's scale, `μ + σ·f` with the dense side's catalogue mean μ and deviation σ, kept
/// within the cosine's range [−1, 1] (itself
/// up to ±0.9, squashed beyond keeping the order: `withinCosineRange`): at `w` = 0 that is the
/// cosine itself, so weights and thresholds chosen for cosines keep their meaning, and a lexical
/// match lifts a tool by `w·σ·z_lexical` cosine points (a lone match in a large catalogue stands
/// far above the rest: see `ScoreFusion`). A query none of whose words match (or a catalogue
/// without dense spread) is ranked by the cosine alone. (A map onto [0, 1] would either lose the
/// order of negative cosines, which other embedders than MiniLM give, or halve the signal's
/// spread against the other signals' weights.) At `w` = 0 no lexical scoring is done.
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
    /// The lexical share of the first stage (0: dense only).
    let lexicalWeight: Float
    /// The feedback memory's reach: the lowest cosine to a query with feedback that counts.
    let memoryReach: Float
    /// The slots of the catalogue's lexical index and of `index` linked (built here when absent
    /// or stale: a snapshot published with hybrid retrieval carries them).
    let links: SlotLinks?
    /// The probes this process has handed out (a `half_open` tool whose probes are out is blocked).
    let probes: ProbeBudget
    /// The snapshot's deprecated tools and open breakers.
    let blockedTools: BlockedTools

    /// The best `limit` tools for the query `text`, adapted `query` (its frozen embedding
    /// `frozen`, and the intent `state.intent(of: frozen)` found in it).
    func rank(text: String, query: [Float], frozen: [Float], intent: QueryIntent?, limit: Int, context: RoutingContext,
              at now: Date) throws(GantryError) -> [ToolMatch] {
        let admits = admission(context: context, at: now)
        let pool = max(20, limit * configuration.candidateMultiplier)
        let (stage, hits, lexicalHits, links) = try searches(text: text, query: query, pool: pool, filter: admits.filter)
        var candidates = firstStage(stage, hits: hits, lexicalHits: lexicalHits, links: links, pool: pool)
        guard !candidates.isEmpty else { return [] }
        let memory = try state.memory.signals(for: frozen, at: now, team: context.team, reach: memoryReach)
        let pinned = try state.memory.correction(of: frozen, team: context.team).flatMap { admits(.name($0)) ? $0 : nil }
        candidates += memoryCandidates(stage, memory: memory, pinned: pinned, excluding: candidates, admits: admits)

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

    /// The first stage's searches for the `pool` best admitted tools: the dense one and, with a
    /// lexical weight, the query's BM25F scores and their best slots, and the links that meet the
    /// two indexes' hits. The lexical search runs beside the dense one on a worker of
    /// `WorkerPool.shared` that is awake (the dense search stays on this thread), else after it;
    /// the retrieval never suspends either way.
    private func searches(text: String, query: [Float], pool: Int, filter: SearchFilter?) throws(GantryError)
        -> (stage: FirstStage, hits: [ScoredIndex], lexicalHits: [ScoredIndex], links: SlotLinks?) {
        guard lexicalWeight > 0 else {
            return (FirstStage(query: query, lexical: nil, dense: (0, 0), weight: 0), try index.searchSlots(query, k: pool, filter: filter), [], nil)
        }
        let (dense, lexical) = WorkerPool.shared.both({
            Result { () throws(GantryError) in (try index.searchSlots(query, k: pool, filter: filter), index.moments.statistics(of: query)) }
        }, {
            let scores = catalog.lexical.scoring(text)
            return Result { () throws(IndexError) in (scores, try scores.topSlots(pool, filter: filter)) }
        })
        let (hits, statistics) = try dense.get()
        let (scores, lexicalHits): (LexicalScores, [ScoredIndex])
        do { (scores, lexicalHits) = try lexical.get() } catch { throw .index(error) }
        let links = links.flatMap { $0.isCurrent(catalog: catalog, index: index) ? $0 : nil } ?? SlotLinks(catalog: catalog, index: index)
        return (FirstStage(query: query, lexical: scores, dense: statistics, weight: lexicalWeight), hits, lexicalHits, links)
    }

    /// The union of the dense and lexical searches' hits, each scored on both sides; the best
    /// `pool` by fused score (ties: by name). The two indexes' hits meet by slot (`links`), and
    /// only the tools kept are named.
    private func firstStage(_ stage: FirstStage, hits: [ScoredIndex], lexicalHits: [ScoredIndex], links: SlotLinks?, pool: Int) -> [Candidate] {
        let lexical = stage.lexical
        return index.withSlots { ids, vectors in
            var pooled = [Pooled]()
            pooled.reserveCapacity(hits.count + lexicalHits.count)
            for hit in hits {
                let bm25 = lexical.flatMap { lexical in links?.lexicalSlot(ofDense: hit.index).map { lexical.score(atSlot: $0) } } ?? 0
                pooled.append(Pooled(slot: hit.index, cosine: hit.score, bm25: bm25, fused: stage.fused(cosine: hit.score, bm25: bm25)))
            }
            if !lexicalHits.isEmpty, let links {
                // The lexical hits the dense search missed, their cosines gathered in one pass (their
                // rows prefetched ahead: they are rarely in cache).
                let dense = hits.map(\.index).sorted()  // a few dozen: searched by halves, not hashed
                let missed = lexicalHits.compactMap { hit in
                    links.denseSlot(ofLexical: hit.index).flatMap { Self.contains(dense, $0) ? nil : (hit, Int32($0)) }
                }
                let cosines = Self.cosines(of: stage.query, atSlots: missed.map(\.1), in: vectors)
                for ((hit, slot), cosine) in zip(missed, cosines) {
                    pooled.append(Pooled(slot: Int(slot), cosine: cosine, bm25: hit.score, fused: stage.fused(cosine: cosine, bm25: hit.score)))
                }
            }
            func name(_ entry: Pooled) -> String? { if case .name(let name) = ids[entry.slot] { name } else { nil } }
            if pooled.count > pool {
                pooled.sort { $0.fused != $1.fused ? $0.fused > $1.fused : (name($0) ?? "") < (name($1) ?? "") }
                pooled.removeSubrange(pool...)
            }
            return pooled.compactMap { entry in
                name(entry).map { Candidate(name: $0, semantic: Double(entry.cosine), lexical: Double(entry.bm25), retrieval: entry.fused) }
            }
        }
    }

    /// Whether the ascending `slots` hold `slot`.
    private static func contains(_ slots: [Int], _ slot: Int) -> Bool {
        var (low, high) = (0, slots.count)
        while low < high {
            let middle = (low + high) / 2
            if slots[middle] < slot { low = middle + 1 } else { high = middle }
        }
        return low < slots.count && slots[low] == slot
    }

    /// The cosines of the unit `query` with the unit vectors at `slots` of `vectors` (rows of
    /// `query.count` floats), in one gather pass that prefetches rows ahead.
    private static func cosines(of query: [Float], atSlots slots: [Int32], in vectors: UnsafeBufferPointer<Float>) -> [Float] {
        guard !slots.isEmpty, let rows = vectors.baseAddress else { return [] }
        return [Float](unsafeUninitializedCapacity: slots.count) { out, written in
            slots.withUnsafeBufferPointer { slots in
                query.withUnsafeBufferPointer { query in SIMDKernels.gatherDots(rows: rows, slots: slots, query: query, into: out.baseAddress!) }
            }
            written = slots.count
        }
    }

    /// A first-stage candidate before it is named: its dense slot, its scores and the fused score
    /// (`FirstStage.fused`).
    private struct Pooled {
        var slot: Int
        var cosine: Float
        var bm25: Float
        var fused: Double
    }

    /// A tool the feedback memory vouches for, or the one a correction of this very query names
    /// (`pinned`), competes even when the first stage did not return it: a correction must be
    /// able to lift the correct tool from below the candidate pool.
    private func memoryCandidates(_ stage: FirstStage, memory: [String: Double], pinned: String?, excluding pooled: [Candidate],
                                  admits: Admission) -> [Candidate] {
        let vouched = Set(memory.filter { $0.value > 0 }.keys).union(pinned.map { [$0] } ?? [])
        guard !vouched.isEmpty else { return [] }
        let pooled = Set(pooled.map(\.name))
        return vouched.sorted().compactMap { name in
            guard !pooled.contains(name), admits(.name(name)), let cosine = stage.cosine(with: name, in: index) else { return nil }
            return stage.candidate(name, cosine: cosine, bm25: stage.lexical?.score(of: .name(name)) ?? 0)
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

import GantryAdapt
import GantryMath

extension RetrievalDataset {
    /// The split that asks what a newly registered tool experiences: a seeded `fraction` of the
    /// tools is held out entirely. `training` = train queries that touch no held-out tool;
    /// `unseen` = every query (either split) with a held-out tool; `seen` = test queries without.
    public struct UnseenToolSplit: Sendable {
        /// Indices of the tools held out of training.
        public var heldOut: Set<Int>
        /// Training-split queries that touch no held-out tool.
        public var training: [Int]
        /// Every query (either split) with a held-out tool.
        public var unseen: [Int]
        /// Test-split queries without a held-out tool.
        public var seen: [Int]
    }

    /// Holds a seeded `fraction` of the tools out entirely (see `UnseenToolSplit`).
    public func unseenToolSplit(fraction: Double = 0.2, seed: UInt64 = 0) -> UnseenToolSplit {
        var rng = SplitMix64(seed: seed ^ 0x5EED)
        var order = Array(tools.indices)
        order.shuffle(using: &rng)
        let heldOut = Set(order.prefix(Int((Double(tools.count) * fraction).rounded())))
        var split = UnseenToolSplit(heldOut: heldOut, training: [], unseen: [], seen: [])
        for (i, query) in queries.enumerated() {
            if query.tools.contains(where: heldOut.contains) {
                split.unseen.append(i)
            } else if query.split == .train {
                split.training.append(i)
            } else {
                split.seen.append(i)
            }
        }
        return split
    }

    /// What a trainer sees: the catalog without `excludedTools` (tools that do not exist yet at
    /// training time), and examples from the queries at `indices` with labels renumbered to that
    /// catalog. Corrections whose query text matches one of those queries become explicit
    /// negatives; the others are returned (they need embedding first).
    public struct TrainingSet: Sendable {
        /// The catalog the trainer sees (unit rows, excluded tools left out).
        public var tools: Matrix
        /// The id of each row of `tools`.
        public var toolIDs: [String]
        /// The queries with labels renumbered to `tools`, corrections as explicit negatives, and
        /// their texts (so `RequestSplit` can tell distinct requests apart).
        public var examples: TrainingExamples
        /// Corrections whose query text is none of the training queries (they need embedding first).
        public var unmatchedCorrections: [Correction]
    }

    /// The `TrainingSet` of the queries at `indices` without the tools in `excluded`. Throws
    /// `AdaptError.invalidSetting` when a query is labelled only with excluded tools.
    public func trainingSet(_ indices: [Int], excludingTools excluded: Set<Int> = []) throws(AdaptError) -> TrainingSet {
        let kept = tools.indices.filter { !excluded.contains($0) }
        var renumber = [Int: Int]()
        for (row, tool) in kept.enumerated() { renumber[tool] = row }
        var rowOfText = [String: Int]()
        for (row, index) in indices.enumerated() where rowOfText[queries[index].text] == nil { rowOfText[queries[index].text] = row }
        var negatives = Array(repeating: [Int](), count: indices.count)
        var unmatched = [Correction]()
        for correction in corrections {
            if let row = rowOfText[correction.query], queries[indices[row]].tools.contains(correction.correct),
               let wrong = renumber[correction.wrong] {
                if !negatives[row].contains(wrong) { negatives[row].append(wrong) }
            } else {
                unmatched.append(correction)
            }
        }
        let positives = indices.map { queries[$0].tools.compactMap { renumber[$0] } }
        guard !positives.contains(where: \.isEmpty) else {
            throw .invalidSetting("a training query is labelled only with excluded tools")
        }
        do {
            let examples = try TrainingExamples(queries: queryVectors.gatherRows(indices), positives: positives, explicitNegatives: negatives,
                                                texts: indices.map { queries[$0].text })
            return TrainingSet(tools: try toolVectors.gatherRows(kept), toolIDs: kept.map { tools[$0].id },
                               examples: examples, unmatchedCorrections: unmatched)
        } catch let error as MathError {
            throw .math(error)
        } catch {
            throw error as! AdaptError
        }
    }

    /// Metrics of the queries at `indices` against the catalog, through `adapter` if given.
    public func evaluate(_ indices: [Int], adapter: LowRankAdapter? = nil, index: RetrievalEvaluator.IndexKind = .flat) throws(AdaptError) -> RetrievalMetrics {
        var q: Matrix
        do { q = try queryVectors.gatherRows(indices) } catch { throw .math(error) }
        var t = toolVectors
        if let adapter {
            q = try adapter.adaptQueries(q)
            t = try adapter.adaptTools(t, ids: tools.map(\.id))
        }
        return try RetrievalEvaluator.evaluate(queries: q, relevant: indices.map { queries[$0].tools }, tools: t, index: index)
    }
}

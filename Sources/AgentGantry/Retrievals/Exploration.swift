import GantryMath

/// Which neighbouring tools of a shortlist trade places for exploration
/// (`GantryConfiguration.explorationRate`). The draw is a hash of the retrieval's id, so it
/// needs no shared random state and a retrieval asked about again tells the same.
enum Exploration {
    /// The rank r (at least 1) whose tool is shown in place of the one at r + 1 for retrieval
    /// `id` of `count` tools, or nil (most retrievals, and any with fewer than 3 tools within
    /// `depth`).
    static func swappedRank(for id: RetrievalID, count: Int, rate: Double, depth: Int) -> Int? {
        let shown = min(count, depth)
        guard rate > 0, shown >= 3 else { return nil }
        var draw = SplitMix64(seed: UInt64(bitPattern: id.rawValue) ^ 0x6578_706C_6F72_6521)
        guard Double(draw.next() >> 11) / Double(1 << 53) < rate else { return nil }
        return 1 + Int(draw.next() % UInt64(shown - 2))
    }
}

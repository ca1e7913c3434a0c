import Foundation
import GantryIndex
import GantryMath

/// Past corrections and linked successes, searchable by similarity. It answers two questions
/// about a new query q:
///
/// - Which tool does a correction of exactly this query name (`correction(of:team:)`)? Entries
///   whose frozen unit vectors have cos ≥ 1 − `sameQueryTolerance` are one query (identical text
///   embeds identically, so this is free of the embedder's score scale). The answer is the tool
///   named by the newest correction of q by the caller's team; when the caller has no team, or
///   its team has not corrected q, the newest correction of q by anyone. Newest is latest in the
///   log; a `.confirmed` event names its tool as a correction does. The `Ranker` puts that tool
///   first when it is admitted. (A success vouches for its tool, but names no verdict: another
///   tool may have done the request as well.)
/// - How much do corrections and successes of similar queries vouch for each tool
///   (`signals(for:at:team:reach:)`)? Each entry e with cos(q, e) ≥ the reach θ contributes
///   w = (cos − θ)/(1 − θ) · 2^(−age/halfLife): a correction +w to its correct tool and −w to
///   the tool wrongly chosen; a success +w/2 to its tool and −w/2 to each other tool its
///   retrieval showed. A success is weaker evidence than a correction: the caller saw only the
///   shortlist, so it ranks the tool above those shown, and above the rest only by half — a tool
///   registered since, which no shortlist could show, is not buried under it (`gantry replay
///   --agent implicit --unseen-tools`: the full +w cost the new tools' queries 4 pt of MRR@10 on
///   MetaTool, relative credit alone lost the successes' gain on the other queries). A tool's
///   signal is clamp(own + otherTeamWeight · others) with both sums clamped to [−1, 1] first: "own" holds the entries of the caller's team (all entries when the
///   caller or the entry has no team), "others" those of other teams. A correction helps every
///   team, and where teams disagree on the same request each team's own choice wins. The boost
///   fades with the distance from the corrected query.
///
/// Entries are the frozen query embeddings (so retraining the adapter does not invalidate them):
/// one row per correction, and one per distinct query, tool and team that succeeded (a success
/// of a retrieval's tool, `ExecutionEvent.retrieval`: the row's time and expiry move to the
/// newest success). A success counts only while its retrieval's record is kept
/// (`GantryConfiguration.retrievalRetentionDays`): past that its entry weighs nothing, as its
/// record and reports are gone from the store. The queries are `DistinctQueries` (corrected ones
/// with their verdicts, succeeded ones with their entries), and all three are `SegmentedIndex`es:
/// a copy (a published snapshot) shares all but the newest rows, so adding an entry after a
/// snapshot copies little. Their sealed rows are searched through an HNSW graph each, built and
/// extended off the writer (`graphJob()`, `install(_:)`), so a retrieval scans only the newest
/// entries (1,024 to 2,047 while the graphs keep up) and searches the graph for the rest.
struct FeedbackMemory: Sendable {
    struct Settings: Sendable, Equatable, Codable {
        var halfLife: TimeInterval = 30 * 24 * 3600
        /// Entries consulted per query.
        var neighbors = 16
        /// How much another team's corrections count, relative to the caller's team's.
        var otherTeamWeight = 0.5
    }

    struct Entry: Sendable {
        var correct: String
        var wrong: String?
        var at: Date
        var team: String?
        /// When it stops counting (a success: its retrieval record's end of retention); nil for
        /// a correction, which counts until the log loses it.
        var expires: Date?
        /// A success's shortlist (the tools its retrieval showed, `correct` among them); nil for
        /// a correction.
        var shown: [String]?
    }

    /// The tools named by the corrections of one query: the newest overall and each team's newest.
    struct Verdict: Sendable {
        var newest: String
        var newestByTeam: [String: String] = [:]
    }

    /// Who succeeded with which tool on one query: an entry each.
    struct Success: Hashable, Sendable {
        var tool: String
        var team: String?
    }

    /// The reach θ served until `train()` learns one (`MemoryReachChoice`), unless
    /// `GantryConfiguration.feedbackMemoryThreshold` sets it: chosen by `gantry replay` on MetaTool
    /// (test top-1 after `train()` 0.801 at 0.6; 0.761–0.781 at 0.5, 0.7, 0.8).
    static let priorReach: Float = 0.6

    /// Two unit query vectors with cos ≥ 1 − this are the same query. Two copies of one unit
    /// vector (one normalized again, or stored and read back) score within about 1e-6 of 1 in
    /// Float32 (the error grows like √dimension · 2⁻²⁴), while texts that differ by a word score
    /// well below 1 − 1e-4.
    static let sameQueryTolerance: Float = 1e-4

    /// One row per correction, and one per distinct succeeded query, tool and team.
    private var entries: SegmentedIndex<Entry>
    /// One row per distinct corrected query, with the verdicts on it.
    private var corrected: DistinctQueries<Verdict>
    /// One row per distinct succeeded query, with where its entries are.
    private var succeeded: DistinctQueries<[Success: SegmentedIndex<Entry>.Location]>
    /// The entry count at which the next success compacts the memory (`compacted(at:)`).
    private var compactionCount = Self.compactionMinimum
    let settings: Settings

    /// The fewest entries a compaction runs at: below it, expired successes cost little.
    static let compactionMinimum = 4_096

    init(dimension: Int, settings: Settings) throws(GantryError) {
        entries = try SegmentedIndex(dimension: dimension)
        corrected = try DistinctQueries(dimension: dimension)
        succeeded = try DistinctQueries(dimension: dimension)
        self.settings = settings
    }

    var count: Int { entries.count }

    /// Adds a correction (later calls are newer); its query vector is normalized here, once.
    mutating func add(id: Int64, vector: [Float], entry: Entry) throws(GantryError) {
        let unit = try Self.unit(vector, "feedback event \(id)")
        try entries.append(unit, entry)
        if let query = try corrected.find(unit) {
            corrected[query].newest = entry.correct
            if let team = entry.team { corrected[query].newestByTeam[team] = entry.correct }
        } else {
            try corrected.append(unit, Verdict(newest: entry.correct, newestByTeam: entry.team.map { [$0: entry.correct] } ?? [:]))
        }
    }

    /// Adds a success of `entry.correct` (`entry.wrong` nil, `entry.shown` its retrieval's
    /// shortlist) on the query `vector` (later calls are newer): a repeat of a query, tool and
    /// team already held replaces that entry (its time, expiry and shortlist) instead of adding
    /// one, unless its record expires sooner.
    mutating func addSuccess(event id: Int64, vector: [Float], entry: Entry) throws(GantryError) {
        if entries.count >= compactionCount { try compactIfWorthIt(at: entry.at) }
        let unit = try Self.unit(vector, "the retrieval of execution event \(id)")
        let key = Success(tool: entry.correct, team: entry.team)
        guard let query = try succeeded.find(unit) else {
            try succeeded.append(unit, [key: try entries.append(unit, entry)])
            return
        }
        if let location = succeeded[query][key] {
            // The success whose record is kept longer stands (ties: the newer): what a process
            // opened later holds too, once the other record is gone.
            if let held = entries[location].expires, let new = entry.expires, new < held { return }
            entries[location] = entry
        } else {
            succeeded[query][key] = try entries.append(unit, entry)
        }
    }

    /// Successes arrive with every call and their queries are kept until they expire, so
    /// whenever the entries have doubled (from `compactionMinimum`), the memory counts those
    /// expired at `now` and, when they are a quarter or more, drops them (`compacted(at:)`): its
    /// size stays within a small multiple of its live entries, and a compaction (which rebuilds
    /// the graphs) runs only when it frees much. It happens at the same success in every process
    /// that folds the same log, since `now` is the time of the success being added.
    private mutating func compactIfWorthIt(at now: Date) throws(GantryError) {
        var expired = 0
        for ordinal in 0..<entries.count where !Self.counts(entries[entries.location(ofRow: ordinal)], at: now) {
            expired += 1
        }
        if expired * 4 >= entries.count { self = try compacted(at: now) } else { compactionCount = 2 * entries.count }
    }

    /// The memory without the successes expired at `now`, which weigh nothing (corrections and
    /// live successes re-added in their order, so verdicts and entries stay what they were).
    private func compacted(at now: Date) throws(GantryError) -> FeedbackMemory {
        var fresh = try FeedbackMemory(dimension: entries.dimension, settings: settings)
        fresh.compactionCount = .max  // not again while re-adding
        for ordinal in 0..<entries.count {
            let location = entries.location(ofRow: ordinal), entry = entries[location]
            if entry.shown == nil {
                try fresh.add(id: 0, vector: entries.vector(at: location), entry: entry)
            } else if Self.counts(entry, at: now) {
                try fresh.addSuccess(event: 0, vector: entries.vector(at: location), entry: entry)
            }
        }
        fresh.compactionCount = max(Self.compactionMinimum, 2 * fresh.count)
        return fresh
    }

    /// `vector` normalized; throws naming `source` when it cannot be.
    private static func unit(_ vector: [Float], _ source: String) throws(GantryError) -> [Float] {
        var unit = vector
        do { try SIMDKernels.normalize(&unit) } catch { throw .invalidInput("\(source): its query vector is all zeros or not finite") }
        return unit
    }

    /// The tool the newest correction of exactly the frozen unit query `q` names, for a caller of
    /// `team`: its team's own when there is one, else anyone's. Nil when `q` was never corrected.
    func correction(of q: [Float], team: String?) throws(GantryError) -> String? {
        guard let query = try corrected.find(q) else { return nil }
        return team.flatMap { corrected[query].newestByTeam[$0] } ?? corrected[query].newest
    }

    /// The next graph to build or extend, of any index (entries first).
    func graphJob() -> SegmentGraphJob? {
        entries.graphJob() ?? corrected.graphJob() ?? succeeded.graphJob()
    }

    /// Installs a graph built for `graphJob()`; false when it fits no index (see
    /// `SegmentedIndex.install(_:)`).
    mutating func install(_ graph: SegmentGraph) -> Bool {
        entries.install(graph) || corrected.install(graph) || succeeded.install(graph)
    }

    /// Whether `entry` counts at `now`: a correction always, a success until its record's
    /// retention ends (inclusive, as `AgentGantry.retrievalRecord(_:)` finds the record).
    static func counts(_ entry: Entry, at now: Date) -> Bool {
        entry.expires.map { now <= $0 } ?? true
    }

    /// The entries that count at `now` nearest the frozen unit query vector `q`
    /// (`settings.neighbors` of them, best first), with their cosines: what
    /// `signals(from:at:team:reach:)` weighs. Expired successes wait for a compaction, so the
    /// search widens past them (doubling, to 16 times `settings.neighbors` at most, which bounds
    /// a retrieval's cost): they take no place of an entry that counts, and a process opened
    /// later, which never folded them, finds the same.
    func neighbors(of q: [Float], at now: Date) throws(GantryError) -> [(cosine: Float, entry: Entry)] {
        guard entries.count > 0 else { return [] }
        var k = settings.neighbors
        while true {
            let found = try entries.search(q, k: min(k, entries.count))
            let live = found.lazy.map { (cosine: $0.score, entry: entries[$0.location]) }.filter { Self.counts($0.entry, at: now) }
            if live.count >= settings.neighbors || k >= entries.count || k >= 16 * settings.neighbors {
                return Array(live.prefix(settings.neighbors))
            }
            k *= 2
        }
    }

    /// Signals per tool for the frozen unit query vector `q` at time `now`, asked by `team`, from
    /// the entries at cosine ≥ `reach` (< 1) of it.
    func signals(for q: [Float], at now: Date, team: String?, reach: Float) throws(GantryError) -> [String: Double] {
        signals(from: try neighbors(of: q, at: now), at: now, team: team, reach: reach)
    }

    /// Signals per tool from a query's `neighbors`, counting those at cosine ≥ `reach` (< 1).
    func signals(from neighbors: [(cosine: Float, entry: Entry)], at now: Date, team: String?, reach: Float) -> [String: Double] {
        var own = [String: Double](), others = [String: Double]()
        for (cosine, entry) in neighbors where cosine >= reach && Self.counts(entry, at: now) {
            let age = max(0, now.timeIntervalSince(entry.at))
            let weight = Double((cosine - reach) / (1 - reach)) * pow(2, -age / settings.halfLife)
            let isOwn = team == nil || entry.team == nil || entry.team == team
            func add(_ tool: String, _ value: Double) {
                if isOwn { own[tool, default: 0] += value } else { others[tool, default: 0] += value }
            }
            if let shown = entry.shown {  // a success
                add(entry.correct, weight / 2)
                for tool in shown where tool != entry.correct { add(tool, -weight / 2) }
            } else {
                add(entry.correct, weight)
                if let wrong = entry.wrong { add(wrong, -weight) }
            }
        }
        func clamp(_ value: Double) -> Double { min(1, max(-1, value)) }
        return own.mapValues(clamp).merging(others.mapValues { settings.otherTeamWeight * clamp($0) }) { clamp($0 + $1) }
    }
}

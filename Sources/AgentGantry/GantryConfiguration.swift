import Foundation
import GantryAdapt

/// Settings of an `AgentGantry`.
public struct GantryConfiguration: Sendable {
    /// Weights of the signals in the final score, by `Signal` (normalized to sum 1 when used).
    /// The defaults are each provider's `defaultWeight`, with the evidence for it beside it.
    public typealias Weights = SignalValues

    /// SQLite file of the store; nil keeps everything in memory (lost at exit).
    public var storePath: String?
    /// The MiniLM model folder (nil: `GANTRY_MODEL_DIR`, then the bootstrap cache).
    public var modelDirectory: String?
    /// The weight of each signal (`weights[.feedback] = 0.3`); see `Signal` for what each is.
    public var weights = Weights.defaultWeights
    /// Candidates fetched from the index per result asked for (at least 20 in all): that many
    /// from the dense index and from the lexical index each, the best of their union by fused
    /// score competing (`Signal.retrieval`).
    public var candidateMultiplier = 4
    /// The lexical share `w` of the first stage, `(1 − w)·dense + w·lexical` over z-scores
    /// (`ScoreFusion`; `Signal.retrieval`). Nil (the default): the weight `train()` chose from the
    /// feedback with the served adapter, else `ScoreFusion.priorWeight`. 0 turns lexical retrieval
    /// off (dense only, no lexical scoring); 1 ranks the first stage by the query's words alone.
    public var lexicalWeight: Float?
    /// MMR trade-off between relevance (1) and diversity (0). Default 1 (off): on the MetaTool
    /// replay every λ < 1 lowered R@5 (0.9 → −0.6 pt) and never changes top-1; set it below 1 for
    /// diverse shortlists.
    public var mmrLambda = 1.0
    /// Results scoring below this final score are dropped.
    public var scoreThreshold: Double?
    /// Below this many tools the index is exact (flat); above, HNSW.
    public var flatIndexLimit = 5_000
    /// Keep the HNSW graphs of the adapted tools in `<storePath>.tool-index-<hex>` (one per model
    /// and adapter, the three used last) and load one at the next open, adapter swap or
    /// withdrawal instead of building it (tools changed meanwhile are inserted or removed, unless
    /// more than a quarter of the catalogue was; a file made for another model or adapter, or
    /// damaged, is ignored and replaced). A file is written in the background after a graph is
    /// built or brought up to date; they are a cache: deleting one costs one build. Stores
    /// opened with `init(configuration:embedder:store:)` and in-memory stores keep none.
    public var cachesToolIndex = true
    /// Query texts whose frozen embeddings are kept (least recently used first out), so a text
    /// asked again — by a retrieval, or by the feedback on it — is not encoded again; 0 turns the
    /// cache off. Keyed by a 128-bit hash of the text, which is not kept; `forget(user:)` empties
    /// it (in every process that applies the deletion of events). At MiniLM's 384 dimensions the
    /// default holds 6 MB.
    public var queryCacheEntries = 4_096
    /// The most bytes of vectors the query cache holds (`queryCacheEntries`).
    public var queryCacheBytes = 32 << 20
    /// The most query texts one forward pass of the encoder takes: retrievals whose texts miss
    /// the query cache while every pass is taken wait and go together into the next one (no
    /// timer: a query that finds the encoder idle is encoded at once). 1 turns
    /// batching off: every text is encoded at once on its caller's thread, beside other callers'
    /// passes. 16 served the most short requests (12–16 tokens) a second on two cores
    /// (`RouterBench --minilm-batch-limit`: 8, 16, 32, 64 sustained about 2,700, 2,800, 2,500,
    /// 2,600 a second): a pass of a few hundred tokens already fills the products' tiles, and
    /// longer ones served no more. `AgentGantry.queryBatchStatistics` tells how passes were
    /// shared.
    public var queryBatchLimit = 16
    /// Store the (redacted) query text of feedback; false keeps its embedding and the hashes of its
    /// distinct words only (`FeedbackEvent.queryTerms`).
    public var keepQueryText = true
    /// Keep a record of every retrieval (`RetrievalRecord`: the shortlist and the query's
    /// embedding), so that reports naming its id (`recordSelection(retrieval:tool:context:)`)
    /// can be learned from. Records are queued to the store's writer and cost the caller no
    /// wait; false keeps none (ids are still handed out, and reports naming them stay unlinked).
    public var recordsRetrievals = true
    /// Retrieval records and the reports that name them are deleted this many days after their
    /// retrieval (when the store opens, and once an hour while retrievals are recorded). Adapter
    /// versions that learned from them stay: an adapter sums up many records and copies none,
    /// and records age out weekly by default (`forget(user:)`, by contrast, withdraws them).
    public var retrievalRetentionDays = 7

    /// The share of retrievals (0 to 0.5) in which two neighbouring tools of the shortlist trade
    /// places, so that `train()` can measure how much more often an agent picks what is shown
    /// higher (`PositionBias`) and weigh its picks by it. Only positions 2 to `explorationDepth`
    /// are swapped (the first tool is never moved); the pair is drawn from the retrieval's id, and
    /// the record keeps which (`RetrievalRecord.swappedRank`). 0 (the default) swaps nothing:
    /// every position then counts alike in training. A few percent is enough: 0.05 over 10,000
    /// reported retrievals gives each pair about 150 swapped ones.
    public var explorationRate = 0.0
    /// How many leading positions of a shortlist exploration may reorder (at least 3): those an
    /// agent is shown. Pairs are drawn among positions 2…`explorationDepth`.
    public var explorationDepth = 5

    /// The time before which retrieval records and reports are past `retrievalRetentionDays` at `now`.
    func retrievalCutoff(at now: Date) -> Date {
        now.addingTimeInterval(-Double(retrievalRetentionDays) * 86_400)
    }
    /// Events older than this many days are purged when the store opens and before training;
    /// adapter versions trained on purged feedback are withdrawn, as by `forget(user:)`.
    public var retentionDays: Int?
    /// When the store's tools were embedded by another model than the embedder's
    /// (`Embedder.modelIdentity`): true embeds them again at open (a model upgrade; feedback
    /// embedded by the old model is left out of memory and training, and counted); false refuses
    /// to open the store, naming both models (what a batch job that must not change the store's
    /// model wants).
    public var reembedOnModelChange = true
    /// When a tool's circuit breaker opens, how long it stays open and how many probes close it.
    public var breaker = BreakerPolicy()
    var feedbackMemory = FeedbackMemory.Settings()
    /// Feedback memory: the lowest cosine between a new query and a corrected one that counts —
    /// how far feedback reaches beyond the query it was about. nil (the default): the reach
    /// `train()` chose on held-out feedback with the served adapter (`MemoryReachChoice`:
    /// `TrainingSummary.feedbackMemoryThreshold`), else 0.6; a value here is served instead.
    public var feedbackMemoryThreshold: Float?
    /// Feedback memory: the age at which a correction counts half.
    public var feedbackHalfLife: TimeInterval {
        get { feedbackMemory.halfLife }
        set { feedbackMemory.halfLife = newValue }
    }
    /// Feedback memory: how much another team's corrections count for a caller of a team, relative
    /// to the caller's team's own (1 treats all teams alike; the demo's teams need < 1).
    public var feedbackOtherTeamWeight: Double {
        get { feedbackMemory.otherTeamWeight }
        set { feedbackMemory.otherTeamWeight = newValue }
    }
    /// The time the gantry reads (`GantryClock.system`: real time); tests and replays inject
    /// their own.
    public var clock = GantryClock.system
    /// How often an `AgentGantry` on a store file looks for what other processes stored there
    /// (`AgentGantry.followStore()`): today the adapter version to serve — one another process's
    /// `train()` or `gantry train --store` published, or the one left after its `forget`. Each
    /// look is one `PRAGMA data_version` read unless something changed. Nil: never (the state
    /// read at open is kept until the next open).
    public var followInterval: Duration? = .milliseconds(250)
    /// How `train()` trains the adapter.
    public var training = TrainingConfiguration()
    /// Preference counts act like this many pseudo-events spread evenly (smoothing).
    public var preferenceSmoothing = 10.0

    /// The default store location: `$XDG_DATA_HOME/agent-gantry/gantry.sqlite`
    /// (`~/.local/share/agent-gantry/gantry.sqlite`).
    public static var defaultStorePath: String {
        let environment = ProcessInfo.processInfo.environment
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/share")
        return data + "/agent-gantry/gantry.sqlite"
    }

    /// Defaults everywhere, with the store at `storePath` (nil: in memory, nothing kept; the default:
    /// `defaultStorePath`).
    public init(storePath: String? = GantryConfiguration.defaultStorePath) {
        self.storePath = storePath
    }
}

extension GantryConfiguration {
    /// Throws `GantryError.invalidInput` naming the first setting out of its range (checked when
    /// an `AgentGantry` opens, so a bad value fails at start rather than in the first query or
    /// `train()`).
    public func validate() throws(GantryError) {
        func check(_ ok: Bool, _ message: String) throws(GantryError) { if !ok { throw .invalidInput("configuration: " + message) } }
        try check(weights.all.allSatisfy { $0.isFinite && $0 >= 0 } && weights.total > 0,
                  "weights must be finite, not negative, and not all zero")
        try check(weights[.lexical] == 0, "weights[.lexical] must be 0: the BM25F score is unbounded and is reported, not weighted; "
                  + "set lexicalWeight to weigh lexical evidence in Signal.retrieval")
        try check(lexicalWeight.map { $0.isFinite && (0...1).contains($0) } ?? true, "lexicalWeight must be in 0...1 (or nil: learned)")
        try check(candidateMultiplier >= 1, "candidateMultiplier must be at least 1")
        try check(mmrLambda.isFinite && (0...1).contains(mmrLambda), "mmrLambda must be in 0...1")
        try check(scoreThreshold?.isFinite ?? true, "scoreThreshold must be finite")
        try check(flatIndexLimit >= 0, "flatIndexLimit must not be negative")
        try check(queryCacheEntries >= 0 && queryCacheBytes >= 0, "queryCacheEntries and queryCacheBytes must not be negative (0: no cache)")
        try check((1...1_024).contains(queryBatchLimit), "queryBatchLimit must be in 1...1024 (1: no batching), got \(queryBatchLimit)")
        try check(retentionDays.map { $0 >= 1 } ?? true, "retentionDays must be at least 1")
        try check(retrievalRetentionDays >= 1, "retrievalRetentionDays must be at least 1 (recordsRetrievals = false keeps no records)")
        try check(followInterval.map { $0 > .zero } ?? true, "followInterval must be positive (or nil: never follow)")
        try check(feedbackMemoryThreshold.map { $0.isFinite && $0 >= -1 && $0 < 1 } ?? true,
                  "feedbackMemoryThreshold must be in [-1, 1) (a cosine), or nil: learned by train()")
        try check(feedbackHalfLife.isFinite && feedbackHalfLife > 0, "feedbackHalfLife must be positive")
        try check(feedbackOtherTeamWeight.isFinite && (0...1).contains(feedbackOtherTeamWeight), "feedbackOtherTeamWeight must be in 0...1")
        try check(preferenceSmoothing.isFinite && preferenceSmoothing >= 0, "preferenceSmoothing must not be negative")
        try check(explorationRate.isFinite && (0...0.5).contains(explorationRate), "explorationRate must be in 0...0.5")
        try check(explorationDepth >= 3, "explorationDepth must be at least 3 (the first position is never swapped)")
        let b = breaker
        try check(b.consecutiveFailures >= 1 && b.window >= 1 && b.minimumCalls >= 1 && b.probes >= 1 && b.successesToClose >= 1,
                  "breaker counts (consecutiveFailures, window, minimumCalls, probes, successesToClose) must be at least 1")
        try check(b.failureRate.isFinite && b.failureRate > 0 && b.failureRate <= 1, "breaker.failureRate must be in (0, 1]")
        try check(b.coolDown.isFinite && b.coolDown >= 0, "breaker.coolDown must not be negative")
        try adaptError { () throws(AdaptError) in try training.validate() }
        try check(training.gateFraction >= 0.01, "training.gateFraction must be at least 0.01: train() applies an adapter only when "
                  + "the gate's held-out requests show it better than the one served")
        try check(training.gateRequestsLimit >= TrainingGate.minimumRequests,
                  "training.gateRequestsLimit must be at least \(TrainingGate.minimumRequests), the fewest requests the gate decides on")
    }
}

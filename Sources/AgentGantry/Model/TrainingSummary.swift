import GantryAdapt

/// What `AgentGantry.train()` did.
public struct TrainingSummary: Sendable {
    /// Feedback events used (those whose correct tool is registered).
    public var events: Int
    /// Distinct requests among them (`RequestGroups`), the unit training holds out by.
    public var requests = 0
    /// Whether the new adapter replaced the previous state (it must pass the gate).
    public var applied: Bool
    /// Why not, when not applied: a sentence with the figures it was decided on.
    public var reason: String?
    /// The trainer's report, with the gate's decision (nil when training did not run).
    public var report: TrainingReport?
    /// The gate's decision: held-out requests, MRR@10 of the served state and of the new adapter,
    /// the gain and its lower confidence bound (nil when training did not run).
    public var gate: GateDecision?
    /// When not applied for want of evidence: about how many more distinct requests of feedback
    /// would let training apply, assuming new requests behave like these (nil when applied, or
    /// when the adapter did not gain enough for more feedback of the same kind to change that).
    public var moreRequestsNeeded: Int?
    /// Recorded retrievals learned from: those a report names with a successful call of a
    /// registered tool (`ReportedExample`).
    public var reportedRetrievals = 0
    /// How often the agents looked at each shortlist position relative to the first, as measured
    /// from the retrievals exploration reordered (`GantryConfiguration.explorationRate`); a pick
    /// at rank r weighed 1/θᵣ in training. Nil: too few explored retrievals, every pick weighed 1.
    public var positionPropensities: [Double]?
    /// Feedback events left out because their correct tool is not registered (removed since).
    public var unregisteredToolEvents = 0
    /// Stored feedback events left out because another model (another `Embedder.modelIdentity`)
    /// embedded their queries.
    public var otherModelEvents = 0
    /// The version the new adapter was stored as (`AgentGantry.adapterVersions()`), when applied.
    public var adapterVersion: Int64?
    /// The lexical weight of hybrid retrieval learned with the new adapter, when applied and a
    /// weight beat `ScoreFusion.priorWeight` on the held-out feedback (nil: the prior serves,
    /// unless `GantryConfiguration.lexicalWeight` is set).
    public var lexicalWeight: Float?
    /// How the lexical weight was decided, when the adapter was applied (`FusionWeightSelection`).
    public var lexicalWeightReason: String?
    /// The feedback memory's reach chosen with the applied adapter on held-out feedback
    /// (`MemoryReachChoice`; served with it unless `GantryConfiguration.feedbackMemoryThreshold`
    /// is set); nil when no adapter was applied or no feedback event was in the training split.
    public var feedbackMemoryThreshold: Float?
    /// How the reach was chosen, with each candidate's held-out MRR@10.
    public var feedbackMemoryThresholdReason: String?

    /// A summary as `train()` reports it.
    public init(events: Int, requests: Int = 0, applied: Bool, reason: String? = nil, report: TrainingReport? = nil,
                gate: GateDecision? = nil, moreRequestsNeeded: Int? = nil, otherModelEvents: Int = 0, adapterVersion: Int64? = nil) {
        (self.events, self.requests, self.applied, self.reason, self.report) = (events, requests, applied, reason, report)
        (self.gate, self.moreRequestsNeeded, self.otherModelEvents, self.adapterVersion) = (gate, moreRequestsNeeded, otherModelEvents, adapterVersion)
    }
}

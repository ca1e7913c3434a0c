import GantryAdapt

/// What `AgentGantry.train()` did.
public struct TrainingSummary: Sendable {
    /// Feedback events used (those whose correct tool is registered).
    public var events: Int
    /// Whether the new adapter replaced the previous state (it must beat it on validation).
    public var applied: Bool
    /// Why not, when not applied.
    public var reason: String?
    /// The trainer's report (nil when training did not run).
    public var report: TrainingReport?
    /// Stored feedback events left out because another model (another `Embedder.modelIdentity`)
    /// embedded their queries.
    public var otherModelEvents = 0
    /// The version the new adapter was stored as (`AgentGantry.adapterVersions()`), when applied.
    public var adapterVersion: Int64?
}

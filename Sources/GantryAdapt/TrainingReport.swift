/// What happened in a training run.
public struct TrainingReport: Sendable, Codable {
    /// The settings of the run.
    public var configuration: TrainingConfiguration
    /// Examples trained on (`RequestSplit`'s training fold).
    public var trainingQueries: Int
    /// Examples of the selection fold.
    public var validationQueries: Int
    /// Distinct requests of the training fold.
    public var trainingRequests: Int
    /// Distinct requests of the selection fold.
    public var selectionRequests: Int
    /// Selection-fold metrics of the identity (frozen embeddings).
    public var identityValidation: RetrievalMetrics
    /// Selection-fold metrics of the returned adapter.
    public var bestValidation: RetrievalMetrics
    /// The epoch whose checkpoint was returned; 0 means the starting point (the identity, or the
    /// warm start when configured and better on selection): no epoch beat it.
    public var bestEpoch: Int
    /// Every epoch run, in order.
    public var epochs: [EpochReport]
    /// Triplets processed by optimisation steps.
    public var triplets: Int
    /// Triplets per second of optimisation steps (mining and selection not counted).
    public var tripletsPerSecond: Double
    /// GFLOP/s of those steps (`TripletObjective.flops`).
    public var stepGFLOPs: Double
    /// Wall-clock seconds of the run.
    public var seconds: Double
    /// The gate's decision on the returned adapter, when a gate was asked (`AgentGantry.train()`).
    public var gate: GateDecision?
    /// The lexical share of hybrid retrieval chosen with the adapter on held-out feedback
    /// (`FusionWeightSelection`), when one beat the prior (`AgentGantry.train()`; nil otherwise).
    /// Stored with the report, in the store's adapter version and the adapter file's metrics, so
    /// that every process serving the adapter serves the weight.
    public var lexicalWeight: Float? = nil
    /// The feedback memory's reach (the lowest cosine to a query with feedback that counts)
    /// chosen with the adapter on held-out feedback (`AgentGantry.train()`; nil when none was).
    /// Stored with the report, as `lexicalWeight` is.
    public var memoryReach: Float? = nil
}

/// What happened in a training run.
public struct TrainingReport: Sendable, Codable {
    /// The settings of the run.
    public var configuration: TrainingConfiguration
    /// Examples trained on and examples of the selection fold (`RequestSplit`).
    public var trainingQueries: Int
    public var validationQueries: Int
    /// Distinct requests of the training and selection folds.
    public var trainingRequests: Int
    public var selectionRequests: Int
    /// Selection-fold metrics of the identity (frozen embeddings) and of the returned adapter.
    public var identityValidation: RetrievalMetrics
    public var bestValidation: RetrievalMetrics
    /// The epoch whose checkpoint was returned; 0 means the starting point (the identity, or the
    /// warm start when configured and better on selection): no epoch beat it.
    public var bestEpoch: Int
    /// Every epoch run, in order.
    public var epochs: [EpochReport]
    /// Triplets processed by optimisation steps, their rate and the FLOP rate of those steps.
    public var triplets: Int
    public var tripletsPerSecond: Double
    public var stepGFLOPs: Double
    /// Wall-clock seconds of the run.
    public var seconds: Double
    /// The gate's decision on the returned adapter, when a gate was asked (`AgentGantry.train()`).
    public var gate: GateDecision?
}

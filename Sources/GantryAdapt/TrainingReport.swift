/// What happened in a training run.
public struct TrainingReport: Sendable, Codable {
    public var configuration: TrainingConfiguration
    public var trainingQueries: Int
    public var validationQueries: Int
    /// Validation metrics of the identity (frozen embeddings) and of the returned adapter.
    public var identityValidation: RetrievalMetrics
    public var bestValidation: RetrievalMetrics
    /// The epoch whose checkpoint was returned; 0 means the starting point (the identity, or the
    /// warm start when configured and better on validation): no epoch beat it.
    public var bestEpoch: Int
    public var epochs: [EpochReport]
    /// Triplets processed by optimisation steps, their rate and the FLOP rate of those steps.
    public var triplets: Int
    public var tripletsPerSecond: Double
    public var stepGFLOPs: Double
    public var seconds: Double
}

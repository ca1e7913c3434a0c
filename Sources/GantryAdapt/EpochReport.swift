/// One epoch of training, as reported to progress handlers and in the report.
public struct EpochReport: Sendable, Codable, Equatable {
    public var epoch: Int
    /// Mean triplet loss over the epoch's steps.
    public var loss: Double
    /// Share of triplets that violated the margin.
    public var activeFraction: Double
    public var triplets: Int
    public var validation: RetrievalMetrics
    public var seconds: Double
}

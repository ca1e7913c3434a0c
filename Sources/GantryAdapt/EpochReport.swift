/// One epoch of training, as reported to progress handlers and in the report.
public struct EpochReport: Sendable, Codable, Equatable {
    /// The epoch's number, from 1.
    public var epoch: Int
    /// Mean triplet loss over the epoch's steps.
    public var loss: Double
    /// Share of triplets that violated the margin.
    public var activeFraction: Double
    /// Triplets the epoch's steps processed.
    public var triplets: Int
    /// Metrics on the selection fold at the epoch's end (the better of the raw and the averaged
    /// parameters).
    public var validation: RetrievalMetrics
    /// Wall-clock seconds of the epoch, mining and selection included.
    public var seconds: Double
}

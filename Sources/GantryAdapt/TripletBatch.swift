import GantryMath

/// One optimisation step's data: anchor query rows with their weights, and triplets (anchor
/// slot, positive tool, negative tool) over catalog rows.
struct TripletBatch: Sendable {
    var anchors: [Int]
    /// Each anchor slot's weight in the loss (its (query, positive) pair's,
    /// `TrainingExamples.positiveWeights`): every triplet and pair of the slot counts this much
    /// (empty: 1 each).
    var weights: [Float] = []
    var triplets: [(anchor: Int32, positive: Int32, negative: Int32)]
    /// When set (one entry per anchor slot: its positive tool and the query's other correct
    /// tools), every tool of the batch that is not correct for the anchor is a negative
    /// ("batch-all"), and the loss is the mean over the triplets that violate the margin.
    var everyNegative: [(positive: Int32, alsoCorrect: [Int32])]? = nil
}

import Foundation
import GantryMath

/// What an adapter learns from: training query vectors, each with its correct tools (catalog
/// rows) and how much each counts, tools known to be wrong for it (explicit feedback; may be
/// empty) and, where kept, the query's text (used only to tell distinct requests apart when
/// holding data out: `RequestSplit`).
public struct TrainingExamples: Sendable {
    /// One query vector per row.
    public var queries: Matrix
    /// The correct catalog rows of each query.
    public var positives: [[Int]]
    /// The weight of each (query, correct tool) pair in the loss, parallel to `positives`: 1 for
    /// a label someone gave; an inverse propensity for a tool an agent picked from a shortlist
    /// (a pick from a position the agent looks at less often counts more).
    public var positiveWeights: [[Float]]
    /// Catalog rows known to be wrong for each query.
    public var explicitNegatives: [[Int]]
    /// The text of each query, nil where it was not kept (then its vector alone identifies the
    /// request).
    public var texts: [String?]

    /// Throws `AdaptError.invalidSetting` when the label, weight, negative or text lists do not
    /// have one entry per query row, a weight list is not as long as its label list, or a weight
    /// is not a finite positive number. Without `positiveWeights` every pair weighs 1.
    public init(queries: Matrix, positives: [[Int]], positiveWeights: [[Float]]? = nil, explicitNegatives: [[Int]]? = nil,
                texts: [String?]? = nil) throws(AdaptError) {
        guard positives.count == queries.rows else {
            throw .invalidSetting("\(queries.rows) query vectors but \(positives.count) label lists")
        }
        let weights = positiveWeights ?? positives.map { Array(repeating: 1, count: $0.count) }
        guard weights.count == queries.rows else {
            throw .invalidSetting("\(queries.rows) query vectors but \(weights.count) weight lists")
        }
        for (row, (labels, list)) in zip(positives, weights).enumerated() {
            guard list.count == labels.count else {
                throw .invalidSetting("query row \(row) has \(labels.count) correct tools but \(list.count) weights")
            }
            if let bad = list.first(where: { !($0.isFinite && $0 > 0) }) {
                throw .invalidSetting("query row \(row) has the weight \(bad): weights must be finite and positive")
            }
        }
        let negatives = explicitNegatives ?? Array(repeating: [], count: queries.rows)
        guard negatives.count == queries.rows else {
            throw .invalidSetting("\(queries.rows) query vectors but \(negatives.count) negative lists")
        }
        let texts = texts ?? Array(repeating: nil, count: queries.rows)
        guard texts.count == queries.rows else {
            throw .invalidSetting("\(queries.rows) query vectors but \(texts.count) texts")
        }
        self.queries = queries
        self.positives = positives
        self.positiveWeights = weights
        self.explicitNegatives = negatives
        self.texts = texts
    }
}

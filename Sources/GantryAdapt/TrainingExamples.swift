import Foundation
import GantryMath

/// What an adapter learns from: training query vectors, each with its correct tools (catalog
/// rows) and tools known to be wrong for it (explicit feedback; may be empty).
public struct TrainingExamples: Sendable {
    /// The query vectors, one row per example (unit length, the frozen embeddings).
    public var queries: Matrix
    /// The correct tools of each query, as rows of the catalog matrix the trainer is given.
    public var positives: [[Int]]
    /// Tools known to be wrong for each query (the wrongly selected tool of a correction), as
    /// catalog rows; an empty list where there are none. Used as negatives besides the mined ones.
    public var explicitNegatives: [[Int]]

    /// Examples from query rows and their labels (`explicitNegatives` nil: none). Throws
    /// `AdaptError.invalidSetting` unless there is one label list (and one negative list) per query.
    public init(queries: Matrix, positives: [[Int]], explicitNegatives: [[Int]]? = nil) throws(AdaptError) {
        guard positives.count == queries.rows else {
            throw .invalidSetting("\(queries.rows) query vectors but \(positives.count) label lists")
        }
        let negatives = explicitNegatives ?? Array(repeating: [], count: queries.rows)
        guard negatives.count == queries.rows else {
            throw .invalidSetting("\(queries.rows) query vectors but \(negatives.count) negative lists")
        }
        self.queries = queries
        self.positives = positives
        self.explicitNegatives = negatives
    }
}

import Foundation
import GantryMath

/// What an adapter learns from: training query vectors, each with its correct tools (catalog
/// rows) and tools known to be wrong for it (explicit feedback; may be empty).
public struct TrainingExamples: Sendable {
    public var queries: Matrix
    public var positives: [[Int]]
    public var explicitNegatives: [[Int]]

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

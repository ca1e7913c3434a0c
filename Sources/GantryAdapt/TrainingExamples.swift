import Foundation
import GantryMath

/// What an adapter learns from: training query vectors, each with its correct tools (catalog
/// rows), tools known to be wrong for it (explicit feedback; may be empty) and, where kept, the
/// query's text (used only to tell distinct requests apart when holding data out: `RequestSplit`).
public struct TrainingExamples: Sendable {
    /// One query vector per row.
    public var queries: Matrix
    /// The correct catalog rows of each query.
    public var positives: [[Int]]
    /// Catalog rows known to be wrong for each query.
    public var explicitNegatives: [[Int]]
    /// The text of each query, nil where it was not kept (then its vector alone identifies the
    /// request).
    public var texts: [String?]

    /// Throws `AdaptError.invalidSetting` when the label, negative or text lists do not have one
    /// entry per query row.
    public init(queries: Matrix, positives: [[Int]], explicitNegatives: [[Int]]? = nil, texts: [String?]? = nil) throws(AdaptError) {
        guard positives.count == queries.rows else {
            throw .invalidSetting("\(queries.rows) query vectors but \(positives.count) label lists")
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
        self.explicitNegatives = negatives
        self.texts = texts
    }
}

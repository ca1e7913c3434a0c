/// A tool competing in one retrieval.
struct Candidate: Sendable {
    var name: String
    /// Cosine similarity of the adapted query and the tool's adapted vector.
    var semantic: Double
}

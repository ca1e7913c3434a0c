import GantryMath

/// Turns texts into unit-length embedding vectors, one row per text.
public protocol Embedder: Sendable {
    /// The length of every vector.
    var dimension: Int { get }
    /// Which model made the vectors, recorded in index and adapter files so that vectors of
    /// different models are never mixed.
    var modelIdentity: String { get }
    /// One row per text, in order.
    func embed(_ texts: [String]) throws -> Matrix
}

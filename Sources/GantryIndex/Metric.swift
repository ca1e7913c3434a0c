/// How similarity is scored. Higher is more similar for both.
public enum Metric: UInt8, Sendable, CustomStringConvertible {
    /// `score = ⟨q, x⟩` on the vectors as given.
    case innerProduct = 0
    /// `score = cos(q, x)`: vectors are normalized when added, queries when searched.
    case cosine = 1

    /// `cosine` or `inner product`.
    public var description: String { self == .cosine ? "cosine" : "inner product" }
}

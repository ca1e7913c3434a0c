/// One field of the documents a `LexicalIndex` holds (a tool's name, its description, its
/// parameters…) with its BM25F parameters.
public struct LexicalField: Sendable, Hashable {
    /// The field's name, as saved files and messages name it.
    public var name: String
    /// How much one occurrence of a term in this field counts, against the other fields (> 0).
    public var weight: Float
    /// How strongly the field's length normalises its counts, in 0...1 (0: not at all; 1: counts
    /// are divided by the length relative to the field's mean length).
    public var b: Float

    /// A field with its weight and length normalisation.
    public init(name: String, weight: Float = 1, b: Float = 0.75) {
        (self.name, self.weight, self.b) = (name, weight, b)
    }
}

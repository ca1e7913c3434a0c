/// Restricts a search to some ids. The restriction is applied while searching (only allowed
/// vectors are scored or returned), so a search still returns k hits when k are allowed.
public enum SearchFilter: Sendable {
    /// Only these ids.
    case allowing(Set<VectorID>)
    /// Only ids for which the predicate holds (called at most once per indexed id and search).
    case matching(@Sendable (VectorID) -> Bool)
    /// Every id except these. Costs a lookup per excluded id rather than a call per indexed id,
    /// so excluding a few ids from a large index stays cheap.
    case excluding(Set<VectorID>)
}

/// Restricts a search to some ids. The restriction is applied while searching (only allowed
/// vectors are scored or returned), so a search still returns k hits when k are allowed.
public enum SearchFilter: Sendable {
    /// Only these ids.
    case allowing(Set<VectorID>)
    /// Only ids for which the predicate holds (called at most once per indexed id and search).
    case matching(@Sendable (VectorID) -> Bool)
}

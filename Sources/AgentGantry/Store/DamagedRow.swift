/// A stored row that does not hold what the schema promises (a damaged file).
struct DamagedRow: Error, CustomStringConvertible {
    var column: String
    var description: String { "a stored row's column \(column) is missing or holds a value of another type; the store is damaged" }
}

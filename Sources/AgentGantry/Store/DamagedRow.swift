/// Why a stored row does not hold what the schema and the facade's validation promise (a
/// damaged file, or a row written by a version that checked less).
struct DamagedRow: Error, CustomStringConvertible {
    var reason: String

    init(reason: String) {
        self.reason = reason
    }

    /// A column the row's kind needs is missing or holds a value of another type.
    init(column: String) {
        reason = "its column \(column) is missing or holds a value of another type"
    }

    var description: String { "a stored row is damaged: \(reason)" }
}

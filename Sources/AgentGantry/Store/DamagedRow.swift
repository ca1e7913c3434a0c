/// Why a stored row does not hold what the schema and the facade's validation promise (a
/// damaged file, or a row written by a version that checked less).
@_spi(StoreImplementation) public struct DamagedRow: Error, CustomStringConvertible {
    /// What is wrong with the row.
    public var reason: String

    /// A row damaged for `reason`.
    public init(reason: String) {
        self.reason = reason
    }

    /// A column the row's kind needs is missing or holds a value of another type.
    public init(column: String) {
        reason = "its column \(column) is missing or holds a value of another type"
    }

    public var description: String { "a stored row is damaged: \(reason)" }
}

/// The shape of a matrix, printed as `rows×cols`.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
    public var rows: Int
    public var cols: Int

    public init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
    }

    public var description: String { "\(rows)×\(cols)" }
}

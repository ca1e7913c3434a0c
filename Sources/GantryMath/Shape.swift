/// The shape of a matrix, printed as `rows×cols`.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
    /// Number of rows.
    public var rows: Int
    /// Number of columns (the row stride of a row-major matrix).
    public var cols: Int

    /// A shape of `rows` rows and `cols` columns (not checked: `Matrix` checks the shapes it is given).
    public init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
    }

    /// `rows×cols`, e.g. `256×384`, as error messages print shapes.
    public var description: String { "\(rows)×\(cols)" }
}

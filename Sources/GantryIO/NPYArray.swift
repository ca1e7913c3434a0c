/// The float32 array of an `.npy` file: `rows × cols` values, row-major (row stride = `cols`).
/// A 1-D array is one row.
public struct NPYArray: Equatable, Sendable {
    /// Number of rows (1 for a 1-D array).
    public let rows: Int
    /// Number of columns, which is also the row stride.
    public let cols: Int
    /// The values, row after row; `values.count == rows * cols` always holds.
    public let values: [Float]

    /// An array of the given shape; nil unless `values.count == rows * cols`.
    public init?(rows: Int, cols: Int, values: [Float]) {
        guard rows >= 0, cols >= 0, rows.multipliedReportingOverflow(by: cols) == (values.count, false) else { return nil }
        self.init(checkedRows: rows, cols: cols, values: values)
    }

    init(checkedRows rows: Int, cols: Int, values: [Float]) {
        self.rows = rows
        self.cols = cols
        self.values = values
    }
}

import GantryIO

extension Matrix {
    /// The matrix of an `.npy` array: the same shape and row-major values (a 1-D array is one
    /// row), sharing its storage. Read one with `Matrix(try NPYFile.read(path))`.
    public init(_ array: NPYArray) {
        rows = array.rows
        cols = array.cols
        storage = array.values
    }
}

extension NPYArray {
    /// The array of `matrix`'s shape and values, sharing its storage.
    public init(_ matrix: Matrix) {
        self.init(rows: matrix.rows, cols: matrix.cols, values: matrix.values)!  // a Matrix holds rows × cols values
    }
}

extension NPYFile {
    /// Writes `matrix` as a version 1.0 `.npy` file (`<f4`, C order, shape (rows, cols)),
    /// atomically.
    public static func write(_ matrix: Matrix, to path: String) throws(FileFormatError) {
        try write(NPYArray(matrix), to: path)
    }

    /// The `.npy` bytes of `matrix`, byte-identical to what NumPy writes.
    public static func encode(_ matrix: Matrix) -> [UInt8] { encode(NPYArray(matrix)) }
}

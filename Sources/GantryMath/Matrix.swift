/// A dense row-major matrix of `Float`, stored contiguously: element (r, c) is at
/// `values[r * cols + c]` (row stride = `cols`). A value type with copy-on-write storage.
public struct Matrix: Equatable, Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns, which is also the row stride.
    public let cols: Int
    /// The elements, row after row; `storage.count == rows * cols` always holds.
    @usableFromInline
    internal var storage: [Float]

    /// The elements, row after row (`rows * cols` of them).
    public var values: [Float] { storage }

    /// A `rows`×`cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "matrix dimensions must not be negative")
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    /// A matrix over a flat row-major buffer; throws unless `values.count == rows * cols`.
    public init(rows: Int, cols: Int, values: [Float]) throws(MathError) {
        guard rows >= 0, cols >= 0, rows.multipliedReportingOverflow(by: cols) == (values.count, false)
        else { throw .invalidShape(rows: rows, cols: cols, valueCount: values.count) }
        self.rows = rows
        self.cols = cols
        self.storage = values
    }

    /// A matrix whose rows are `rowArrays`; throws if they differ in length. An empty list
    /// gives a 0×`cols` matrix.
    public init(rowArrays: [[Float]], cols emptyCols: Int = 0) throws(MathError) {
        let cols = rowArrays.first?.count ?? emptyCols
        var values = [Float]()
        values.reserveCapacity(rowArrays.count * cols)
        for (index, row) in rowArrays.enumerated() {
            guard row.count == cols else {
                throw .raggedRows(row: index, expectedLength: cols, foundLength: row.count)
            }
            values.append(contentsOf: row)
        }
        self.rows = rowArrays.count
        self.cols = cols
        self.storage = values
    }

    /// The `size`×`size` identity matrix.
    public static func identity(_ size: Int) -> Matrix {
        var matrix = Matrix(rows: size, cols: size)
        for i in 0..<size { matrix.storage[i * size + i] = 1 }
        return matrix
    }

    /// The shape, `rows×cols`.
    public var shape: Shape { Shape(rows: rows, cols: cols) }

    /// Element (row, col).
    @inlinable
    public subscript(row: Int, col: Int) -> Float {
        get {
            precondition(row >= 0 && row < rows && col >= 0 && col < cols, "index out of range")
            return storage[row * cols + col]
        }
        set {
            precondition(row >= 0 && row < rows && col >= 0 && col < cols, "index out of range")
            storage[row * cols + col] = newValue
        }
    }

    /// Row `index` as a slice of the storage (no copy).
    public func row(_ index: Int) -> ArraySlice<Float> {
        precondition(index >= 0 && index < rows, "row \(index) out of range 0..<\(rows)")
        return storage[index * cols..<(index + 1) * cols]
    }

    /// Replaces row `index`; throws if `newValues` has the wrong length.
    public mutating func setRow(_ index: Int, to newValues: some Collection<Float>) throws(MathError) {
        precondition(index >= 0 && index < rows, "row \(index) out of range 0..<\(rows)")
        guard newValues.count == cols else {
            throw .lengthMismatch(operation: "setRow", left: cols, right: newValues.count)
        }
        storage.replaceSubrange(index * cols..<(index + 1) * cols, with: newValues)
    }

    /// Calls `body` with row `index` as a buffer of `cols` floats (no copy).
    @inlinable
    public func withRow<Result>(
        _ index: Int, _ body: (UnsafeBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        precondition(index >= 0 && index < rows, "row \(index) out of range 0..<\(rows)")
        return try storage.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[index * cols..<(index + 1) * cols]))
        }
    }

    /// Calls `body` with the whole row-major storage.
    @inlinable
    public func withUnsafeBufferPointer<Result>(
        _ body: (UnsafeBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the whole row-major storage, writable.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<Result>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// The transpose, `cols`×`rows`.
    public func transposed() -> Matrix {
        var result = Matrix(rows: cols, cols: rows)
        for r in 0..<rows {
            for c in 0..<cols { result.storage[c * rows + r] = storage[r * cols + c] }
        }
        return result
    }

    /// The position of the first NaN or infinite element, if any.
    public func firstNonFinite() -> (row: Int, col: Int)? {
        guard let index = storage.firstIndex(where: { !$0.isFinite }) else { return nil }
        return (index / cols, index % cols)
    }
}

extension Matrix: CustomStringConvertible {
    /// `Matrix(rows×cols)`: the shape, not the values (which may be millions).
    public var description: String { "Matrix(\(shape))" }
}

import CBLAS
import GantryKernels

/// A `rows × columns` matrix (row-major; rows are the inputs of `TransformerKernels.multiplyAdd`,
/// columns its outputs) as 8-bit codes: each column scaled to −127…127 by its own factor, the
/// few weights beyond 6 × their column's root mean square kept exactly beside the codes. Made
/// by rounding each weight to its nearest code, or by choosing the codes that keep the product's
/// error small on inputs like those the matrix will see (`init(minimizingOutputError:…)`).
/// `TransformerKernels.PackedMatrix(_:)` packs it.
public struct Int8Quantization: Sendable {
    /// Rows (inputs) of the matrix.
    public let rows: Int
    /// Columns (outputs) of the matrix.
    public let columns: Int
    /// The codes, `rows × columns`, row-major; 0 where a weight is kept exactly.
    let codes: [Int8]
    /// Each column's scale: a weight is its code times its column's scale.
    let scales: [Float]
    /// The weights kept exactly, listed by column, ascending.
    let outliers: [gk_i8_weight_outlier]

    /// Each weight rounded to its column's nearest code (`gk_i8_quantise_columns`): the column's
    /// scale is the largest magnitude of its weights but its outliers, over 127.
    public init(roundingToNearest w: UnsafeBufferPointer<Float>, rows: Int, columns: Int) {
        precondition(w.count == rows * columns)
        self.rows = rows
        self.columns = columns
        let outlierCount = gk_i8_weight_outlier_count(w.baseAddress, rows, columns)
        var scales = [Float](repeating: 0, count: columns)
        var outliers = [gk_i8_weight_outlier](repeating: gk_i8_weight_outlier(), count: outlierCount)
        codes = [Int8](unsafeUninitializedCapacity: rows * columns) { buffer, initialized in
            gk_i8_quantise_columns(w.baseAddress, rows, columns, buffer.baseAddress, &scales, &outliers)
            initialized = buffer.count
        }
        self.scales = scales
        self.outliers = outliers
    }

    /// The weights as the 8-bit product uses them (`rows × columns`, row-major): each code times
    /// its column's scale, the outliers exact. Its difference from the float weights is the
    /// quantisation error.
    public func dequantized() -> [Float] {
        var values = (0..<rows * columns).map { Float(codes[$0]) * scales[$0 % columns] }
        for outlier in outliers { values[Int(outlier.row) * columns + Int(outlier.column)] = outlier.value }
        return values
    }

    /// Codes chosen row by row so that the product's error on inputs with this Gram matrix stays
    /// small: GPTQ (Frantar et al., 2023, "Accurate post-training quantization for generative
    /// pre-trained transformers"). The scales and the weights kept exactly are those of
    /// `init(roundingToNearest:…)`; rows are taken in order of their inputs' energy (the
    /// diagonal of the Gram matrix, largest first), and each row's rounding error is carried
    /// into the rows not yet rounded along the upper Cholesky factor of the inverse Gram matrix,
    /// which minimises the squared error of `x·W` over the inputs x the Gram matrix summarises.
    /// Outliers absorb the error carried to them and stay exact.
    ///
    /// - Parameters:
    ///   - w: the float weights, `rows × columns`, row-major.
    ///   - rows: rows (inputs) of `w`.
    ///   - columns: columns (outputs) of `w`.
    ///   - inputGram: `XᵀX` (`rows × rows`) over sample inputs X, any scale.
    ///   - damping: added to the Gram matrix's diagonal, as a fraction of its mean, so that it can
    ///     be factored (1% as in the paper).
    /// - Throws: `MathError` when the damped Gram matrix cannot be factored in floats, or has the
    ///   wrong shape or non-finite entries.
    public init(minimizingOutputError w: UnsafeBufferPointer<Float>, rows: Int, columns: Int, inputGram: Matrix,
                damping: Float = 0.01) throws(MathError) {
        guard inputGram.rows == rows, inputGram.cols == rows else {
            throw .shapeMismatch(operation: "Int8Quantization", left: Shape(rows: rows, cols: rows), right: inputGram.shape,
                                 requirement: "the input Gram matrix must be rows × rows")
        }
        let nearest = Int8Quantization(roundingToNearest: w, rows: rows, columns: columns)
        let diagonal = (0..<rows).map { inputGram[$0, $0] }
        let mean = diagonal.reduce(0, +) / Float(max(1, rows))
        guard mean > 0, rows > 0, columns > 0 else {
            self = nearest
            return
        }
        // Inputs by energy, largest first; h is the damped Gram matrix in that order.
        let order = (0..<rows).sorted { diagonal[$0] != diagonal[$1] ? diagonal[$0] > diagonal[$1] : $0 < $1 }
        var h = Matrix(rows: rows, cols: rows)
        h.withUnsafeMutableBufferPointer { ph in
            inputGram.withUnsafeBufferPointer { pg in
                for a in 0..<rows {
                    for b in 0..<rows { ph[a * rows + b] = pg[order[a] * rows + order[b]] }
                    ph[a * rows + a] += damping * mean
                }
            }
        }
        let factor = try h.upperCholeskyFactorOfInverse()
        var isOutlier = [Bool](repeating: false, count: rows * columns)
        for outlier in nearest.outliers { isOutlier[Int(outlier.row) * columns + Int(outlier.column)] = true }

        // work: the weights in that order, rows not yet rounded updated as errors arrive.
        var work = [Float](repeating: 0, count: rows * columns)
        var codes = [Int8](repeating: 0, count: rows * columns)
        let block = 128
        var errors = [Float](repeating: 0, count: block * columns)
        let functions = try BLASLibrary.current().functions
        let (saxpy, sgemm) = (functions.saxpy!, functions.sgemm!)
        let scales = nearest.scales
        work.withUnsafeMutableBufferPointer { pw in
            for a in 0..<rows { for j in 0..<columns { pw[a * columns + j] = w[order[a] * columns + j] } }
            codes.withUnsafeMutableBufferPointer { pc in
                errors.withUnsafeMutableBufferPointer { pe in
                    factor.withUnsafeBufferPointer { pu in
                        for start in stride(from: 0, to: rows, by: block) {
                            let end = min(start + block, rows)
                            for a in start..<end {
                                let original = order[a], pivot = pu[a * rows + a]
                                let row = pw.baseAddress! + a * columns, error = pe.baseAddress! + (a - start) * columns
                                for j in 0..<columns {
                                    let value = row[j]
                                    if isOutlier[original * columns + j] {
                                        error[j] = 0
                                        continue
                                    }
                                    var code: Float = 0
                                    if scales[j] > 0 { code = min(127, max(-127, (value / scales[j]).rounded(.toNearestOrEven))) }
                                    pc[original * columns + j] = Int8(code)
                                    error[j] = (value - code * scales[j]) / pivot
                                }
                                // Carried to the later rows of the block now, to the rest at its end.
                                for later in a + 1..<end {
                                    saxpy(Int32(columns), -pu[a * rows + later], error, 1, pw.baseAddress! + later * columns, 1)
                                }
                            }
                            if end < rows {
                                sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(rows - end), Int32(columns), Int32(end - start),
                                      -1, pu.baseAddress! + start * rows + end, Int32(rows), pe.baseAddress, Int32(columns),
                                      1, pw.baseAddress! + end * columns, Int32(columns))
                            }
                        }
                    }
                }
            }
        }
        // Outliers keep the value their row had when it was reached.
        var position = [Int](repeating: 0, count: rows)
        for (a, original) in order.enumerated() { position[original] = a }
        self.rows = rows
        self.columns = columns
        self.codes = codes
        self.scales = scales
        outliers = nearest.outliers.map { outlier in
            var kept = outlier
            kept.value = work[position[Int(outlier.row)] * columns + Int(outlier.column)]
            return kept
        }
    }
}

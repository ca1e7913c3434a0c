import Foundation
import GantryMath
import Testing

/// The 8-bit products (`WeightPrecision.int8`) on every SIMD level, on AMX tiles and with
/// `vpdpbusd` where the CPU has them, and without, against the same scheme computed here in plain
/// code.
extension SIMDKernelTests {
    /// Inputs with planted outliers (one in some rows, more than the eight slots in another) and
    /// weights with planted outlier weights: the result is the product of the dequantised
    /// operands as `TransformerKernels.WeightPrecision.int8` describes them, the outliers exact.
    @Test func int8MultiplyAddIsTheProductOfTheQuantisedOperands() {
        var data = TestData(seed: 37)
        defer { ProductPath.restoreDefaults() }
        forEachLevel { level in
            // 70 rows: quantised in shares of the worker pool.
            for (rows, k, n) in [(1, 384, 1152), (11, 384, 384), (70, 48, 96), (40, 300, 64), (13, 37, 64), (4, 8, 33), (9, 16, 95), (0, 4, 32), (3, 0, 32)] {
                let (x, w) = Self.withOutliers(data.matrix(rows, k), data.matrix(k, n))
                let c0 = data.matrix(rows, n)
                let expected = Int8Scheme.product(x, w).enumerated().map { r, row in
                    row.enumerated().map { j, value in value + Double(c0[r, j]) }
                }
                let packed = w.withUnsafeBufferPointer { TransformerKernels.PackedMatrix($0, rows: k, columns: n, precision: .int8) }
                #expect(packed.byteCount >= (n + 31) / 32 * 128 * ((k + 3) / 4) + (n + 31) / 32 * 32 * 8)
                var results = [Matrix]()
                for path in ProductPath.available(int8: true) {
                    #expect(path.use(int8: true))
                    for threads in [1, 2, 3] {
                        var c = c0
                        x.withUnsafeBufferPointer { xb in
                            c.withUnsafeMutableBufferPointer { TransformerKernels.multiplyAdd(xb, rows: rows, packed, into: $0, threads: threads) }
                        }
                        #expect(relativeError(c, expected) <= 1e-5, "\(level) \(path) \(rows)×\(k)×\(n), \(threads) threads")
                        results.append(c)
                    }
                }
                // The integer sums are exact and their scaling is not fused, so on tiles, with and
                // without the instruction, and however the panels are shared, every result is the
                // same to the last bit.
                #expect(results.allSatisfy { $0.values == results[0].values }, "\(level) \(rows)×\(k)×\(n)")
            }
        }
    }

    /// The point of the outliers: with them carried exactly the product stays within 1% of the
    /// float product, several times closer than the scheme without them, where one large input
    /// sets the step of its whole row.
    @Test func int8ProductsStayCloseToTheFloatProduct() {
        var data = TestData(seed: 41)
        let (x, w) = Self.withOutliers(data.matrix(16, 384), data.matrix(384, 256))
        let packed = w.withUnsafeBufferPointer { TransformerKernels.PackedMatrix($0, rows: 384, columns: 256, precision: .int8) }
        var c = Matrix(rows: 16, cols: 256)
        x.withUnsafeBufferPointer { xb in c.withUnsafeMutableBufferPointer { TransformerKernels.multiplyAdd(xb, rows: 16, packed, into: $0) } }
        let exact = Reference.product(x, w)
        // The same scheme without outliers (every value in its row's range, every weight in its
        // column's), computed here.
        let naive = Int8Scheme.product(x, w, outlierSlots: 0, weightRatio: .infinity)
        let naiveError = relativeError(try! Matrix(rows: 16, cols: 256, values: naive.flatMap { $0.map(Float.init) }), exact)
        #expect(relativeError(c, exact) <= 1e-2 && relativeError(c, exact) * 3 < naiveError, "\(relativeError(c, exact)) against \(naiveError)")
    }

    /// x with outliers planted in every other row (40, the rest being standard normal), and one
    /// row with twelve (more than the eight slots: the rest belong to its range); w with a few
    /// weights of 30 in some columns.
    static func withOutliers(_ x: Matrix, _ w: Matrix) -> (Matrix, Matrix) {
        var (x, w) = (x, w)
        for r in stride(from: 0, to: x.rows, by: 2) where x.cols >= 3 { x[r, x.cols / 3] = 40 }
        if x.rows > 1 && x.cols >= 24 {
            for i in 0..<12 { x[1, 2 * i] = Float(i % 2 == 0 ? 30 + i : -30 - i) }
        }
        for j in stride(from: 0, to: w.cols, by: 5) where w.rows >= 2 { w[(j * 7) % w.rows, j] = j % 2 == 0 ? 30 : -30 }
        return (x, w)
    }
}

/// `WeightPrecision.int8` written out: the dequantised operands, rounding where the kernels round
/// (in Float), the rest in Double.
enum Int8Scheme {
    /// x·w as the 8-bit product computes it: the dequantised rows times the dequantised weights,
    /// but each outlier weight times the input as given.
    static func product(_ x: Matrix, _ w: Matrix, outlierSlots: Int = 8, weightRatio: Float = 6) -> [[Double]] {
        let (rows, weights) = (Self.rows(x, outlierSlots: outlierSlots), Self.weights(w, ratio: weightRatio))
        return (0..<x.rows).map { r in
            (0..<w.cols).map { j in
                (0..<x.cols).reduce(0.0) { sum, i in
                    let exact = weights.outliers.contains(i * w.cols + j)
                    return sum + Double(exact ? x[r, i] : rows[r, i]) * Double(exact ? w[i, j] : weights.values[i, j])
                }
            }
        }
    }

    /// Each row as the product sees it: outside its outliers (beyond 6 × its root mean square, the
    /// largest `outlierSlots`) unsigned bytes over its range with 0 in it, the outliers exact.
    static func rows(_ x: Matrix, outlierSlots: Int = 8) -> Matrix {
        var out = x
        for r in 0..<x.rows {
            let row = Array(x.row(r))
            let bound = Float(6) * Float((row.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(row.count, 1))).squareRoot())
            let outliers = Set(row.indices.filter { abs(row[$0]) > bound }.sorted { abs(row[$0]) > abs(row[$1]) }.prefix(outlierSlots))
            let inliers = row.indices.filter { !outliers.contains($0) }.map { row[$0] }
            let (low, high) = (min(inliers.min() ?? 0, 0), max(inliers.max() ?? 0, 0))
            var scale = (high - low) / 255
            if !(scale > 0) { scale = 1 }
            let inverse = 1 / scale
            let zero = min(max((-low * inverse).rounded(.toNearestOrEven), 0), 255)
            for (i, value) in row.enumerated() where !outliers.contains(i) {
                let code = min(max((value * inverse).rounded(.toNearestOrEven) + zero, 0), 255)
                out[r, i] = Float(Double(scale) * Double(code - zero))
            }
        }
        return out
    }

    /// Each column as the product sees it: outside its outlier weights (beyond `ratio` × its root
    /// mean square) codes in −127…127 of its largest other weight / 127; the outlier weights' positions
    /// (i · columns + j).
    static func weights(_ w: Matrix, ratio: Float = 6) -> (values: Matrix, outliers: Set<Int>) {
        var out = w, outliers = Set<Int>()
        for j in 0..<w.cols {
            let column = (0..<w.rows).map { w[$0, j] }
            let bound = ratio * Float((column.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(column.count, 1))).squareRoot())
            let scale = (column.filter { abs($0) <= bound }.map(abs).max() ?? 0) / 127
            for (i, value) in column.enumerated() {
                guard abs(value) <= bound else {
                    outliers.insert(i * w.cols + j)
                    continue
                }
                let code = scale > 0 ? min(max((value / scale).rounded(.toNearestOrEven), -127), 127) : 0
                out[i, j] = Float(Double(scale) * Double(code))
            }
        }
        return (out, outliers)
    }
}

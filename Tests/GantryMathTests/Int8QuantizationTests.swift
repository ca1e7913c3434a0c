import GantryMath
import Testing

/// `Int8Quantization`: rounding to the nearest code, and GPTQ's codes, which must keep a product's
/// error smaller on inputs like those it was fitted to.
@Suite struct Int8QuantizationTests {
    /// Inputs with correlated channels of unequal energy (a random mix of standard normals, four
    /// channels ten times the rest), as a transformer's activations are.
    static func inputs(_ rows: Int, _ k: Int, mixing: Matrix, data: inout TestData) -> Matrix {
        var x = try! Matrix.product(data.matrix(rows, k), mixing)
        for r in 0..<rows { for i in stride(from: 0, to: k, by: k / 4) { x[r, i] *= 10 } }
        return x
    }

    /// ‖x·w − x·ŵ‖ / ‖x·w‖ in Double.
    static func outputError(_ x: Matrix, _ w: Matrix, _ approximate: [Float]) -> Double {
        let exact = Reference.product(x, w)
        let other = Reference.product(x, try! Matrix(rows: w.rows, cols: w.cols, values: approximate))
        var (difference, norm) = (0.0, 0.0)
        for (a, b) in zip(exact.joined(), other.joined()) {
            difference += (a - b) * (a - b)
            norm += a * a
        }
        return (difference / norm).squareRoot()
    }

    /// On fresh inputs of the distribution the Gram matrix came from, GPTQ's product error is well
    /// below rounding's (measured 0.4–0.5×), with the same scales, the same weights kept exactly,
    /// every code in −127…127.
    @Test func minimizingOutputErrorBeatsRoundingOnUnseenInputs() throws {
        var data = TestData(seed: 71)
        let (k, n) = (96, 80)
        let mixing = data.matrix(k, k)
        let fit = Self.inputs(512, k, mixing: mixing, data: &data), unseen = Self.inputs(256, k, mixing: mixing, data: &data)
        let (_, w) = SIMDKernelTests.withOutliers(Matrix(rows: 1, cols: 1), data.matrix(k, n))
        var gram = Matrix(rows: k, cols: k)
        try Matrix.syrk(fit, transpose: true, into: &gram)
        let nearest = w.withUnsafeBufferPointer { Int8Quantization(roundingToNearest: $0, rows: k, columns: n) }
        let fitted = try w.withUnsafeBufferPointer { (w) throws(MathError) in
            try Int8Quantization(minimizingOutputError: w, rows: k, columns: n, inputGram: gram)
        }
        let (nearestError, fittedError) = (Self.outputError(unseen, w, nearest.dequantized()), Self.outputError(unseen, w, fitted.dequantized()))
        #expect(fittedError < 0.7 * nearestError, "GPTQ \(fittedError), rounding \(nearestError)")
        // The same grid: outliers where rounding keeps them, every other weight a code of its
        // column's scale (the largest magnitude of the column's other weights / 127).
        let (a, b) = (nearest.dequantized(), fitted.dequantized())
        for j in 0..<n {
            let column = (0..<k).map { w[$0, j] }
            let rms = (column.reduce(0) { $0 + $1 * $1 } / Float(k)).squareRoot()
            let scale = column.filter { abs($0) <= 6 * rms }.map(abs).max()! / 127
            for i in 0..<k {
                if abs(w[i, j]) > 6 * rms {
                    #expect(a[i * n + j] == w[i, j], "rounding keeps (\(i), \(j)) exactly")
                } else {
                    let code = b[i * n + j] / scale
                    #expect(abs(code) <= 127.0001 && abs(code - code.rounded()) < 1e-3, "(\(i), \(j)): \(code)")
                }
            }
        }
    }

    /// With a diagonal Gram matrix no error is carried (the factor is diagonal): the codes are
    /// rounding's.
    @Test func aDiagonalGramMatrixGivesTheNearestCodes() throws {
        var data = TestData(seed: 73)
        let (k, n) = (40, 33)
        let w = data.matrix(k, n)
        var gram = Matrix(rows: k, cols: k)
        for i in 0..<k { gram[i, i] = Float(1 + i % 5) }
        let nearest = w.withUnsafeBufferPointer { Int8Quantization(roundingToNearest: $0, rows: k, columns: n) }
        let fitted = try w.withUnsafeBufferPointer { (w) throws(MathError) in
            try Int8Quantization(minimizingOutputError: w, rows: k, columns: n, inputGram: gram)
        }
        #expect(fitted.dequantized() == nearest.dequantized())
    }

    /// The packed codes multiply as their dequantised weights do (the rows quantised as for any
    /// 8-bit product), with and without `vpdpbusd`.
    @Test func packedCodesMultiplyAsTheirDequantisedWeights() throws {
        var data = TestData(seed: 79)
        let (rows, k, n) = (5, 64, 70)
        let x = data.matrix(rows, k), w = data.matrix(k, n)
        var gram = Matrix(rows: k, cols: k)
        try Matrix.syrk(Self.inputs(200, k, mixing: data.matrix(k, k), data: &data), transpose: true, into: &gram)
        let fitted = try w.withUnsafeBufferPointer { (w) throws(MathError) in
            try Int8Quantization(minimizingOutputError: w, rows: k, columns: n, inputGram: gram)
        }
        let expected = Reference.product(Int8Scheme.rows(x), try Matrix(rows: k, cols: n, values: fitted.dequantized()))
        let packed = TransformerKernels.PackedMatrix(fitted)
        let switching = KernelSwitchLock()  // the paths are switched for the whole process
        defer {
            SIMDKernelTests.ProductPath.restoreDefaults()
            withExtendedLifetime(switching) {}
        }
        for path in SIMDKernelTests.ProductPath.available(int8: true) {
            #expect(path.use(int8: true))
            var c = Matrix(rows: rows, cols: n)
            x.withUnsafeBufferPointer { xb in c.withUnsafeMutableBufferPointer { TransformerKernels.multiplyAdd(xb, rows: rows, packed, into: $0) } }
            #expect(relativeError(c, expected) <= 1e-5, "\(path)")
        }
    }

    /// A Gram matrix of the wrong size is refused, naming the shapes.
    @Test func aGramMatrixOfTheWrongShapeThrows() {
        let w = [Float](repeating: 0.5, count: 12)
        #expect(throws: MathError.self) {
            try w.withUnsafeBufferPointer { (w) throws(MathError) in
                try Int8Quantization(minimizingOutputError: w, rows: 4, columns: 3, inputGram: Matrix(rows: 3, cols: 3))
            }
        }
    }
}

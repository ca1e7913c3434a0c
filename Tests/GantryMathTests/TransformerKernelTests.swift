import Foundation
import GantryMath
import Testing

/// The encoder's kernels on every SIMD level, against plain Double references.
extension SIMDKernelTests {
    /// Float and bfloat16 (8 bits: `TransformerKernelInt8Tests`): at bfloat16 the result is the
    /// product of the weights and the inputs each rounded to the nearest bfloat16 (rounded here
    /// by comparing the two neighbours, ties to even), on AMX tiles and with `vdpbf16ps` where the
    /// CPU has them, and without.
    @Test func multiplyAddMatchesTheProductOnEveryShapeAndSplit() {
        var data = TestData(seed: 31)
        defer { ProductPath.restoreDefaults() }
        forEachLevel { level in
            for (rows, k, n) in [(1, 384, 1152), (5, 384, 384), (13, 37, 64), (37, 40, 64), (70, 64, 33), (300, 66, 40), (4, 8, 33), (9, 16, 95), (0, 4, 32), (3, 0, 32)] {
                let x = data.matrix(rows, k), w = data.matrix(k, n), c0 = data.matrix(rows, n)
                for precision in [TransformerKernels.WeightPrecision.float32, .bfloat16] {
                    var (roundedX, roundedW) = (x, w)
                    if precision == .bfloat16 {
                        roundedX.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = Self.bfloat16($0[i]) } }
                        roundedW.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = Self.bfloat16($0[i]) } }
                    }
                    let expected = Reference.product(roundedX, roundedW).enumerated().map { r, row in
                        row.enumerated().map { j, value in value + Double(c0[r, j]) }
                    }
                    let packed = w.withUnsafeBufferPointer { TransformerKernels.PackedMatrix($0, rows: k, columns: n, precision: precision) }
                    #expect(packed.byteCount == (precision == .float32 ? (n + 31) / 32 * 32 * k * 4 : (n + 31) / 32 * 64 * ((k + 1) / 2) * 2))
                    for path in precision == .bfloat16 ? ProductPath.available(int8: false) : [.widened] {
                        if precision == .bfloat16 { #expect(path.use(int8: false)) }
                        for threads in [1, 2, 3] {
                            var c = c0
                            x.withUnsafeBufferPointer { xb in
                                c.withUnsafeMutableBufferPointer {
                                    TransformerKernels.multiplyAdd(xb, rows: rows, packed, into: $0, threads: threads)
                                }
                            }
                            #expect(relativeError(c, expected) <= 1e-5, "\(level) \(precision) \(path) \(rows)×\(k)×\(n), \(threads) threads")
                        }
                    }
                }
            }
        }
    }

    /// The ways the bfloat16 and 8-bit products run at the active SIMD level, each switched on by
    /// `use` (these are process-wide switches: the suite is serialized).
    enum ProductPath: String, CaseIterable {
        /// AMX tiles (`tdpbf16ps`, `tdpbusd`).
        case tiles
        /// The AVX-512 dot-product instruction (`vdpbf16ps`, `vpdpbusd`).
        case dotProducts
        /// Float or integer multiply-adds on the widened values.
        case widened

        /// Switches the products (8-bit ones if `int8`, else bfloat16) to this path; false where
        /// it is not available.
        @discardableResult
        func use(int8: Bool) -> Bool {
            let dot = int8 ? TransformerKernels.useInt8DotProducts : TransformerKernels.useBF16DotProducts
            switch self {
            case .tiles: return TransformerKernels.useTileProducts(true)
            case .dotProducts: return TransformerKernels.useTileProducts(false) && dot(true)
            case .widened: return TransformerKernels.useTileProducts(false) && dot(false)
            }
        }

        /// The paths available here, fastest first; the defaults restored.
        static func available(int8: Bool) -> [ProductPath] {
            defer { restoreDefaults() }
            return allCases.filter { $0.use(int8: int8) }
        }

        /// Every product on its fastest path (what `SIMDKernels.select` also does).
        static func restoreDefaults() {
            TransformerKernels.useBF16DotProducts(true)
            TransformerKernels.useInt8DotProducts(true)
            TransformerKernels.useTileProducts(true)
        }
    }

    /// `value` rounded to the nearest bfloat16 (a float with 16 low bits clear), ties to even.
    static func bfloat16(_ value: Float) -> Float {
        let below = Float(bitPattern: value.bitPattern & 0xFFFF_0000)
        let above = Float(bitPattern: (value.bitPattern & 0xFFFF_0000) &+ 0x1_0000)
        let (toBelow, toAbove) = (abs(Double(value) - Double(below)), abs(Double(above) - Double(value)))
        if toBelow != toAbove { return toBelow < toAbove ? below : above }
        return below.bitPattern & 0x1_0000 == 0 ? below : above
    }

    @Test func geluLayerNormAndBiasMatchTheirDefinitions() {
        var data = TestData(seed: 32)
        forEachLevel { level in
            var x = data.vector(389).map { $0 * 3 }
            let input = x
            x.withUnsafeMutableBufferPointer { TransformerKernels.gelu($0) }
            for (y, v) in zip(x, input) {
                let exact = Double(v) * (1 + erf(Double(v) / 2.0.squareRoot())) / 2
                #expect(abs(Double(y) - exact) <= 2e-6 * max(1, abs(exact)), "\(level) gelu(\(v))")
            }
            let dim = 37, gamma = data.vector(dim), beta = data.vector(dim)
            var rows = data.vector(3 * dim)
            let original = rows
            gamma.withUnsafeBufferPointer { g in
                beta.withUnsafeBufferPointer { b in
                    rows.withUnsafeMutableBufferPointer { TransformerKernels.layerNorm($0, dimension: dim, gamma: g, beta: b, epsilon: 1e-12) }
                }
            }
            for r in 0..<3 {
                let row = original[r * dim..<(r + 1) * dim].map(Double.init)
                let mean = row.reduce(0, +) / Double(dim)
                let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(dim)
                for i in 0..<dim {
                    let exact = (row[i] - mean) / (variance + 1e-12).squareRoot() * Double(gamma[i]) + Double(beta[i])
                    #expect(abs(Double(rows[r * dim + i]) - exact) <= 1e-5 * max(1, abs(exact)), "\(level) layer norm")
                }
            }
            let bias = data.vector(dim), base = data.vector(2 * dim)
            var out = [Float](repeating: .nan, count: 2 * dim)
            bias.withUnsafeBufferPointer { b in
                base.withUnsafeBufferPointer { base in out.withUnsafeMutableBufferPointer { TransformerKernels.addBias(b, to: base, into: $0) } }
            }
            #expect(out == (0..<2 * dim).map { base[$0] + bias[$0 % dim] })
        }
    }

    @Test func attentionMatchesSoftmaxOfScaledDotProducts() {
        var data = TestData(seed: 33)
        forEachLevel { level in
          for (length, headDimension) in [(7, 32), (1, 32), (16, 16), (33, 20)] {
            let heads = 3
            let width = heads * headDimension
            let qkv = data.vector(length * 3 * width).map { $0 * 2 }
            var out = [Float](repeating: 0, count: length * width)
            var scratch = [Float](repeating: .nan, count: TransformerKernels.attentionScratchCount(length: length, headDimension: headDimension))
            qkv.withUnsafeBufferPointer { q in
                out.withUnsafeMutableBufferPointer { o in
                    scratch.withUnsafeMutableBufferPointer {
                        TransformerKernels.attention(q, length: length, heads: heads, headDimension: headDimension, into: o, scratch: $0)
                    }
                }
            }
            func at(_ token: Int, _ part: Int, _ h: Int, _ d: Int) -> Double { Double(qkv[token * 3 * width + part * width + h * headDimension + d]) }
            for h in 0..<heads {
                for i in 0..<length {
                    let scores = (0..<length).map { j in (0..<headDimension).reduce(0.0) { $0 + at(i, 0, h, $1) * at(j, 1, h, $1) } / Double(headDimension).squareRoot() }
                    let top = scores.max()!
                    let weights = scores.map { exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for d in 0..<headDimension {
                        let exact = (0..<length).reduce(0.0) { $0 + weights[$1] / total * at($1, 2, h, d) }
                        #expect(abs(Double(out[i * width + h * headDimension + d]) - exact) <= 1e-5 * max(1, abs(exact)),
                                "\(level) attention L=\(length) d=\(headDimension)")
                    }
                }
            }
          }
        }
    }
}
